"""The audit sealer as a background service of the API process (see projections/audit).

`build(state)` opens the audit runtime (store, signing key, sealer) and keeps it in
`state.extras["audit"]` for the audit and dossier routes; the service seals the event log on a
thread unless BEWIJSKETEN_AUDIT_ENABLED=false, and reports under "sealer" at GET /health.
"""

from __future__ import annotations

from typing import Any

from api.state import AppState
from projections.audit.runtime import AuditRuntime, open_runtime
from projections.audit.sealer import SealerService

EXTRA = "audit"


def runtime(state: AppState) -> AuditRuntime:
    """The process's audit runtime, opened on first use if the service did not open it."""
    found = state.extras.get(EXTRA)
    if found is None:
        found = open_runtime(state.application, state.settings.store, state.settings.audit)
        state.extras[EXTRA] = found
    assert isinstance(found, AuditRuntime)
    return found


class AuditService:
    """Owns the runtime for the process's lifetime; runs the sealer thread when enabled."""

    def __init__(self, audit: AuditRuntime) -> None:
        self.audit = audit
        self.sealing = SealerService(audit.sealer) if audit.audit.enabled else None

    def start(self) -> None:
        if self.sealing is not None:
            self.sealing.start()

    def stop(self) -> None:
        if self.sealing is not None:
            self.sealing.stop()
        self.audit.close()

    def status(self) -> dict[str, Any]:
        if self.sealing is None:
            return {"running": False, "enabled": False, **self.audit.sealer.status()}
        return {"enabled": True, **self.sealing.status()}


def build(state: AppState) -> AuditService:
    audit = open_runtime(state.application, state.settings.store, state.settings.audit)
    state.extras[EXTRA] = audit
    return AuditService(audit)
