"""Jinja2 templates of the pages, their filters, and the headers every page carries."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.refusals import rule_title
from api.web import dutch as nl

HERE = Path(__file__).parent
STATIC = HERE / "static"

# Everything comes from this site: no CDN, no inline script. Inline SVG charts need no rule.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Pages show personal data: never kept by a shared cache or the browser's back-forward one.
    "Cache-Control": "no-store",
}


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    filters: dict[str, Callable[..., Any]] = {
        "when": nl.when,
        "day": nl.day,
        "step": nl.step,
        "number": nl.number,
        "percent": nl.percent,
        "missing": nl.missing,
        "rule_title": rule_title,
        "role": lambda v: nl.word(nl.ROLES, v),
        "role_as": lambda v: nl.word(nl.ROLE_AS, v),
        "phase": lambda v: nl.word(nl.PHASES, v),
        "light": lambda v: nl.word(nl.LIGHTS, v),
        "verdict": lambda v: nl.word(nl.VERDICTS, v),
        "vote": lambda v: nl.word(nl.VOTES, v),
        "source": lambda v: nl.word(nl.SOURCES, v),
        "kind": lambda v: nl.word(nl.KINDS, v),
        "decision": lambda v: nl.word(nl.DECISIONS, v),
        "item": lambda v: nl.word(nl.ITEMS, v),
    }
    env.filters.update(filters)
    return env


def render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    body = environment().get_template(template).render(request=request, **context)
    return HTMLResponse(body, status_code=status, headers=HEADERS)
