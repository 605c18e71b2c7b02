"""How a POST becomes a command: actor, idempotency key, If-Match, and the answer.

The domain keeps, on each aggregate, the idempotency key and fingerprint of the request that
caused each event; a repeat is answered from the events, and nothing new is written. This module
computes the fingerprint, passes If-Match on as the expected version, and builds the same answer
for the first request and for every repeat of it.
"""

# No `from __future__ import annotations`: FastAPI must see the dependency annotations of the
# closures in `command()` as objects, since they refer to a local (`gate`).
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel

from api.deps import require_roles
from api.problems import Problem
from api.responses import json_response
from domain.application import Bewijsketen, CommandResult
from domain.errors import VersionMismatch
from domain.positions import log_position
from domain.values import Actor, CommandRef, Role

IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
IF_MATCH_PATTERN = r'^\s*(\*|(W/)?"?[0-9]{1,9}"?)\s*$'
_VERSION = re.compile(r"[0-9]+")

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


def fingerprint(method: str, path: str, actor: Actor, body: BaseModel | None) -> str:
    """sha256 over what makes two requests the same request: method, path, actor, body.

    The body is the validated model in canonical JSON, so key order, whitespace and spelled-out
    defaults do not matter.
    """
    canonical = json.dumps(
        body.model_dump(mode="json") if body is not None else None,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    text = "\n".join((method, path, actor.person_id, actor.role.value, canonical))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """The answer to a command, identical for the first request and its repeats."""

    id: uuid.UUID
    version: int
    position: int | None
    value: Any
    replayed: bool

    def fields(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "position": self.position}


Call = Callable[[CommandRef | None, int | None], CommandResult]


class CommandContext:
    """One command request: who, which idempotency key, which expected version."""

    def __init__(
        self,
        request: Request,
        application: Bewijsketen,
        actor: Actor,
        idempotency_key: str | None,
        expected_version: int | None,
    ) -> None:
        self.request = request
        self.headers: dict[str, str] = {}
        self.application = application
        self.actor = actor
        self.idempotency_key = idempotency_key
        self.expected_version = expected_version

    def run(
        self,
        body: BaseModel | None,
        call: Call,
        replay_value: Callable[[Any], Any] | None = None,
        location: Callable[[uuid.UUID], str] | None = None,
    ) -> Outcome:
        """Runs the command; on a repeat, answers as the first time from the stored events."""
        ref = None
        if self.idempotency_key is not None:
            ref = CommandRef(
                self.idempotency_key,
                fingerprint(self.request.method, self.request.url.path, self.actor, body),
            )
        try:
            result = call(ref, self.expected_version)
        except VersionMismatch:
            if ref is None:
                raise
            # A concurrent twin of this very request may have won the race; the domain checks
            # for a replay before it compares versions, so one more call tells the two apart.
            result = call(ref, self.expected_version)
        if result.replayed and ref is not None:
            outcome = self._replayed(result.aggregate_id, ref.key, replay_value)
            self.headers["Idempotent-Replayed"] = "true"
        else:
            outcome = Outcome(
                result.aggregate_id, result.version, result.position, result.value, False
            )
        self.headers["ETag"] = etag(outcome.version)
        if location is not None:
            self.headers["Location"] = location(outcome.id)
        return outcome

    def answer(self, model: BaseModel, status_code: int = 200) -> Response:
        """The command's answer with its headers (ETag, Location, Idempotent-Replayed)."""
        return json_response(model, status_code, self.headers)

    def _replayed(
        self, aggregate_id: uuid.UUID, key: str, replay_value: Callable[[Any], Any] | None
    ) -> Outcome:
        # The answer is rebuilt from the last event the first request wrote, found by its key,
        # so that version, position and value are exactly those of the first answer.
        last = None
        for domain_event in self.application.events.get(aggregate_id):
            command = getattr(domain_event, "command", None)
            if command is not None and command.key == key:
                last = domain_event
        if last is None:  # the domain said replayed, so the event exists; be loud if not
            raise Problem(
                409, "Conflict", f"idempotency key {key!r} has no recorded event", kind="conflict"
            )
        version = int(last.originator_version)
        value = replay_value(last) if replay_value is not None else None
        position = log_position(self.application.recorder, aggregate_id, version)
        return Outcome(aggregate_id, version, position, value, True)


def command(*roles: Role, if_match: bool = True) -> Callable[..., Any]:
    """The dependency of a command route: the roles that may call it, Idempotency-Key, and
    (where the domain can honour it) If-Match."""
    gate = require_roles(*roles)

    if if_match:

        async def with_if_match(
            request: Request,
            actor: Annotated[Actor, Depends(gate)],
            idempotency_key: IdempotencyKey = None,
            if_match_header: IfMatch = None,
        ) -> CommandContext:
            return CommandContext(
                request,
                request.app.state.bewijsketen.application,
                actor,
                idempotency_key,
                parse_if_match(if_match_header),
            )

        return with_if_match

    async def without_if_match(
        request: Request,
        actor: Annotated[Actor, Depends(gate)],
        idempotency_key: IdempotencyKey = None,
    ) -> CommandContext:
        return CommandContext(
            request, request.app.state.bewijsketen.application, actor, idempotency_key, None
        )

    return without_if_match
