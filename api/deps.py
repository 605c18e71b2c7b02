"""FastAPI dependencies: the process state, the application and the authenticated actor.

Authorization has two layers. Here, each route names the roles that may call it at all
(`require_roles`); the domain then checks the person (the trajectory's own coach, an assigned
assessor, a committee member of the program) and refuses with a rule code. docs/authorization.md
holds the matrix that tests/test_api_authorization.py checks against every route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Problem
from api.state import AppState
from domain.application import Bewijsketen
from domain.values import Actor, Role

bearer = HTTPBearer(
    auto_error=False,
    description="A token from `bewijsketen token create --person ID --role ROLE`.",
)

UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="bewijsketen"'}


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bewijsketen
    return state


async def get_application(state: Annotated[AppState, Depends(get_state)]) -> Bewijsketen:
    return state.application


async def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    """The actor always comes from the credentials, never from a request body.

    An authenticator may block on its store, so it is asked in a worker thread, unless it can
    answer from memory (`cached`), which saves a thread hop on nearly every request.
    """
    if credentials is None:
        raise Problem(
            401, "Unauthorized", "A bearer token is required.", headers=UNAUTHORIZED_HEADERS
        )
    authenticator = request.app.state.bewijsketen.authenticator
    token = credentials.credentials
    actor = None
    if authenticator is not None:
        cached = getattr(authenticator, "cached", None)
        actor = cached(token) if callable(cached) else None
        if actor is None:
            actor = await to_thread.run_sync(authenticator.authenticate, token)
    if actor is None:
        raise Problem(
            401, "Unauthorized", "The bearer token is not valid.", headers=UNAUTHORIZED_HEADERS
        )
    assert isinstance(actor, Actor)
    return actor


async def current_actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The authenticated actor, whatever their role."""
    return await authenticate(request, credentials)


def require_roles(*roles: Role) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets only the named roles through (403 `forbidden` otherwise).

    It authenticates by itself rather than through `current_actor`: every dependency is work
    on every request, and this one is on nearly all of them.
    """
    allowed = frozenset(roles)
    names = ", ".join(r.value for r in Role if r in allowed)

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        actor = await authenticate(request, credentials)
        if actor.role not in allowed:
            raise Problem(403, "Forbidden", f"This operation is for: {names}.", kind="forbidden")
        return actor

    return dependency


ALL_ROLES = tuple(Role)
# Roles that never write (DOMAIN.md: the inspectorate and quality assurance only look).
READ_ONLY_ROLES = (Role.QUALITY, Role.INSPECTOR)

ApplicationDep = Annotated[Bewijsketen, Depends(get_application)]
ActorDep = Annotated[Actor, Depends(current_actor)]
StateDep = Annotated[AppState, Depends(get_state)]
