"""The ASGI application factory: `uvicorn --factory api.app:create_app`."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api import routers, services
from api.problems import install_problem_handlers
from api.settings import ApiSettings
from api.state import AppState
from api.tokens import TokenStore
from domain.application import build_application


def discover_routers() -> list[APIRouter]:
    """Every module in api/routers that defines `router` is mounted."""
    found = []
    for info in sorted(pkgutil.iter_modules(routers.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"api.routers.{info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def build_services(state: AppState) -> None:
    for info in sorted(pkgutil.iter_modules(services.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"api.services.{info.name}")
        build = getattr(module, "build", None)
        if callable(build):
            service = build(state)
            if service is not None:
                state.services[info.name] = service


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        application = build_application(settings)
        state = AppState(settings=settings, application=application)
        state.extras["authenticator"] = TokenStore(settings)
        app.state.bewijsketen = state
        build_services(state)
        for service in state.services.values():
            service.start()
        try:
            yield
        finally:
            for service in reversed(list(state.services.values())):
                service.stop()
            application.close()

    app = FastAPI(
        title="bewijsketen",
        version="0.1.0",
        description="The audit trail of qualifying decisions in learning-based qualification.",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    for router in discover_routers():
        app.include_router(router)
    return app
