"""The learning chapters of a trajectory: baseline, evidence, feedback, progress checks and
exhibitions. The domain checks the person (the trajectory's own student, coach or mentor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from api.commands import CommandContext, command
from api.problems import problems
from api.routers.paths import EvidenceId, TrajectoryId
from api.schemas.common import CommandResponse
from api.schemas.evidence import (
    BaselineRecord,
    EvidenceSubmission,
    EvidenceWithdrawal,
    ExhibitionPublication,
    FeedbackRequestSubmission,
    FeedbackSubmission,
    ProgressCheckRecord,
)
from domain.values import Role

# Mounted before the other routers: these are the busiest routes (see api/app.py).
ORDER = 10
router = APIRouter(tags=["evidence and feedback"])

Student = Annotated[CommandContext, Depends(command(Role.STUDENT))]
StudentOrCoach = Annotated[CommandContext, Depends(command(Role.STUDENT, Role.COACH))]
# Self and peer feedback come from students, coach feedback from the coach; practice and client
# feedback may be recorded by the student, the coach or the mentor on the giver's behalf (R5).
FeedbackGiver = Annotated[CommandContext, Depends(command(Role.STUDENT, Role.COACH, Role.MENTOR))]
MentorOrCoach = Annotated[CommandContext, Depends(command(Role.MENTOR, Role.COACH))]

COMMAND_PROBLEMS = problems(400, 401, 403, 404, 409, 412, 422)


@router.post(
    "/trajectories/{trajectory_id}/baseline",
    response_model=CommandResponse,
    summary="Record a baseline level (0-meting) for one outcome",
    responses=COMMAND_PROBLEMS,
)
def measure_baseline(
    trajectory_id: TrajectoryId, body: BaselineRecord, cmd: StudentOrCoach
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.measure_baseline(
            trajectory_id, body.outcome, body.level, body.rationale, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/evidence",
    response_model=CommandResponse,
    summary="Submit evidence",
    responses=COMMAND_PROBLEMS,
)
def submit_evidence(
    trajectory_id: TrajectoryId, body: EvidenceSubmission, cmd: Student
) -> Response:
    """Only the trajectory's own student submits evidence; evidence is never replaced (R2)."""
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.submit_evidence(
            trajectory_id,
            evidence_id=body.evidence_id,
            title=body.title,
            kind=body.kind,
            uri=body.uri,
            sha256=body.sha256,
            outcomes=body.outcomes,
            criteria=body.criteria,
            ai_use=body.ai_use,
            external_sources=body.external_sources,
            declaration=body.declaration,
            actor=cmd.actor,
            command=ref,
            expected_version=expected,
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/evidence/{evidence_id}/withdrawal",
    response_model=CommandResponse,
    summary="Withdraw evidence (it stays on record, marked withdrawn)",
    responses=COMMAND_PROBLEMS,
)
def withdraw_evidence(
    trajectory_id: TrajectoryId, evidence_id: EvidenceId, body: EvidenceWithdrawal, cmd: Student
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.withdraw_evidence(
            trajectory_id, evidence_id, body.reason, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/feedback-requests",
    response_model=CommandResponse,
    summary="Ask someone for feedback",
    responses=COMMAND_PROBLEMS,
)
def request_feedback(
    trajectory_id: TrajectoryId, body: FeedbackRequestSubmission, cmd: Student
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.request_feedback(
            trajectory_id,
            request_id=body.request_id,
            requested_from=body.requested_from,
            source=body.source,
            outcomes=body.outcomes,
            evidence_id=body.evidence_id,
            question=body.question,
            actor=cmd.actor,
            command=ref,
            expected_version=expected,
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/feedback",
    response_model=CommandResponse,
    summary="Give feedback on outcomes or criteria",
    responses=COMMAND_PROBLEMS,
)
def give_feedback(
    trajectory_id: TrajectoryId, body: FeedbackSubmission, cmd: FeedbackGiver
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.give_feedback(
            trajectory_id,
            feedback_id=body.feedback_id,
            source=body.source,
            giver_id=body.giver_id,
            outcomes=body.outcomes,
            criteria=body.criteria,
            evidence_id=body.evidence_id,
            text=body.text,
            request_id=body.request_id,
            actor=cmd.actor,
            command=ref,
            expected_version=expected,
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/progress-checks",
    response_model=CommandResponse,
    summary="Record a progress check with its traffic light",
    responses=COMMAND_PROBLEMS,
)
def check_progress(
    trajectory_id: TrajectoryId, body: ProgressCheckRecord, cmd: MentorOrCoach
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.check_progress(
            trajectory_id, body.light, body.notes, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/exhibitions",
    response_model=CommandResponse,
    summary="Publish an exhibition of key evidence",
    responses=COMMAND_PROBLEMS,
)
def publish_exhibition(
    trajectory_id: TrajectoryId, body: ExhibitionPublication, cmd: Student
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.publish_exhibition(
            trajectory_id,
            body.exhibition_id,
            body.title,
            body.evidence_ids,
            cmd.actor,
            ref,
            expected,
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))
