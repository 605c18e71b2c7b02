"""What every list of the API shares: one page shape, reading read models at a position
(read-your-writes), and only the rows the caller may see.

Read-your-writes: every command answers with the log `position` of its last event. A query
that passes `?min_position=N` waits (at most BEWIJSKETEN_READ_WAIT_MAX seconds, 5 by default)
until the read model has applied the log up to N; if it has not by then, or N lies beyond the
log's head, the answer comes at once with `stale: true` and `X-Projection-Stale: true`. Every
answer carries `X-Projection-Position`, the position the data reflects.
"""

from __future__ import annotations

import types
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, cast, get_args

from fastapi import Query, Response
from pydantic import BaseModel, Field, create_model

from api.deps import StateDep
from api.problems import Problem
from domain import policy
from domain.directory import Directory
from domain.policy import Relation
from domain.values import Actor, Phase
from projections import log
from projections.models.progress import ASSESSORS as PROGRESS_ASSESSORS
from projections.queries import Page, ReadQueries, Where
from projections.schema import Table
from projections.service import ProjectionService

PY_TYPES: dict[str, Any] = {
    "uuid": uuid.UUID,
    "text": str,
    "int": int,
    "bool": bool,
    "float": float,
    "time": datetime,
    "date": date,
    "json": Any,
    "bytes": bytes,
    # Opened when read: the text, or the placeholder once its key is shredded.
    "sealed": str,
}
MAX_WAIT = 5.0
MAX_OFFSET = 1_000_000

# ---- response models, derived from the table declarations so the two never drift apart


def row_model(table: Table, name: str, **extra: Any) -> type[BaseModel]:
    fields: dict[str, Any] = {
        c.name: (PY_TYPES[c.type] | None, Field(description=c.description)) for c in table.columns
    }
    fields.update(extra)
    model: type[BaseModel] = create_model(name, __doc__=table.doc, **fields)
    return model


def page_model(item: type[BaseModel], name: str) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        name,
        position=(int, Field(description="The log position the data reflects.")),
        stale=(bool, Field(description="True if min_position was asked and not reached.")),
        limit=(int, Field(description="Page size asked for.")),
        offset=(int, Field(description="Rows skipped.")),
        next_offset=(int | None, Field(description="Offset of the next page; null on the last.")),
        total=(int | None, Field(description="Rows the filter selects, where counting is cheap.")),
        items=(
            cast(Any, types.GenericAlias(list, (item,))),
            Field(description="The rows of this page."),
        ),
    )
    return model


# ---- parameters every list takes

PhaseName = Literal["orientation", "low_stakes", "medium_stakes", "high_stake", "resit", "closed"]

Limit = Annotated[int, Query(ge=1, le=500, description="Page size: 50 unless asked, at most 500.")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")]
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=2**62,
        description="Wait (at most 5 s) until the read model has applied the log up to this "
        "position, e.g. the `position` a command answered.",
    ),
]
IdText = Annotated[str | None, Query(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]


@dataclass(frozen=True)
class Reading:
    queries: ReadQueries
    position: int
    stale: bool
    directory: Directory

    def page(self, page: Page) -> dict[str, Any]:
        return {
            "position": self.position,
            "stale": self.stale,
            "limit": page.limit,
            "offset": page.offset,
            "next_offset": page.next_offset,
            "total": page.total,
            "items": page.items,
        }


def service_of(state: Any) -> ProjectionService:
    service = state.services.get("projections")
    if not isinstance(service, ProjectionService):
        raise Problem(503, "Read models unavailable", "The projection service is not running.")
    return service


def reading(name: str) -> Any:
    """A dependency that waits for `min_position` on projection `name` (bounded)."""

    def dependency(
        state: StateDep, response: Response, min_position: MinPosition = None
    ) -> Reading:
        service = service_of(state)
        if min_position is None:
            position = service.store.position(name) or 0
            stale = False
        else:
            position = service.store.position(name) or 0
            if position < min_position and min_position <= log.head(service.app):
                wait = min(MAX_WAIT, service.config.read_wait_max)
                position = service.wait_for(name, min_position, wait)
            stale = position < min_position
        response.headers["X-Projection-Position"] = str(position)
        if stale:
            response.headers["X-Projection-Stale"] = "true"
        queries = ReadQueries(service.store, state.application.keys.lookup)
        return Reading(queries, position, stale, state.application.directory)

    return dependency


# Per read model table: how a row names the people related to it, and its program.
PROGRESS_PEOPLE: dict[Relation | str, str] = {
    Relation.STUDENT: "student_id = ?",
    Relation.COACH: "coach_id = ?",
    Relation.MENTOR: "mentor_id = ?",
    Relation.ASSESSOR: "trajectory_id IN (SELECT trajectory_id FROM {assessors} "
    "WHERE assessor_id = ?)",
    "program": "program_id",
}
MEMBER_PEOPLE: dict[Relation | str, str] = {
    Relation.COACH: "coach_id = ?",
    Relation.MENTOR: "mentor_id = ?",
    "program": "program_id",
}
ASSESSOR_ROWS: dict[Relation | str, str] = {
    Relation.ASSESSOR: "assessor_id = ?",
    "program": "program_id",
}
PAIR_ROWS: dict[Relation | str, str] = {
    Relation.ASSESSOR: "? IN (assessor_a, assessor_b)",
    "program": "program_id",
}
PROGRAM_ROWS: dict[Relation | str, str] = {"program": "program_id"}


def scoped(read: Reading, actor: Actor, name: str, columns: dict[Relation | str, str]) -> Where:
    """A filter that keeps only the rows this caller may see (`domain.policy.row_scope`)."""
    directory = read.directory
    scope = policy.row_scope(actor, policy.READS[name], directory)
    assessors = read.queries.q(PROGRESS_ASSESSORS)
    return read.queries.where().within(
        scope, {k: v.replace("{assessors}", assessors) for k, v in columns.items()}
    )


# The literal is spelled out for the OpenAPI document; it must be the domain's phases.
assert set(get_args(PhaseName)) == {p.value for p in Phase}
