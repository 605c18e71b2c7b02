"""Trajectories: start one, read it (now or at a past moment), its history, staff changes and
corrections. The chapter commands live in trajectory_learning.py and trajectory_stakes.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from api.commands import CommandContext, IfNoneMatch, command, etag, etag_matches
from api.deps import ALL_ROLES, ApplicationDep, StateDep, require_roles
from api.problems import Problem, problems
from api.reads import TrajectoryReads
from api.responses import json_response
from api.routers.paths import TrajectoryId
from api.schemas.common import MAX_INT, CommandResponse, IsoDateTime
from api.schemas.trajectories import (
    CoachReassignment,
    CorrectionRecord,
    HistoryRowView,
    MentorReassignment,
    TrajectoryHistory,
    TrajectoryStart,
    TrajectoryView,
)
from api.state import AppState
from domain.application import CommandResult
from domain.errors import NotFound
from domain.history import history
from domain.trajectory import Trajectory
from domain.values import Actor, CommandRef, Role
from domain.views import trajectory_view

# Mounted before the other routers: these are the busiest routes (see api/app.py).
ORDER = 20
router = APIRouter(tags=["trajectories"])

Reader = Annotated[Actor, Depends(require_roles(*ALL_ROLES))]
Starter = Annotated[CommandContext, Depends(command(Role.COACH, Role.ADMIN, if_match=False))]
Staffing = Annotated[CommandContext, Depends(command(Role.ADMIN))]
# A correction is recorded by the author of the corrected event or by the committee (R2); the
# domain checks which. Only the read-only roles are refused here.
Corrector = Annotated[
    CommandContext,
    Depends(
        command(Role.STUDENT, Role.COACH, Role.MENTOR, Role.ASSESSOR, Role.COMMITTEE, Role.ADMIN)
    ),
]

COMMAND_PROBLEMS = problems(400, 401, 403, 404, 409, 412, 422)
NOT_FOUND_FOR_STUDENT = "trajectory {} not found"


def readable(trajectory: Trajectory, actor: Actor) -> Trajectory:
    """A student reads only their own trajectories; to them any other one does not exist, so
    that trajectory ids (derived from student and cohort) cannot be probed."""
    if actor.role is Role.STUDENT and trajectory.student_id != actor.person_id:
        raise Problem(
            404, "Not found", NOT_FOUND_FOR_STUDENT.format(trajectory.id), kind="not-found"
        )
    return trajectory


@router.post(
    "/trajectories",
    status_code=status.HTTP_201_CREATED,
    response_model=CommandResponse,
    summary="Start a trajectory",
    responses=problems(400, 401, 403, 409, 422),
)
def start_trajectory(body: TrajectoryStart, cmd: Starter) -> Response:
    """The id derives from program, student and cohort: starting the same one twice is a 409
    (unless it is a repeat with the same Idempotency-Key)."""

    def call(ref: CommandRef | None, _: int | None) -> CommandResult:
        try:
            return cmd.application.start_trajectory(
                body.program_id,
                body.student_id,
                body.cohort,
                body.coach_id,
                body.mentor_id,
                cmd.actor,
                body.program_version,
                command=ref,
            )
        except NotFound as exc:
            # The program is named in the body, not the URL: an invalid reference, not a 404.
            raise Problem(422, "Invalid input", str(exc), kind="invalid-input", rule="R4") from None

    outcome = cmd.run(body, call, location=lambda tid: f"/trajectories/{tid}")
    return cmd.answer(CommandResponse(**outcome.fields()), 201)


def _moment(value: datetime) -> datetime:
    # Events carry UTC timestamps; a moment without a zone is read as UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before the first representable UTC
        raise Problem(422, "Invalid input", "as_of is out of range", kind="invalid-input") from None


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

    def render(trajectory: Trajectory) -> bytes:
        view = TrajectoryView.model_validate(trajectory_view(trajectory, actor))
        return view.model_dump_json().encode()

    application = state.application
    reads = state.reads or TrajectoryReads(application, size=0)
    if version is None and as_of is None:
        reader = f"{actor.role.value}:{actor.person_id}"
        return reads.render(trajectory_id, reader, lambda t: readable(t, actor), render)
    if as_of is not None:
        # Check access on the current state first: the past must not leak to others either.
        reads.read(trajectory_id, lambda t: readable(t, actor))
        past = application.trajectory_as_of(trajectory_id, _moment(as_of))
    else:
        past = readable(application.get_trajectory(trajectory_id, version), actor)
    return past.version, render(past)


@router.get(
    "/trajectories/{trajectory_id}",
    response_model=TrajectoryView,
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
            description="Time travel: the trajectory as it stood at this moment (ISO 8601; "
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
    summary="Every event of a trajectory: who did what, when",
    responses=problems(401, 403, 404, 422),
)
def get_history(
    trajectory_id: TrajectoryId, application: ApplicationDep, actor: Reader
) -> Response:
    events = list(application.trajectory_events(trajectory_id))
    student_id = getattr(events[0], "student_id", None)  # the Started event names the student
    if actor.role is Role.STUDENT and student_id != actor.person_id:
        raise Problem(
            404, "Not found", NOT_FOUND_FOR_STUDENT.format(trajectory_id), kind="not-found"
        )
    rows = [HistoryRowView.model_validate(row, from_attributes=True) for row in history(events)]
    return json_response(TrajectoryHistory(trajectory_id=trajectory_id, rows=rows))


@router.post(
    "/trajectories/{trajectory_id}/coach",
    response_model=CommandResponse,
    summary="Reassign the coach",
    responses=COMMAND_PROBLEMS,
)
def reassign_coach(trajectory_id: TrajectoryId, body: CoachReassignment, cmd: Staffing) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.reassign_coach(
            trajectory_id, body.coach_id, body.reason, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/mentor",
    response_model=CommandResponse,
    summary="Reassign the mentor (SLB)",
    responses=COMMAND_PROBLEMS,
)
def reassign_mentor(
    trajectory_id: TrajectoryId, body: MentorReassignment, cmd: Staffing
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.reassign_mentor(
            trajectory_id, body.mentor_id, body.reason, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/corrections",
    response_model=CommandResponse,
    summary="Record a correction of an earlier event",
    responses=COMMAND_PROBLEMS,
)
def record_correction(
    trajectory_id: TrajectoryId, body: CorrectionRecord, cmd: Corrector
) -> Response:
    """Nothing is erased (R2): the correction is a new event naming the corrected version.
    After a ratified pass only the committee corrects (R16)."""
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.record_correction(
            trajectory_id,
            body.corrects_version,
            body.reason,
            dict(body.details),
            cmd.actor,
            ref,
            expected,
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))
