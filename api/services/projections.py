"""The embedded projection runner (BEWIJSKETEN_EMBEDDED_PROJECTIONS, on by default).

Always built, because the read-model routes query through its store; the runner thread only
runs when embedded projections are on. With PostgreSQL, `bewijsketen project` workers may run
beside it or instead of it (docker-compose turns the embedded runner off).
"""

from __future__ import annotations

from api.state import AppState
from projections.service import ProjectionService


def build(state: AppState) -> ProjectionService:
    config = state.settings.projections
    return ProjectionService(
        state.application, config, run_here=state.settings.embedded_projections
    )
