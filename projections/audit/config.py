"""How the audit log runs: its signing key, its name, when it signs a checkpoint, the witnesses
and timestamps it asks for, and (for `bewijsketen witness serve`) the witness it can be.

Plain values: the settings of the process (`api.settings.Settings.audit`, environment prefix
BEWIJSKETEN_AUDIT_) fill them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.audit.keys import SigningKeyError, load_key_file, parse_private
from projections.audit.policy import Policy, load_policy


@dataclass(frozen=True)
class AuditConfig:
    enabled: bool = True
    key_file: Path | None = None
    # The signing key itself (PEM or base64 seed); wins over key_file. Never printed.
    private_key: str | None = field(default=None, repr=False)
    create_key: bool = True
    origin: str = "bewijsketen"
    checkpoint_every: int = 1000
    checkpoint_seconds: float = 10.0
    batch_size: int = 5000
    poll_seconds: float = 0.1
    # Witnesses, trust and timestamps (C2SP tlog-policy, tlog-witness; RFC 3161).
    policy_file: Path | None = None
    witness_timeout: float = 5.0
    witness_grace_seconds: float = 60.0
    tsa_url: str | None = None
    tsa_roots: Path | None = None
    # `bewijsketen witness serve`: a witness for other logs.
    witness_name: str = "witness.localhost/w1"
    witness_key_file: Path | None = None
    witness_logs: tuple[str, ...] = ()
    witness_state_file: Path | None = None
    witness_host: str = "127.0.0.1"
    witness_port: int = 8181

    def key_path(self, data_dir: Path) -> Path:
        return self.key_file or data_dir / "audit" / "signing-key.pem"

    def policy(self) -> Policy | None:
        """The configured trust policy (PolicyError if it does not parse)."""
        return load_policy(self.policy_file) if self.policy_file is not None else None

    def witness_key_path(self, data_dir: Path) -> Path:
        return self.witness_key_file or data_dir / "witness" / "key.pem"

    def witness_state_path(self, data_dir: Path) -> Path:
        return self.witness_state_file or data_dir / "witness" / "state.sqlite"

    def signing_key(self, data_dir: Path) -> Ed25519PrivateKey | None:
        """The configured key, or None when there is none yet (no checkpoints are signed)."""
        if self.private_key is not None:
            return parse_private(self.private_key)
        path = self.key_path(data_dir)
        if not path.exists():
            return None
        return load_key_file(path)


def require_signing_key(config: AuditConfig, data_dir: Path) -> Ed25519PrivateKey:
    key = config.signing_key(data_dir)
    if key is None:
        raise SigningKeyError(
            f"no signing key at {config.key_path(data_dir)}: run `bewijsketen audit keygen`"
        )
    return key
