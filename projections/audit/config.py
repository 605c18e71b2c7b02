"""Settings of the audit log, from the environment (prefix BEWIJSKETEN_AUDIT_)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from projections.audit.keys import SigningKeyError, load_key_file, parse_private
from projections.audit.policy import Policy, load_policy


class AuditSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BEWIJSKETEN_AUDIT_", env_file=".env", extra="ignore"
    )

    enabled: bool = Field(True, description="Run the sealer in the API process.")
    key_file: Path | None = Field(
        None,
        description="PEM file of the Ed25519 signing key "
        "(default <data dir>/audit/signing-key.pem).",
    )
    private_key: SecretStr | None = Field(
        None, description="The signing key itself (PEM or base64 seed); wins over key_file."
    )
    create_key: bool = Field(
        True,
        description="Embedded (SQLite) mode only: create the key file on first start if the log "
        "has no checkpoint yet. With PostgreSQL, several processes share the log: run "
        "`bewijsketen audit keygen` once and give every process the same key.",
    )
    origin: str = Field(
        "bewijsketen",
        description="The log's origin line and key name, e.g. bewijsketen.<school domain>/audit "
        "(unique among the logs a witness follows; no spaces or '+').",
    )
    checkpoint_every: int = Field(1000, ge=1, description="A checkpoint after this many events...")
    checkpoint_seconds: float = Field(10.0, gt=0, description="...or after this many seconds.")
    batch_size: int = Field(5000, ge=1, description="Events sealed per transaction at most.")
    poll_seconds: float = Field(0.1, gt=0, description="Pause of the sealer when idle.")

    # Witnesses, trust and timestamps (C2SP tlog-policy, tlog-witness; RFC 3161).
    policy_file: Path | None = Field(
        None,
        description="Trust policy (c2sp.org/tlog-policy): the log's key, the witnesses (with "
        "their URLs the log sends checkpoints to) and the quorum; `audit verify` and "
        "GET /audit/verify check against it.",
    )
    witness_timeout: float = Field(5.0, gt=0, description="Seconds to wait for a witness or TSA.")
    witness_grace_seconds: float = Field(
        60.0,
        ge=0,
        description="Checkpoints younger than this may still lack the quorum's cosignatures "
        "without failing verification.",
    )
    tsa_url: str | None = Field(
        None, description="RFC 3161 time-stamping authority: every checkpoint gets a token."
    )
    tsa_roots: Path | None = Field(
        None, description="PEM root certificate(s) of the TSA, to verify the tokens offline."
    )

    # `bewijsketen witness serve`: a witness for other logs (c2sp.org/tlog-witness).
    witness_name: str = Field(
        "witness.localhost/w1", description="The witness's key name (a schema-less URL)."
    )
    witness_key_file: Path | None = Field(
        None, description="The witness's Ed25519 key (default <data dir>/witness/key.pem)."
    )
    witness_logs: list[str] = Field(
        default_factory=list,
        description="Verifier keys (vkeys) of the logs the witness follows; the key name is "
        "the log's origin.",
    )
    witness_state_file: Path | None = Field(
        None,
        description="SQLite file of the witness's latest checkpoint per log "
        "(default <data dir>/witness/state.sqlite).",
    )
    witness_host: str = Field("127.0.0.1", description="Where `witness serve` listens.")
    witness_port: int = Field(8181, ge=0, le=65535)

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
            return parse_private(self.private_key.get_secret_value())
        path = self.key_path(data_dir)
        if not path.exists():
            return None
        return load_key_file(path)


def require_signing_key(settings: AuditSettings, data_dir: Path) -> Ed25519PrivateKey:
    key = settings.signing_key(data_dir)
    if key is None:
        raise SigningKeyError(
            f"no signing key at {settings.key_path(data_dir)}: run `bewijsketen audit keygen`"
        )
    return key
