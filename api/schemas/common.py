"""Building blocks shared by every resource: bounded text types, the command answer, problems.

Every string a client sends is bounded, and text that cannot be stored as UTF-8 (a lone
surrogate such as "\\ud800", which JSON allows) is refused here with a 422, before it can reach
the event store's encoder.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

# Limits are generous for real use and keep a single request cheap to validate and store.
MAX_ID = 200
MAX_CODE = 100
MAX_TEXT = 20_000
MAX_URI = 2_000
MAX_ITEMS = 200
MAX_INT = 2**31 - 1

PersonId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_ID, pattern=r"^[^\x00-\x20\x7f-\xa0]+$"),
    Field(
        description="A person's id, as the school's identity provider knows it.",
        examples=["student-01"],
    ),
]
# Ids that also appear in URL paths (evidence) keep to characters that need no escaping.
ItemId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE, pattern=r"^[A-Za-z0-9._~-]+$"),
    Field(description="A client-chosen id, unique on the trajectory.", examples=["ev-1"]),
]
Code = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE),
    Field(
        description="A code from the program version (outcome, criterion or rubric level).",
        examples=["LO1"],
    ),
]
Level = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_CODE),
    Field(description="A rubric level of the program version.", examples=["bekwaam"]),
]
Text = Annotated[
    str,
    StringConstraints(max_length=MAX_TEXT),
    Field(description="Free text; the domain refuses an empty text where one is required."),
]
Uri = Annotated[
    str,
    StringConstraints(max_length=MAX_URI),
    Field(
        description="Where the content lives.",
        examples=["https://portfolio.example.nl/student-01/ev-1"],
    ),
]
Sha256 = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{64}$"),
    Field(
        description="Lowercase hex SHA-256 of the content.",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ),
]
Number = Annotated[int, Field(ge=1, le=MAX_INT)]
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_only(value: Any) -> Any:
    # pydantic would also read "0.5" as a Unix time and "2026-01-01" as midnight; the API
    # documents (and accepts) ISO 8601 date-times only.
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-03-01T12:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def _unencodable(value: Any) -> bool:
    # Iterative: a body nested deeper than the interpreter's stack must not end in a 500.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


class Body(BaseModel):
    """Base of every request body: unknown fields are refused (there is no `actor` field to
    smuggle in: the actor comes from the credentials), and all text must be valid Unicode."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if _unencodable(data):
            raise ValueError("text must be valid Unicode (no lone surrogate code points)")
        return data


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


class ProblemDetails(BaseModel):
    """An RFC 9457 problem document (media type application/problem+json)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://bewijsketen.nl/problems/rule-violation",
                    "title": "Rule violated",
                    "status": 409,
                    "detail": "the green light comes after the second medium-stake",
                    "instance": "/trajectories/1b4e28ba-2fa1-11d2-883f-0016d3cca427/green-light",
                    "rule": "R7",
                }
            ]
        },
    )

    type: str = Field(description="A URI that identifies the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field("", description="What went wrong in this occurrence.")
    instance: str = Field("", description="The request path of this occurrence.")
    rule: str | None = Field(
        None, description="The domain rule (R1–R16) that refused the command.", examples=["R9"]
    )
    current_version: int | None = Field(
        None, description="On 412: the aggregate's current version."
    )
    errors: list[dict[str, Any]] | None = Field(
        None, description="On 422 validation failures: one entry per invalid field."
    )
