"""How a command becomes an HTTP route, derived from its declaration in `domain.commands`.

A route's path names the command's aggregate and any other fields that belong in the URL; every
other field of the command is the request body. The body schema, its documentation and example,
the response model and the route's summary all come from the command class, so the HTTP API
cannot drift from the domain. The actor is whoever is authenticated; `Idempotency-Key` makes a
POST safe to repeat and `If-Match` makes it conditional on the version the client last saw.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures built below as objects.
import inspect
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from fastapi import Depends, Header, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from api.deps import current_actor
from api.responses import json_response
from domain.application import Bewijsketen, CommandResult
from domain.commands import Command
from domain.values import Actor

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"?[0-9]{1,9}"?)\s*$'
_VERSION = re.compile(r"[0-9]+")
_PARAM = re.compile(r"{(\w+)}")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Makes the POST safe to repeat: a repeat with the same key and body returns "
        "the first answer and writes nothing; the same key with another body is a 422.",
        examples=["3f1c2a9e-6d1b-4b8e-9a57-0c7d2f1e4b11"],
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=IF_MATCH_PATTERN,
        description="The version (ETag) the client last saw; the command is refused with 412 if "
        "the aggregate has moved on since.",
        examples=['"7"'],
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(
        alias="If-None-Match",
        max_length=1000,
        description="The ETag(s) the client holds; 304 without a body if one is current.",
        examples=['"7"'],
    ),
]


def etag(version: int) -> str:
    return f'"{version}"'


def etag_matches(header: str | None, version: int) -> bool:
    """If-None-Match: does the header name this version (or `*`)?"""
    if header is None:
        return False
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        if tag == "*" or tag == str(version):
            return True
    return False


def parse_if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    found = _VERSION.search(value)
    return int(found.group()) if found else None


class CommandResponse(BaseModel):
    """What every command answers. Send `position` to the read models to read your own write."""

    id: uuid.UUID = Field(description="The aggregate the command changed.")
    version: int = Field(
        description="The aggregate's version after the command (its ETag; send it as If-Match).",
        examples=[7],
    )
    position: int | None = Field(
        description="Position in the application's event log of the command's last event.",
        examples=[1234],
    )


@dataclass(frozen=True)
class CommandRoute:
    """Where a command is sent: its path (whose parameters are fields of the command), the tag
    it is documented under, the success status, and where the result can be read."""

    command: type[Command]
    path: str
    tag: str
    status: int = 200
    location: str | None = None  # a path template over the answer's fields

    @property
    def path_fields(self) -> tuple[str, ...]:
        return tuple(_PARAM.findall(self.path))

    @property
    def operation_id(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.command.__name__).lower()

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.command) or self.command.__name__
        return doc.split("\n\n", 1)[0].split(":", 1)[0].rstrip(".").replace("\n", " ")

    @property
    def description(self) -> str:
        return inspect.getdoc(self.command) or ""

    @property
    def conditional(self) -> bool:
        """If-Match applies to commands on an existing aggregate."""
        return self.command.target_field() is not None


class CommandContext:
    """One command request: who sends it, its idempotency key and the version it expects."""

    def __init__(
        self,
        request: Request,
        actor: Actor,
        idempotency_key: str | None,
        expected_version: int | None,
    ) -> None:
        self.application: Bewijsketen = request.app.state.bewijsketen.application
        self.actor = actor
        self.idempotency_key = idempotency_key
        self.expected_version = expected_version

    def run(self, command: Command) -> CommandResult:
        return self.application.execute(
            command, self.actor, self.idempotency_key, self.expected_version
        )


async def command_context(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    idempotency_key: IdempotencyKey = None,
    if_match: IfMatch = None,
) -> CommandContext:
    return CommandContext(request, actor, idempotency_key, parse_if_match(if_match))


async def create_context(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    idempotency_key: IdempotencyKey = None,
) -> CommandContext:
    return CommandContext(request, actor, idempotency_key, None)


def _path_parameter(name: str, info: FieldInfo) -> Any:
    """A FastAPI path parameter with the bounds and documentation of the command's field."""
    bounds: dict[str, Any] = {}
    for item in info.metadata:
        for kind, key in ((Ge, "ge"), (Gt, "gt"), (Le, "le"), (Lt, "lt")):
            if isinstance(item, kind):
                bounds[key] = getattr(item, key)
        if isinstance(item, MinLen):
            bounds["min_length"] = item.min_length
        if isinstance(item, MaxLen):
            bounds["max_length"] = item.max_length
        pattern = getattr(item, "pattern", None)
        if isinstance(pattern, str):
            bounds["pattern"] = pattern
    description = info.description or f"The {name.replace('_', ' ')}."
    return Annotated[info.annotation, Path(description=description, **bounds)]


def _without(examples: Any, names: tuple[str, ...]) -> Any:
    if not isinstance(examples, list):
        return examples
    return [{k: v for k, v in e.items() if k not in names} for e in examples]


def body_model(route: CommandRoute) -> type[BaseModel]:
    """The request body: the command's fields that are not in the path, as declared."""
    command = route.command
    skip = route.path_fields
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in command.model_fields.items()
        if name not in skip
    }
    extra = command.model_config.get("json_schema_extra")
    examples = _without(extra.get("examples"), skip) if isinstance(extra, dict) else None
    config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={"examples": examples} if examples else None,
    )
    model: type[BaseModel] = create_model(
        command.__name__, __config__=config, __doc__=route.description, **fields
    )
    return model


def response_model(route: CommandRoute) -> type[BaseModel]:
    result = route.command.result
    if result is None:
        return CommandResponse
    fields: dict[str, Any] = {result.name: (result.type, Field(description=result.description))}
    model: type[BaseModel] = create_model(
        f"{route.command.__name__}Result", __base__=CommandResponse, **fields
    )
    return model


def _answer_value(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def endpoint(route: CommandRoute) -> Callable[..., Response]:
    """The route function of a command, with a signature FastAPI can read."""
    command, body_type, answer_type = route.command, body_model(route), response_model(route)
    result = command.result
    context = command_context if route.conditional else create_context

    def handle(body: BaseModel, cmd: CommandContext, **path: Any) -> Response:
        sent = command.model_validate({**dict(body), **path})
        outcome = cmd.run(sent)
        fields = {"id": outcome.aggregate_id, "version": outcome.version}
        extra = {result.name: _answer_value(outcome.value)} if result is not None else {}
        answer = answer_type(**fields, position=outcome.position, **extra)
        headers = {"ETag": etag(outcome.version)}
        if outcome.replayed:
            headers["Idempotent-Replayed"] = "true"
        if route.location is not None:
            values = {**path, **answer.model_dump(), "id": outcome.aggregate_id}
            headers["Location"] = route.location.format(**values)
        return json_response(answer, route.status, headers)

    parameters = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=_path_parameter(name, command.model_fields[name]),
        )
        for name in route.path_fields
    ]
    parameters += [
        inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=body_type),
        inspect.Parameter(
            "cmd",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[CommandContext, Depends(context)],
        ),
    ]

    def route_function(**kwargs: Any) -> Response:
        body, cmd = kwargs.pop("body"), kwargs.pop("cmd")
        return handle(body, cmd, **kwargs)

    route_function.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    route_function.command = command  # type: ignore[attr-defined]
    route_function.__name__ = route.operation_id
    route_function.__doc__ = route.description
    return route_function
