"""Reading a trajectory: as it stands, as it stood (time travel), and its history.

Who reads is decided by their relation to the trajectory (`domain.policy.READS["trajectory"]`):
to anyone else it does not exist. A former coach or mentor reads it as it stood at the end of
their term. The commands on a trajectory are in `api/routers/commands.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, Field
from pydantic_core import PydanticSerializationError

from api.commands import IfNoneMatch, etag, etag_matches
from api.deps import StateDep, may_read
from api.problems import Problem, problems
from api.reading import (
    PROGRESS_PEOPLE,
    IdText,
    Limit,
    Offset,
    PhaseName,
    Reading,
    page_model,
    reading,
    scoped,
)
from api.reads import TrajectoryReads
from api.responses import json_response
from api.schemas.common import MAX_INT, IsoDateTime
from api.schemas.trajectories import HistoryRowView, TrajectoryHistory, TrajectoryView
from api.state import AppState
from domain import policy
from domain.history import history
from domain.trajectory import Trajectory
from domain.values import Actor
from domain.views import trajectory_view
from projections.audit.deep_json import dumps

router = APIRouter(tags=["trajectories"])

TrajectoryId = Annotated[uuid.UUID, Path(description="The trajectory's id.")]
Reader = Annotated[Actor, Depends(may_read(policy.READS["trajectory"]))]


def _moment(value: datetime) -> datetime:
    # Events carry UTC timestamps; a moment without a zone is read as UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before the first representable UTC
        raise Problem(422, "Invalid input", "as_of is out of range", kind="invalid-input") from None


class TrajectoryItem(BaseModel):
    """One trajectory in a list: who and where, and how far it is."""

    id: uuid.UUID
    program_id: uuid.UUID
    program_version: int
    cohort: str
    student_id: str
    student_name: str | None = Field(description="From the person registry, if known.")
    coach_id: str
    mentor_id: str
    phase: str
    next_step: str
    latest_light: str | None
    closed: bool
    version: int
    last_activity_at: datetime


TrajectoryPage = page_model(TrajectoryItem, "TrajectoryPage")
Lister = Annotated[Actor, Depends(may_read(policy.READS["progress"]))]
ListReading = Annotated[Reading, Depends(reading("progress"))]


@router.get(
    "/trajectories",
    response_model=TrajectoryPage,
    operation_id="list_trajectories",
    summary="Find trajectories: by program, cohort, people, phase, or a student's name",
    responses=problems(401, 403, 422),
)
def list_trajectories(
    state: StateDep,
    actor: Lister,
    read: ListReading,
    program_id: Annotated[uuid.UUID | None, Query(description="The program.")] = None,
    cohort: IdText = None,
    student_id: IdText = None,
    coach_id: IdText = None,
    mentor_id: IdText = None,
    phase: Annotated[PhaseName | None, Query(description="Where the trajectories stand.")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=r"^[^\x00-\x1f\x7f]+$",
            description="Part of the student's name or number (accents and case aside).",
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Only the trajectories the caller may read, ordered by trajectory id. From the progress
    read model: pass `min_position` to see a trajectory just started."""
    where = scoped(read, actor, "progress", PROGRESS_PEOPLE)
    for column, value in (
        ("program_id", program_id),
        ("cohort", cohort),
        ("student_id", student_id),
        ("coach_id", coach_id),
        ("mentor_id", mentor_id),
        ("phase", phase),
    ):
        where.eq(column, value)
    persons = state.persons
    if q is not None:
        found = sorted(persons.matching(q))
        if not found:
            where.add("1 = 0")
        else:
            where.among("student_id", found)
    page = read.queries.progress(where, limit, offset)
    names = persons.all()
    items = [
        {
            "id": row["trajectory_id"],
            "student_name": names.get(row["student_id"]),
            **{k: row[k] for k in TrajectoryItem.model_fields if k in row},
        }
        for row in page.items
    ]
    return read.page(replace(page, items=items))


def reads_of(state: AppState) -> TrajectoryReads:
    return state.reads or TrajectoryReads(state.application, size=0)


class _EndsEarlier(Exception):
    """The reader may read the trajectory only up to a version before its current one."""

    def __init__(self, up_to_version: int) -> None:
        super().__init__(up_to_version)
        self.up_to_version = up_to_version


def current_window(
    access: Callable[[Trajectory], policy.ReadAccess],
) -> Callable[[Trajectory], policy.ReadAccess]:
    """`access`, refusing (with `_EndsEarlier`) a window that ends before the current version,
    so that the current view is rendered only for those who may read all of it."""

    def check(trajectory: Trajectory) -> policy.ReadAccess:
        window = access(trajectory)
        if window.up_to_version is not None and window.up_to_version < trajectory.version:
            raise _EndsEarlier(window.up_to_version)
        return window

    return check


