"""Reading a trajectory: as it stands, as it stood (time travel), and its history.

Who reads is decided by their relation to the trajectory (`domain.policy.READS["trajectory"]`):
to anyone else it does not exist. A former coach or mentor reads it as it stood at the end of
their term. The commands on a trajectory are in `api/routers/commands.py`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic_core import PydanticSerializationError

from api.commands import IfNoneMatch, etag, etag_matches
from api.deps import StateDep, may_read
from api.problems import Problem, problems
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


def reads_of(state: AppState) -> TrajectoryReads:
    return state.reads or TrajectoryReads(state.application, size=0)


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
def get_history(trajectory_id: TrajectoryId, state: StateDep, actor: Reader) -> Response:
    application = state.application
    window = reads_of(state).read(trajectory_id, lambda t: application.read_access(actor, t))
    events = list(application.trajectory_events(trajectory_id))
    if window.up_to_version is not None:
        events = events[: window.up_to_version]
    rows = [HistoryRowView.model_validate(row, from_attributes=True) for row in history(events)]
    return json_response(TrajectoryHistory(trajectory_id=trajectory_id, rows=rows))
