"""RFC 9457 problem details for every error the API returns."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DomainError,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    RuleViolation,
    VersionMismatch,
)
from domain.trajectory import NotPermitted

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://bewijsketen.nl/problems/"


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.extra = extra


def problem_response(
    status: int, title: str, detail: str, instance: str, kind: str, **extra: Any
) -> JSONResponse:
    body = {"type": TYPE_BASE + kind, "title": title, "status": status, "detail": detail,
            "instance": instance, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def domain_problem(exc: DomainError, instance: str) -> JSONResponse:
    if isinstance(exc, NotPermitted):
        return problem_response(403, "Not permitted", exc.message, instance, "forbidden",
                                rule=exc.rule)
    if isinstance(exc, InvalidInput):
        return problem_response(422, "Invalid input", exc.message, instance, "invalid-input",
                                rule=exc.rule)
    if isinstance(exc, RuleViolation):
        return problem_response(409, "Rule violated", exc.message, instance, "rule-violation",
                                rule=exc.rule)
    if isinstance(exc, NotFound):
        return problem_response(404, "Not found", str(exc), instance, "not-found")
    if isinstance(exc, AlreadyExists):
        return problem_response(409, "Already exists", str(exc), instance, "already-exists")
    if isinstance(exc, VersionMismatch):
        return problem_response(412, "Precondition failed", str(exc), instance,
                                "version-mismatch", current_version=exc.actual)
    if isinstance(exc, ConcurrencyConflict):
        return problem_response(409, "Conflict", str(exc), instance, "conflict")
    if isinstance(exc, IdempotencyMismatch):
        return problem_response(422, "Idempotency key reused", str(exc), instance,
                                "idempotency-key-reused")
    return problem_response(400, "Refused", str(exc), instance, "refused")


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc, request.url.path)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        kind = exc.title.lower().replace(" ", "-")
        return problem_response(exc.status, exc.title, exc.detail, request.url.path, kind,
                                **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem_response(422, "Validation failed", "The request is not valid.",
                                request.url.path, "validation", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(exc.status_code, str(exc.detail), str(exc.detail),
                                request.url.path, f"http-{exc.status_code}")