def rendered_view(
    state: AppState,
    trajectory_id: uuid.UUID,
    actor: Actor,
    version: int | None = None,
    as_of: datetime | None = None,
) -> tuple[int, bytes]:
    """The trajectory's version and view (JSON) for this reader: now, or in the past."""
    if version is not None and as_of is not None:
        raise Problem(
            422, "Invalid input", "Give either as_of or version, not both.", kind="invalid-input"
        )
    application = state.application

    def render(trajectory: Trajectory) -> bytes:
        data = trajectory_view(trajectory, actor)
        view = TrajectoryView.model_validate(data)
        try:
            return view.model_dump_json().encode()
        except PydanticSerializationError:
            # Corrections stored by older code may nest deeper than pydantic encodes.
            rest = view.model_dump(mode="json", exclude={"corrections"})
            return dumps(rest | {"corrections": data["corrections"]}).encode()

    def access(trajectory: Trajectory) -> policy.ReadAccess:
        return application.read_access(actor, trajectory)

    reads = reads_of(state)
    if version is None and as_of is None:
        # The common read, with one catch-up of the cached trajectory: access is checked on it,
        # and only a reader whose window ends before its version (a former coach) reads the past.
        reader = f"{actor.role.value}:{actor.person_id}"
        try:
            return reads.render(trajectory_id, reader, current_window(access), render)
        except _EndsEarlier as limited:
            version = limited.up_to_version
    else:
        # Access is decided on the trajectory as it stands: the past must not leak to others.
        window = reads.read(trajectory_id, access)
        if as_of is not None:
            version = application.version_at(trajectory_id, _moment(as_of))
        if window.up_to_version is not None:
            version = min(version or window.up_to_version, window.up_to_version)
        if version is None:
            reader = f"{actor.role.value}:{actor.person_id}"
            return reads.render(trajectory_id, reader, access, render)
    past = application.get_trajectory(trajectory_id, version)
    return past.version, render(past)


@router.get(
    "/trajectories/{trajectory_id}",
    response_model=TrajectoryView,
    operation_id="get_trajectory",
    summary="A trajectory as it stands, or as it stood (as_of / version)",
    responses={
        200: {
            "headers": {
                "ETag": {"description": "The version, quoted.", "schema": {"type": "string"}}
            }
        },
        304: {"description": "Not modified: If-None-Match names this version."},
        **problems(401, 403, 404, 422),
    },
)
def get_trajectory(
    trajectory_id: TrajectoryId,
    state: StateDep,
    actor: Reader,
    if_none_match: IfNoneMatch = None,
    as_of: Annotated[
        IsoDateTime | None,
        Query(
            description="Time travel: the trajectory as recorded at this moment (ISO 8601; "
            "UTC if no zone is given)."
        ),
    ] = None,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_INT, description="Time travel: this version.")
    ] = None,
) -> Response:
    """Assessors' scores are sealed until every assigned assessor has judged (R11): until then,
    an assessor sees only their own."""
    current, body = rendered_view(state, trajectory_id, actor, version, as_of)
    tag = etag(current)
    if etag_matches(if_none_match, current):
        return Response(status_code=304, headers={"ETag": tag})
    return Response(body, headers={"ETag": tag}, media_type="application/json")


@router.get(
    "/trajectories/{trajectory_id}/history",
    response_model=TrajectoryHistory,
    operation_id="get_trajectory_history",
    summary="Every event of a trajectory: who did what, when",
    responses=problems(401, 403, 404, 422),
)
def get_history(
    trajectory_id: TrajectoryId,
    state: StateDep,
    actor: Reader,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="Events per page: 500 unless asked, at most 1000.")
    ] = 500,
    offset: Offset = 0,
) -> Response:
    """Oldest first; a former coach or mentor sees the events of their term."""
    application = state.application
    window = reads_of(state).read(trajectory_id, lambda t: application.read_access(actor, t))
    events = list(application.trajectory_events(trajectory_id))
    if window.up_to_version is not None:
        events = events[: window.up_to_version]
    chosen = history(events[offset : offset + limit])
    rows = [HistoryRowView.model_validate(row, from_attributes=True) for row in chosen]
    more = offset + limit < len(events)
    page = TrajectoryHistory(
        trajectory_id=trajectory_id,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
        total=len(events),
        items=rows,
    )
    return json_response(page)
