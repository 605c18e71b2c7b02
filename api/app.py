"""The ASGI application factory: `uvicorn --factory api.app:create_app`.

Settings come from the environment (`Settings`), exactly as for `bewijsketen serve`.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI

from api.docs import install_docs
from api.limits import BodyLimits
from api.oidc import build_authenticator
from api.problems import fix_problem_media_type, install_problem_handlers
from api.reads import TrajectoryReads
from api.routers import ROUTERS
from api.services import projections as projection_service
from api.services import sealer as sealer_service
from api.settings import Settings
from api.state import AppState
from api.tokens import Authenticator
from domain.application import build_application
from domain.persistence.startup import startup_lock

DESCRIPTION = """\
The audit trail of qualifying decisions in learning-based qualification (lerend kwalificeren).

* **Authentication**: `Authorization: Bearer <token>`; tokens come from
  `bewijsketen token create --person ID --role ROLE`. The actor of every command is the token's
  person and role, never a field of the body.
* **Commands** are POSTs on the resource they change. Each answers with the aggregate's new
  `version` (also the `ETag`) and the log `position` of its last event.
* **Idempotency-Key** on any POST makes it safe to repeat; **If-Match** makes it conditional on
  the version the client last saw (412 otherwise).
* **Errors** are RFC 9457 problem documents (`application/problem+json`); a refusal by a domain
  rule names the rule (R1–R16) in `rule`.
"""


# Every tag an operation carries, described: the groups of the API reference.
TAGS: list[dict[str, str]] = [
    {"name": "trajectories", "description": "Find, start and read a student's trajectory."},
    {
        "name": "evidence and feedback",
        "description": "The low-stakes chapter: evidence, "
        "feedback, progress checks, baseline and exhibitions.",
    },
    {
        "name": "medium-stakes",
        "description": "The medium-stakes, the green light and the early route.",
    },
    {
        "name": "high-stake",
        "description": "The high-stake: request, assessors, judgments, "
        "interview, final levels, conclusion, development plan.",
    },
    {"name": "committee", "description": "The exam committee's votes."},
    {"name": "programs", "description": "Programs, their versions and their staff."},
    {"name": "persons", "description": "People's display names, for those who may know them."},
    {
        "name": "read models",
        "description": "Dashboards: progress, cohorts, workload, "
        "calibration and borging, with read-your-writes.",
    },
    {
        "name": "audit",
        "description": "The verifiable log: checkpoints, proofs, verification "
        "and the decision dossier.",
    },
    {
        "name": "reports",
        "description": "The exam committee's annual report: decisions, assessment, "
        "borging and corrections over a period, as data, HTML, PDF or CSV.",
    },
    {
        "name": "privacy",
        "description": "What is due for erasure, erasure requests, and a student's access "
        "export (everything stored about them).",
    },
    {"name": "health", "description": "Whether the service and its store are up."},
]


def build_services(state: AppState) -> None:
    """The background services of the API process, by the name they report under."""
    state.services["projections"] = projection_service.build(state)
    state.services["sealer"] = sealer_service.build(state)


def create_app(
    settings: Settings | None = None, authenticator: Authenticator | None = None
) -> FastAPI:
    """The API. `authenticator` replaces the one the settings name (tests, embedding)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Endpoints are plain `def` (the event store has no async API) and run in AnyIO's
        # worker threads; never more of them than the PostgreSQL pool has connections.
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        previous_switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(settings.switch_interval_ms / 1000)
        with startup_lock(settings.store):
            application = build_application(settings.store)
            auth = authenticator or build_authenticator(settings)
            state = AppState(
                settings=settings,
                application=application,
                authenticator=auth,
                reads=TrajectoryReads(application, settings.read_cache),
            )
            app.state.bewijsketen = state
            if settings.seed_demo:
                from api.demo import announce_demo

                await to_thread.run_sync(announce_demo, state)
            build_services(state)
        try:
            for service in state.services.values():
                service.start()
            yield
        finally:
            for service in reversed(list(state.services.values())):
                service.stop()
            if authenticator is None:
                close = getattr(auth, "close", None)
                if callable(close):
                    close()
            application.close()
            sys.setswitchinterval(previous_switch_interval)

    app = FastAPI(
        title="bewijsketen",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=TAGS,
        # Stable operation ids: the route functions' names (a command's is its own name).
        generate_unique_id_function=lambda route: route.name,
        servers=[{"url": settings.public_url, "description": "This server."}],
        contact={"name": "bewijsketen", "url": f"{settings.public_url}/docs"},
        license_info={"name": "Proprietary: the school's own record"},
        # Served by install_docs from installed files: FastAPI's own pages load from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        BodyLimits, max_bytes=settings.max_body_bytes, max_depth=settings.max_body_depth
    )
    install_docs(app)
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = fix_problem_media_type(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
