"""The sign-in session: a signed cookie (itsdangerous) that holds who is signed in, the roles
they may act in, the one they act in now, a CSRF token and when it ends.

Nothing is kept on the server, so every process of a site that shares the key reads the same
sessions. The cookie is HttpOnly and SameSite=Lax, and Secure when the request came over https
(or always, by setting). Before sign-in the cookie holds only a CSRF token and the state of a
sign-in under way (state, nonce and PKCE verifier).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from api.web.config import WebConfig
from domain.persistence.files import write_private
from domain.values import Actor, Role

COOKIE = "bwk_session"
# A sign-in under way must come back within this many seconds.
LOGIN_SECONDS = 600


@dataclass(frozen=True)
class Session:
    csrf: str
    person_id: str | None = None
    name: str | None = None
    roles: tuple[str, ...] = ()
    role: str | None = None
    expires_at: float = 0.0
    login: dict[str, str] = field(default_factory=dict)
    # Set when a signed-in session ran out, so the sign-in page can say so.
    expired: bool = False

    @property
    def signed_in(self) -> bool:
        return self.person_id is not None

    @property
    def actor(self) -> Actor | None:
        if self.person_id is None or self.role is None:
            return None
        return Actor(self.person_id, Role(self.role))

    def valid_csrf(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, str(token))


def new_session() -> Session:
    return Session(csrf=secrets.token_urlsafe(32))


def signed_in_as(
    person_id: str, name: str | None, roles: list[Role], lifetime_seconds: float
) -> Session:
    """A fresh session (a new CSRF token too) for someone who has just signed in; with one role
    it is the one they act in, with several they pick."""
    return Session(
        csrf=secrets.token_urlsafe(32),
        person_id=person_id,
        name=name,
        roles=tuple(r.value for r in roles),
        role=roles[0].value if len(roles) == 1 else None,
        expires_at=time.time() + lifetime_seconds,
    )


def _secret(config: WebConfig) -> str:
    if config.session_secret:
        return config.session_secret
    path: Path = config.secret_file
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        write_private(path, key.encode("ascii"))
        return key


class Sessions:
    """Reads and writes the session cookie."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.serializer = URLSafeSerializer(_secret(config), salt="bewijsketen-web-session")

    def encode(self, session: Session) -> str:
        return self.serializer.dumps(asdict(session))

    def decode(self, value: str | None) -> Session | None:
        if not value:
            return None
        try:
            data: Any = self.serializer.loads(value)
            data["roles"] = tuple(data.get("roles", ()))
            found = Session(**data)
        except (BadSignature, TypeError, ValueError, KeyError):
            return None
        if found.login and float(found.login.get("started", 0)) + LOGIN_SECONDS < time.time():
            found = replace(found, login={})
        if found.signed_in and found.expires_at <= time.time():
            return replace(new_session(), expired=True)
        return found

    def read(self, request: Request) -> Session | None:
        return self.decode(request.cookies.get(COOKIE))

    def secure(self, request: Request) -> bool:
        return self.config.secure_cookies or request.url.scheme == "https"

    def write(self, response: Response, request: Request, session: Session) -> None:
        # The cookie lives as long as a sign-in may; what it says is checked on every request.
        response.set_cookie(
            COOKIE,
            self.encode(replace(session, expired=False)),
            max_age=int(self.config.session_lifetime.total_seconds()) + LOGIN_SECONDS,
            httponly=True,
            samesite="lax",
            secure=self.secure(request),
            path="/",
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE, path="/", httponly=True, samesite="lax", secure=self.secure(request)
        )
