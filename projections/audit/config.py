"""How the audit log runs: its signing key, its name, and when it signs a checkpoint.

Plain values: the settings of the process (`api.settings.Settings.audit`, environment prefix
BEWIJSKETEN_AUDIT_) fill them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from projections.audit.keys import SigningKeyError, load_key_file, parse_private


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

    def key_path(self, data_dir: Path) -> Path:
        return self.key_file or data_dir / "audit" / "signing-key.pem"

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
