"""The ASGI application factory: `uvicorn --factory api.app:create_app`.

Settings come from the environment (`ApiSettings`), exactly as for `bewijsketen serve`.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import APIRouter, FastAPI

from api import routers, services
from api.docs import install_docs
from api.problems import fix_problem_media_type, install_problem_handlers
from api.reads import TrajectoryReads
from api.settings import ApiSettings
from api.state import AppState
from api.tokens import Authenticator, load_authenticator
from domain.application import build_application
from domain.startup import startup_lock

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


def discover_routers() -> list[APIRouter]:
    """Every module in api/routers that defines `router` is mounted, by name, except that a
    module may set `ORDER` (default 100) to be tried earlier: routing tries routes in turn,
    so the busiest routes (commands and reads of trajectories) go first."""
    found = []
    for info in pkgutil.iter_modules(routers.__path__):
        module = importlib.import_module(f"api.routers.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append((int(getattr(module, "ORDER", 100)), info.name, router))
    return [router for _, _, router in sorted(found, key=lambda f: (f[0], f[1]))]


def build_services(state: AppState) -> None:
    for info in sorted(pkgutil.iter_modules(services.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"api.services.{info.name}")
        build = getattr(module, "build", None)
        if callable(build):
            service = build(state)
            if service is not None:
                state.services[info.name] = service


def create_app(
    settings: ApiSettings | None = None, authenticator: Authenticator | None = None
) -> FastAPI:
    """The API. `authenticator` replaces the one the settings name (tests, embedding)."""
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Endpoints are plain `def` (the event store has no async API) and run in AnyIO's
        # worker threads; never more of them than the PostgreSQL pool has connections.
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        previous_switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(settings.switch_interval_ms / 1000)
        with startup_lock(settings):
            application = build_application(settings)
            auth = authenticator or load_authenticator(settings.authenticator, settings)
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
        # Served by install_docs from installed files: FastAPI's own pages load from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    install_problem_handlers(app)
    for router in discover_routers():
        app.include_router(router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = fix_problem_media_type(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
