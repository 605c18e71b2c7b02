"""Posted forms: read once, and refused unless they carry the session's CSRF token and come
from this site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData

from api.web.session import Session

CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Posted:
    form: FormData
    origin_ok: bool

    def get(self, name: str, default: str = "") -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else default

    def raw(self, name: str) -> str:
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    def all(self, name: str) -> list[str]:
        return [v for v in self.form.getlist(name) if isinstance(v, str)]

    def genuine(self, session: Session | None) -> bool:
        """The form came from a page of this site in this session (CSRF)."""
        return self.origin_ok and session is not None and session.valid_csrf(self.raw(CSRF_FIELD))


async def read_form(request: Request) -> Posted:
    form = await request.form()
    origin = request.headers.get("origin")
    # A browser sends Origin with every POST; when it does, it must be this site.
    ok = origin is None or (origin != "null" and _same_site(origin, request))
    return Posted(form, ok)


def _same_site(origin: str, request: Request) -> bool:
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    return bool(parts.netloc) and parts.netloc == host


Form = Annotated[Posted, Depends(read_form)]
