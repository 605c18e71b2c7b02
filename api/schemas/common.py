"""Building blocks shared by the API's answers: problem documents and date-time parameters.

Request bodies are derived from the command declarations (`api.commands`); the bounds of every
field a client sends are declared once, in `domain.fields`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from domain.fields import MAX_INT

__all__ = ["MAX_INT", "IsoDateTime", "ProblemDetails"]

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _iso_only(value: Any) -> Any:
    # pydantic would also read "0.5" as a Unix time and "2026-01-01" as midnight; the API
    # documents (and accepts) ISO 8601 date-times only.
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("expected an ISO 8601 date-time, e.g. 2026-03-01T12:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


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
                    "detail": "the green light is decided after the second medium-stake",
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
    detail_nl: str | None = Field(
        None,
        description="The refusal in Dutch, as the web pages show it (api/refusals.py).",
        examples=["Over het groene licht wordt pas na de tweede medium-stake besloten."],
    )
    current_version: int | None = Field(
        None, description="On 412: the aggregate's current version."
    )
    errors: list[dict[str, Any]] | None = Field(
        None, description="On 422 validation failures: one entry per invalid field."
    )
