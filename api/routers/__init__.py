"""Routers per resource, registered in the order listed here (routing tries routes in turn,
so the busiest, the commands and the reads of trajectories, go first)."""

from __future__ import annotations

from fastapi import APIRouter

from api.routers import (
    audit,
    commands,
    dossier,
    health,
    persons,
    privacy,
    programs,
    projections,
    read_models,
    reports,
    trajectories,
)
from api.web import routes as web

ROUTERS: tuple[APIRouter, ...] = (
    commands.router,
    trajectories.router,
    programs.router,
    persons.router,
    dossier.router,
    read_models.router,
    reports.router,
    projections.router,
    audit.router,
    privacy.router,
    health.router,
    # The Dutch web pages (api/web): their paths are Dutch and never shadow the API's.
    web.router,
)
