"""Settings of the audit log, from the environment (prefix BEWIJSKETEN_AUDIT_)."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from projections.audit.keys import SigningKeyError, load_key_file, parse_private


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
    origin: str = Field("bewijsketen", description="Name of this log, signed into checkpoints.")
    checkpoint_every: int = Field(1000, ge=1, description="A checkpoint after this many events...")
    checkpoint_seconds: float = Field(10.0, gt=0, description="...or after this many seconds.")
    batch_size: int = Field(5000, ge=1, description="Events sealed per transaction at most.")
    poll_seconds: float = Field(0.1, gt=0, description="Pause of the sealer when idle.")

    def key_path(self, data_dir: Path) -> Path:
        return self.key_file or data_dir / "audit" / "signing-key.pem"

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
