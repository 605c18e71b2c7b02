"""Who is looking at a page, and what every page needs around its content.

A page handler calls `visitor(request)`: the signed-in actor (the person in the one role they
chose), or it is sent to sign in (also when the session ran out) or to choose a role. Handlers
are wrapped by `page`, which turns "does not exist or may not be seen" (NotFound, and a read the
caller's relation does not allow) into the one 404 page.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from api.state import AppState
from api.web.session import Session, Sessions, new_session
from api.web.templating import render
from domain import policy
from domain.errors import NotFound, ReadNotPermitted
from domain.values import Actor, Role


class SignIn(Exception):
    """The visitor must sign in (again) before this page."""

    def __init__(self, back: str, expired: bool = False) -> None:
        self.back = back
        self.expired = expired


class ChooseRole(Exception):
    def __init__(self, back: str) -> None:
        self.back = back


class Hidden(Exception):
    """Answer with the 404 page: not there, or not for this visitor."""


# The pages of the menu, in order, and who sees them. The annual report (projections/reports)
# and the privacy page (api/web/privacy.py) get their entries here, beside their page modules.
NAV: tuple[tuple[str, str, frozenset[Role] | None], ...] = (
    ("Mijn werk", "/werk", None),
    ("Zoeken", "/zoeken", None),
    ("Borging", "/borging", frozenset({Role.COMMITTEE, Role.QUALITY, Role.INSPECTOR, Role.ADMIN})),
    (
        "Jaarverslag",
        "/jaarverslag",
        frozenset(
            role for relation in policy.READS["annual_report"].readers for role in relation.roles
        ),
    ),
    ("Logboek", "/logboek", None),
    (
        "Privacy",
        "/privacy",
        frozenset(
            role for relation in policy.READS["privacy_due"].readers for role in relation.roles
        ),
    ),
)


def state_of(request: Request) -> AppState:
    state: AppState = request.app.state.bewijsketen
    return state


def sessions(request: Request) -> Sessions:
    state = state_of(request)
    found = state.extras.get("web-sessions")
    if not isinstance(found, Sessions):
        found = state.extras["web-sessions"] = Sessions(state.settings.web)
    return found


def here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return request.url.path + query


def local_path(value: str | None, default: str = "/werk") -> str:
    """Only a path on this site may be gone back to after sign-in (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


@dataclass
class Visit:
    """A signed-in visitor on a page."""

    request: Request
    state: AppState
    session: Session
    actor: Actor
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> dict[str, str]:
        return self.state.persons.all()

    def may(self, read: str) -> bool:
        """Whether the visitor's role can stand in one of the read's relations (the gate the
        API's `may_read` applies before any row is looked at)."""
        roles = {role for relation in policy.READS[read].readers for role in relation.roles}
        return self.actor.role in roles

    def show(self, template: str, status: int = 200, **context: Any) -> Response:
        nav = [
            (label, path) for label, path, roles in NAV if roles is None or self.actor.role in roles
        ]
        return render(
            self.request,
            template,
            {
                "visit": self,
                "nav": nav,
                "path": self.request.url.path,
                "csrf": self.session.csrf,
                **context,
            },
            status,
        )


def current_session(request: Request) -> Session | None:
    return sessions(request).read(request)


def visitor(request: Request) -> Visit:
    session = current_session(request)
    if session is None or not session.signed_in:
        raise SignIn(here(request), expired=bool(session and session.expired))
    actor = session.actor
    if actor is None:
        raise ChooseRole(here(request))
    return Visit(request, state_of(request), session, actor)


def not_found(request: Request) -> Response:
    session = current_session(request)
    signed_in = session is not None and session.actor is not None
    return render(
        request,
        "not_found.html",
        {
            "visit": None,
            "nav": [(label, path) for label, path, _ in NAV] if signed_in else [],
            "csrf": session.csrf if session else "",
            "signed_in": signed_in,
        },
        404,
    )


def page(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Wraps a page handler: sign-in and role choice by redirect, and the one 404 page."""

    @functools.wraps(handler)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        request = kwargs.get("request") or next(a for a in args if isinstance(a, Request))
        try:
            return handler(*args, **kwargs)
        except SignIn as exc:
            target = f"/aanmelden?terug={quote(exc.back, safe='')}"
            if exc.expired:
                target += "&verlopen=1"
            return RedirectResponse(target, status_code=303)
        except ChooseRole as exc:
            return RedirectResponse(f"/rol?terug={quote(exc.back, safe='')}", status_code=303)
        except (NotFound, ReadNotPermitted, Hidden):
            return not_found(request)

    # FastAPI reads the parameters of the handler itself.
    wrapped.__signature__ = inspect.signature(handler)  # type: ignore[attr-defined]
    return wrapped


def parse_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Hidden() from None


def fresh_anonymous(session: Session | None) -> Session:
    """The session of someone not signed in: kept if there is one, so its CSRF token and any
    sign-in under way survive; a signed-in or expired one starts anew."""
    if session is None or session.signed_in or session.expired:
        return new_session()
    return replace(session)
