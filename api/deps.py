"""FastAPI dependencies: the process state, the application and the authenticated actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.problems import Problem
from api.state import AppState
from domain.application import Bewijsketen
from domain.values import Actor, Role

bearer = HTTPBearer(auto_error=False, description="A token from `bewijsketen token create`.")


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.bewijsketen
    return state


def get_application(state: Annotated[AppState, Depends(get_state)]) -> Bewijsketen:
    return state.application


def current_actor(
    state: Annotated[AppState, Depends(get_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The actor always comes from the credentials, never from a request body."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "Unauthorized", "A bearer token is required.")
    actor = state.extras["authenticator"].authenticate(credentials.credentials)
    if actor is None:
        raise Problem(401, "Unauthorized", "The bearer token is not valid.")
    assert isinstance(actor, Actor)
    return actor


def require_roles(*roles: Role) -> Callable[[Actor], Actor]:
    allowed = frozenset(roles)

    def dependency(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        if actor.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise Problem(403, "Forbidden", f"This operation is for: {names}.")
        return actor

    return dependency


ApplicationDep = Annotated[Bewijsketen, Depends(get_application)]
ActorDep = Annotated[Actor, Depends(current_actor)]
StateDep = Annotated[AppState, Depends(get_state)]
