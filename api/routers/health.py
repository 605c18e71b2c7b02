"""GET /health: is the event store reachable, and how are the background services doing.

It answers within a second whatever the database does: the probe and the services' reports run
on threads of their own (api/bounded.py) and are waited for a bounded time; what did not answer
in time is reported as such. Anonymous callers (load balancers) learn only up or down; a caller
with a valid token also gets the details, errors included.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request, Response

from api.bounded import BoundedCalls
from api.schemas.health import Health
from api.state import AppState
from domain.values import Actor

router = APIRouter(tags=["health"])

PROBE_SECONDS = 0.4  # how long the event store may take to answer
REPORT_SECONDS = 0.4  # how long all the services' reports together may take
EXTRA = "health-calls"


def _calls(state: AppState) -> BoundedCalls:
    calls = state.extras.get(EXTRA)
    if not isinstance(calls, BoundedCalls):
        calls = state.extras[EXTRA] = BoundedCalls()
    return calls


async def _actor(request: Request, state: AppState, calls: BoundedCalls, reachable: bool) -> Any:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    authenticator = state.authenticator
    if scheme.lower() != "bearer" or not token or authenticator is None:
        return None
    cached = getattr(authenticator, "cached", None)
    actor = cached(token) if callable(cached) else None
    if actor is None and reachable:
        outcome = await calls.call(lambda: authenticator.authenticate(token), PROBE_SECONDS)
        actor = outcome.value if outcome.answered else None
    return actor if isinstance(actor, Actor) else None


def _error(outcome: Any, seconds: float) -> str:
    if not outcome.answered:
        return f"no answer within {seconds:.1f} s"
    return f"{type(outcome.error).__name__}: {outcome.error}"


@router.get(
    "/health",
    response_model=Health,
    summary="Health of the API, its event store and its background services",
    responses={503: {"model": Health, "description": "The event store is not reachable."}},
)
async def health(request: Request) -> Response:
    """Public (no token needed): `status` only. With a bearer token also the event store, the
    log position and every background service with a `status()` method, under its own name."""
    state: AppState = request.app.state.bewijsketen
    calls = _calls(state)
    started = time.monotonic()
    probe = await calls.call(
        state.application.recorder.max_notification_id, PROBE_SECONDS, key="event-store"
    )
    reachable = probe.answered and probe.error is None
    status_code = 200 if reachable else 503
    actor = await _actor(request, state, calls, reachable)
    if actor is None:
        body = Health(status="ok" if reachable else "unavailable")
        return Response(
            body.model_dump_json(exclude_unset=True).encode(),
            status_code=status_code,
            media_type="application/json",
        )
    database: dict[str, Any] = {
        "reachable": reachable,
        "answered_in_seconds": round(time.monotonic() - started, 3) if probe.answered else None,
    }
    if not reachable:
        database["error"] = _error(probe, PROBE_SECONDS)
    reporting = {
        name: report
        for name, service in state.services.items()
        if callable(report := getattr(service, "status", None))
    }
    # All at once, each bounded: one failing or slow service must not hide the others.
    outcomes = await asyncio.gather(
        *(calls.call(report, REPORT_SECONDS, key=f"service:{n}") for n, report in reporting.items())
    )
    services: dict[str, dict[str, Any]] = {}
    for name, outcome in zip(reporting, outcomes, strict=True):
        if outcome.answered and outcome.error is None:
            services[name] = dict(outcome.value)
        else:
            services[name] = {"error": _error(outcome, REPORT_SECONDS)}
    body = Health(
        status="ok" if reachable else "unavailable",
        store="postgres" if state.settings.uses_postgres else "sqlite",
        position=probe.value if reachable else None,
        database=database,
        services=services,
    )
    return Response(
        body.model_dump_json().encode(), status_code=status_code, media_type="application/json"
    )
