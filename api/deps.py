"""FastAPI dependencies: the process state, the application and the authenticated actor.

Who may do what is decided by the caller's relation to the student (`domain.policy`): commands
are authorised by the application; reads by `may_read` here and by the relation to the
trajectory or rows they ask for. docs/authorization.md is generated from the same declarations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from anyio import to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Problem
from api.state import AppState
from domain import policy
from domain.application import Bewijsketen
from domain.values import Actor

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


def may_read(read: policy.Read) -> Callable[..., Awaitable[Actor]]:
    """A dependency for a declared read: authenticates (unless anyone may read it) and lets
    through only callers whose role can stand in one of its reading relations; which rows or
    which trajectory they then see is decided by their relation (403 `not-permitted`
    otherwise). It authenticates by itself: every dependency is work on every request."""
    roles = frozenset(role for relation in read.readers for role in relation.roles)
    who = "; ".join(r.description for r in policy.Relation if r in read.readers)

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Actor:
        actor = await authenticate(request, credentials)
        # Of one trajectory or one student, whoever may not read it is told it does not exist
        # (by its route).
        if not read.hidden and actor.role not in roles:
            raise Problem(403, "Not permitted", f"This is read by {who}.", kind="not-permitted")
        return actor

    dependency.read = read  # type: ignore[attr-defined]
    return dependency


ApplicationDep = Annotated[Bewijsketen, Depends(get_application)]
ActorDep = Annotated[Actor, Depends(current_actor)]
StateDep = Annotated[AppState, Depends(get_state)]
