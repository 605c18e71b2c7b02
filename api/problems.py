"""RFC 9457 problem details for every error the API returns, and their OpenAPI declarations."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from api.refusals import dutch
from api.schemas.common import ProblemDetails
from domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DomainError,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    NotPermitted,
    ReadNotPermitted,
    RuleViolation,
    VersionMismatch,
)
from domain.persistence.outage import UNAVAILABLE, is_unavailable

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://bewijsketen.nl/problems/"

log = logging.getLogger("bewijsketen.api")

# Seconds a client is asked to wait before it tries again while the database is unreachable.
RETRY_AFTER_SECONDS = 1


class Problem(Exception):
    """Raise from a route or dependency to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind or title.lower().replace(" ", "-")
        self.headers = headers
        self.extra = extra


# Every kind of problem the API answers with, its one status, and when. docs/api.md holds this
# table (a test keeps the two equal); an answer with another status for a kind is a bug.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "malformed-body": (400, "The body is not JSON at all."),
    "unauthorized": (401, "No bearer token, a token that is not valid, or expired."),
    "not-permitted": (
        403,
        "The caller may see this but not do it; `rule` names the rule that says who does.",
    ),
    "not-found": (
        404,
        "No such resource, or one the caller may not see: the same answer, word for word.",
    ),
    "http-404": (404, "No such path."),
    "http-405": (405, "The path exists, the method not (`Allow` lists the methods)."),
    "already-exists": (409, "A program or trajectory with this id exists."),
    "rule-violation": (409, "A rule refused the command in the state it found; `rule` names it."),
    "conflict": (
        409,
        "Concurrent writers kept winning, or the audit log cannot do this now (no key, empty).",
    ),
    "version-mismatch": (412, "If-Match is not the current version (`current_version`)."),
    "body-too-large": (413, "The body is larger than the server accepts."),
    "validation": (422, "The request does not match the schema; `errors` names each field."),
    "invalid-input": (422, "A rule refused the input itself; `rule` names it."),
    "body-too-deep": (422, "The body nests deeper than the server reads."),
    "idempotency-key-reused": (422, "The Idempotency-Key was used before with another request."),
    "internal": (500, "A fault of the server; nothing about it is told."),
    "unavailable": (503, "The database cannot be reached now; retry after `Retry-After`."),
    "read-models-unavailable": (503, "The read models are not being served by this process."),
}


