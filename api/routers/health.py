"""GET /health: is the event store reachable, and how are the background services doing."""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import APIRouter, Response

from api.deps import StateDep
from api.schemas.health import Health

router = APIRouter(tags=["health"])
log = logging.getLogger("bewijsketen.api")


@router.get(
    "/health",
    response_model=Health,
    summary="Health of the API, its event store and its background services",
    responses={503: {"model": Health, "description": "The event store is not reachable."}},
)
def health(state: StateDep, response: Response) -> Health:
    """Public (no token): for load balancers and the people running the service.

    Every background service with a `status()` method reports under its own name.
    """
    try:
        position: int | None = state.application.recorder.max_notification_id()
        status: Literal["ok", "unavailable"] = "ok"
    except Exception:
        log.exception("health: the event store did not answer")
        position, status = None, "unavailable"
        response.status_code = 503
    services: dict[str, dict[str, Any]] = {}
    for name, service in state.services.items():
        report = getattr(service, "status", None)
        if not callable(report):
            continue
        try:
            services[name] = dict(report())
        except Exception as exc:  # one failing service must not hide the others
            log.exception("health: service %s failed to report", name)
            services[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return Health(
        status=status,
        store="postgres" if state.settings.uses_postgres else "sqlite",
        position=position,
        services=services,
    )
