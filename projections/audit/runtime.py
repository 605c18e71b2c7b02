"""Everything the audit log needs in one process: store, key, sealer; opened from settings."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from domain.application import Bewijsketen
from domain.persistence.config import StoreConfig
from projections.audit.config import AuditConfig
from projections.audit.cosign import Cosigner
from projections.audit.keys import generate_key_file
from projections.audit.policy import Policy
from projections.audit.sealer import Sealer
from projections.audit.store import AuditStore, open_store


@dataclass
class AuditRuntime:
    settings: StoreConfig
    audit: AuditConfig
    app: Bewijsketen
    store: AuditStore
    signing_key: Ed25519PrivateKey | None
    sealer: Sealer
    policy: Policy | None = None

    @property
    def public_key(self) -> Ed25519PublicKey | None:
        return self.signing_key.public_key() if self.signing_key else None

    def close(self) -> None:
        if self.sealer.attestor is not None:
            self.sealer.attestor.stop()
        self.store.close()


def open_runtime(
    app: Bewijsketen, settings: StoreConfig, audit: AuditConfig | None = None
) -> AuditRuntime:
    audit = audit or AuditConfig()
    policy = audit.policy()
    store = open_store(settings)
    try:
        key = audit.signing_key(settings.data_dir)
        if (
            key is None
            and audit.create_key
            and not settings.uses_postgres
            and store.latest_checkpoint() is None
        ):
            # A fresh embedded log: no checkpoint can be orphaned by a new key.
            key = generate_key_file(audit.key_path(settings.data_dir))
    except Exception:
        store.close()
        raise
    cosigner = Cosigner(store, policy, timeout=audit.witness_timeout, tsa_url=audit.tsa_url)
    sealer = Sealer(app.recorder, store, audit, key, cosigner if cosigner.active else None)
    return AuditRuntime(settings, audit, app, store, key, sealer, policy)