def problem_response(
    status: int,
    title: str,
    detail: str,
    instance: str,
    kind: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    expected = PROBLEM_TYPES.get(kind, (status, ""))[0]
    if expected != status:  # a programming error: one status per kind, everywhere
        raise AssertionError(f"problem {kind} is {expected}, not {status}")
    body = {
        "type": TYPE_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def domain_problem(exc: DomainError, instance: str) -> JSONResponse:
    """The one place where a refusal by the domain becomes an HTTP status."""
    if isinstance(exc, NotPermitted):
        return problem_response(
            403,
            "Not permitted",
            exc.message,
            instance,
            "not-permitted",
            rule=exc.rule,
            detail_nl=dutch(exc.rule, exc.message),
        )
    if isinstance(exc, InvalidInput):
        return problem_response(
            422,
            "Invalid input",
            exc.message,
            instance,
            "invalid-input",
            rule=exc.rule,
            detail_nl=dutch(exc.rule, exc.message),
        )
    if isinstance(exc, RuleViolation):
        return problem_response(
            409,
            "Rule violated",
            exc.message,
            instance,
            "rule-violation",
            rule=exc.rule,
            detail_nl=dutch(exc.rule, exc.message),
        )
    if isinstance(exc, ReadNotPermitted):
        return problem_response(403, "Not permitted", str(exc), instance, "not-permitted")
    if isinstance(exc, NotFound):
        return problem_response(404, "Not found", str(exc), instance, "not-found")
    if isinstance(exc, AlreadyExists):
        return problem_response(409, "Already exists", str(exc), instance, "already-exists")
    if isinstance(exc, VersionMismatch):
        return problem_response(
            412,
            "Precondition failed",
            str(exc),
            instance,
            "version-mismatch",
            current_version=exc.actual,
        )
    if isinstance(exc, ConcurrencyConflict):
        return problem_response(409, "Conflict", str(exc), instance, "conflict")
    if isinstance(exc, IdempotencyMismatch):
        return problem_response(
            422, "Idempotency key reused", str(exc), instance, "idempotency-key-reused"
        )
    # Every DomainError subclass is handled above; a new one must get its own status here.
    log.error("unmapped domain error %r", exc)
    return problem_response(500, "Internal error", "", instance, "internal")


def unavailable_problem(request: Request, exc: BaseException) -> JSONResponse:
    """503 while the database cannot be reached: the request may be repeated as it was."""
    log.warning(
        "database unavailable on %s %s: %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    return problem_response(
        503,
        "Service unavailable",
        "The database did not answer; try again shortly. Repeat a command with the same "
        "Idempotency-Key: if it was stored after all, the answer comes from the record and "
        "it is never applied twice.",
        request.url.path,
        "unavailable",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at this path (for the Allow header of a 405)."""
    methods: set[str] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format:
            regex, _, _ = compile_path(context.path_format)
            if regex.match(request.url.path):
                methods |= set(route.methods or ())
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return domain_problem(exc, request.url.path)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            request.url.path,
            exc.kind,
            exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            # Not JSON at all: nothing could be validated.
            return problem_response(
                400,
                "Malformed body",
                "The body is not valid JSON.",
                request.url.path,
                "malformed-body",
                errors=errors,
            )
        return problem_response(
            422,
            "Validation failed",
            "The request is not valid.",
            request.url.path,
            "validation",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # Starlette names only the methods of the first route that matched the path.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(app, request))}
        return problem_response(
            exc.status_code,
            str(exc.detail),
            str(exc.detail),
            request.url.path,
            f"http-{exc.status_code}",
            headers,
        )

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        return unavailable_problem(request, exc)

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, _unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):
            return unavailable_problem(request, exc)
        # A 5xx is a bug; log it in full and tell the client nothing about the internals.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Internal error", "", request.url.path, "internal")


DESCRIPTIONS = {
    400: "The body could not be parsed.",
    401: "No bearer token, or not a valid one.",
    403: "The actor's role may not do this, or the domain refuses this person (the `rule` "
    "field says which rule).",
    404: "No such resource (a student gets this for another student's trajectory).",
    409: "A domain rule refused the command (`rule` names it), the resource already exists, "
    "or concurrent writers kept conflicting.",
    412: "If-Match does not name the current version (`current_version` has it).",
    413: "The request body is larger than the API accepts (BEWIJSKETEN_MAX_BODY_BYTES).",
    422: "The request is not valid: schema validation, invalid input by a rule (`rule`), a "
    "body nested too deep, or an Idempotency-Key reused with another request.",
    503: "The event store is not reachable.",
}


def problem_table() -> str:
    """The table of docs/api.md."""
    lines = ["| type | status | when |", "|---|---:|---|"]
    for kind, (status, when) in PROBLEM_TYPES.items():
        lines.append(f"| `{kind}` | {status} | {when} |")
    return "\n".join(lines)


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given problem statuses (see `fix_problem_media_type`)."""
    return {code: {"model": ProblemDetails, "description": DESCRIPTIONS[code]} for code in codes}


def fix_problem_media_type(schema: dict[str, Any]) -> dict[str, Any]:
    """Makes the documented errors what the API sends, for every route (also ones that declare
    nothing): problems are application/problem+json, FastAPI's default 422 is a problem too, and
    an operation that needs a token can answer 401."""
    ref = "#/components/schemas/ProblemDetails"
    problem_content = {PROBLEM_JSON: {"schema": {"$ref": ref}}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault(
        "ProblemDetails",
        ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}"),
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status, response in responses.items():
                content = response.get("content", {})
                body_ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                if any(media.get("schema", {}).get("$ref") == ref for media in content.values()):
                    # A route with another response class (text/plain) still sends its problems
                    # as problem documents.
                    response["content"] = dict(problem_content)
                elif status == "422" and body_ref.endswith("/HTTPValidationError"):
                    response["content"] = dict(problem_content)
                    response["description"] = DESCRIPTIONS[422]
            for parameter in operation.get("parameters", []):
                _drop_null(parameter)
            if "requestBody" in operation and "413" not in responses:
                # api/limits.py refuses any body over the size limit, before the route runs.
                responses["413"] = {
                    "description": DESCRIPTIONS[413],
                    "content": dict(problem_content),
                }
            if operation.get("security") and "401" not in responses:
                responses["401"] = {
                    "description": DESCRIPTIONS[401],
                    "content": dict(problem_content),
                }
    # Every validation failure is answered as a problem document: FastAPI's own error shapes
    # are never sent.
    for unused in ("HTTPValidationError", "ValidationError"):
        if not any(f'/{unused}"' in text for text in [_dumps(schema.get("paths", {}))]):
            components.pop(unused, None)
    return schema


def _dumps(value: Any) -> str:

    return json.dumps(value)


def _drop_null(parameter: dict[str, Any]) -> None:
    """An optional parameter is documented as `anyOf: [X, null]`; a client leaves it out rather
    than sending "null", so document X."""
    schema = parameter.get("schema", {})
    variants = schema.get("anyOf")
    if parameter.get("required") or not isinstance(variants, list):
        return
    rest = [v for v in variants if v != {"type": "null"}]
    if len(rest) == 1 and len(rest) < len(variants):
        extras = {k: v for k, v in schema.items() if k != "anyOf"}
        parameter["schema"] = {**rest[0], **extras}
