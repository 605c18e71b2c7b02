"""The medium-stakes and the high-stake of a trajectory, up to the committee's decision.

Who may act is checked twice: here by role, in the domain by person (the trajectory's own coach
gives the green light, R7; only assigned assessors judge, R11; only the program's committee
members vote, R14).
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from api.commands import CommandContext, command
from api.problems import problems
from api.routers.paths import AttemptNumber, TrajectoryId
from api.schemas.common import CommandResponse
from api.schemas.stakes import (
    AssessmentConcluded,
    AssessorAssignment,
    Conclusion,
    CriterionInterviewRecord,
    DevelopmentPlanRecord,
    EarlyHighStakeDecision,
    EarlyHighStakeRequest,
    FinalLevelsAgreement,
    GreenLightDecision,
    HighStakeRequest,
    HighStakeRequested,
    JudgmentSubmission,
    MediumStakeHeld,
    MediumStakeRecord,
    VoteCast,
    VoteSubmission,
)
from domain.values import Role

# Mounted before the other routers: these are the busiest routes (see api/app.py).
ORDER = 30
router = APIRouter()

Student = Annotated[CommandContext, Depends(command(Role.STUDENT))]
Coach = Annotated[CommandContext, Depends(command(Role.COACH))]
StudentOrCoach = Annotated[CommandContext, Depends(command(Role.STUDENT, Role.COACH))]
Assessor = Annotated[CommandContext, Depends(command(Role.ASSESSOR))]
Committee = Annotated[CommandContext, Depends(command(Role.COMMITTEE))]
# The exam committee appoints the assessors; program administration may do it on its behalf.
Appointer = Annotated[CommandContext, Depends(command(Role.COMMITTEE, Role.ADMIN))]

COMMAND_PROBLEMS = problems(400, 401, 403, 404, 409, 412, 422)
MEDIUM: list[str | Enum] = ["medium-stakes"]
HIGH: list[str | Enum] = ["high-stake"]


def decision_of(event: Any) -> str | None:
    """What a vote decided, read from the last event the vote wrote."""
    return {"DecisionRatified": "ratified", "DecisionReferredBack": "referred_back"}.get(
        type(event).__name__
    )


@router.post(
    "/trajectories/{trajectory_id}/medium-stakes",
    response_model=MediumStakeHeld,
    summary="Hold a medium-stake (50% or 70%)",
    responses=COMMAND_PROBLEMS,
    tags=MEDIUM,
)
def hold_medium_stake(trajectory_id: TrajectoryId, body: MediumStakeRecord, cmd: Coach) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.hold_medium_stake(
            trajectory_id,
            portfolio=body.portfolio,
            levels=body.levels,
            feedback=body.feedback,
            rationale=body.rationale,
            actor=cmd.actor,
            command=ref,
            expected_version=expected,
        ),
        replay_value=lambda event: event.number,
    )
    return cmd.answer(MediumStakeHeld(**outcome.fields(), number=int(outcome.value)))


@router.post(
    "/trajectories/{trajectory_id}/green-light",
    response_model=CommandResponse,
    summary="Give or withhold the green light for the high-stake",
    responses=COMMAND_PROBLEMS,
    tags=MEDIUM,
)
def decide_green_light(
    trajectory_id: TrajectoryId, body: GreenLightDecision, cmd: Coach
) -> Response:
    """Only the trajectory's coach, after the second medium-stake (R7). Withholding records
    the advice."""
    if body.decision == "give":
        outcome = cmd.run(
            body,
            lambda ref, expected: cmd.application.give_green_light(
                trajectory_id, body.rationale, cmd.actor, ref, expected
            ),
        )
    else:
        outcome = cmd.run(
            body,
            lambda ref, expected: cmd.application.withhold_green_light(
                trajectory_id, body.advice, body.rationale, cmd.actor, ref, expected
            ),
        )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/early-high-stake",
    response_model=CommandResponse,
    summary="Request the high-stake early (after the first medium-stake)",
    responses=COMMAND_PROBLEMS,
    tags=MEDIUM,
)
def request_early_high_stake(
    trajectory_id: TrajectoryId, body: EarlyHighStakeRequest, cmd: Student
) -> Response:
    """Only when strictly more than half of the outcomes were at least vakkundig (R8)."""
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.request_early_high_stake(
            trajectory_id, body.motivation, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/early-high-stake/decision",
    response_model=CommandResponse,
    summary="Grant or refuse an early-route request",
    responses=COMMAND_PROBLEMS,
    tags=MEDIUM,
)
def decide_early_high_stake(
    trajectory_id: TrajectoryId, body: EarlyHighStakeDecision, cmd: Coach
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.decide_early_high_stake(
            trajectory_id, body.grant, body.rationale, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/high-stakes",
    response_model=HighStakeRequested,
    summary="Request the high-stake with a portfolio and reading guide",
    responses=COMMAND_PROBLEMS,
    tags=HIGH,
)
def request_high_stake(
    trajectory_id: TrajectoryId, body: HighStakeRequest, cmd: Student
) -> Response:
    """Needs the green light (or the early route), every outcome covered by enough evidence,
    and a reading guide that explains any AI or external use (R9)."""
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.request_high_stake(
            trajectory_id,
            portfolio=body.portfolio,
            reading_guide_uri=body.reading_guide_uri,
            reading_guide_sha256=body.reading_guide_sha256,
            ai_explanation=body.ai_explanation,
            actor=cmd.actor,
            command=ref,
            expected_version=expected,
        ),
        replay_value=lambda event: event.attempt,
    )
    return cmd.answer(HighStakeRequested(**outcome.fields(), attempt=int(outcome.value)))


@router.post(
    "/trajectories/{trajectory_id}/high-stakes/{attempt}/assessors",
    response_model=CommandResponse,
    summary="Assign the assessors of an attempt",
    responses=COMMAND_PROBLEMS,
    tags=HIGH,
)
def assign_assessors(
    trajectory_id: TrajectoryId,
    attempt: AttemptNumber,
    body: AssessorAssignment,
    cmd: Appointer,
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.assign_assessors(
            trajectory_id, attempt, body.assessor_ids, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/high-stakes/{attempt}/judgments",
    response_model=CommandResponse,
    summary="Submit an assessor's independent judgment",
    responses=COMMAND_PROBLEMS,
    tags=HIGH,
)
def submit_judgment(
    trajectory_id: TrajectoryId, attempt: AttemptNumber, body: JudgmentSubmission, cmd: Assessor
) -> Response:
    """Only an assessor assigned to this attempt, once (R11)."""
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.submit_judgment(
            trajectory_id,
            attempt,
            levels=body.levels,
            level_rationales=body.level_rationales,
            verdict=body.verdict,
            rationale=body.rationale,
            actor=cmd.actor,
            command=ref,
            expected_version=expected,
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/high-stakes/{attempt}/criterion-interviews",
    response_model=CommandResponse,
    summary="Record the criterion-based interview (CGI)",
    responses=COMMAND_PROBLEMS,
    tags=HIGH,
)
def hold_criterion_interview(
    trajectory_id: TrajectoryId,
    attempt: AttemptNumber,
    body: CriterionInterviewRecord,
    cmd: Assessor,
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.hold_criterion_interview(
            trajectory_id, attempt, body.notes, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/high-stakes/{attempt}/final-levels",
    response_model=CommandResponse,
    summary="Record the assessors' agreed final levels",
    responses=COMMAND_PROBLEMS,
    tags=HIGH,
)
def agree_final_levels(
    trajectory_id: TrajectoryId,
    attempt: AttemptNumber,
    body: FinalLevelsAgreement,
    cmd: Assessor,
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.agree_final_levels(
            trajectory_id, attempt, body.levels, body.rationale, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))


@router.post(
    "/trajectories/{trajectory_id}/high-stakes/{attempt}/conclusion",
    response_model=AssessmentConcluded,
    summary="Conclude the assessment (no compensation)",
    responses=COMMAND_PROBLEMS,
    tags=HIGH,
)
def conclude_assessment(
    trajectory_id: TrajectoryId, attempt: AttemptNumber, body: Conclusion, cmd: Assessor
) -> Response:
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.conclude_assessment(
            trajectory_id, attempt, body.rationale, cmd.actor, ref, expected
        ),
        replay_value=lambda event: event.passed,
    )
    return cmd.answer(AssessmentConcluded(**outcome.fields(), passed=bool(outcome.value)))


@router.post(
    "/trajectories/{trajectory_id}/high-stakes/{attempt}/votes",
    response_model=VoteCast,
    summary="Cast a committee vote on the concluded assessment",
    responses=COMMAND_PROBLEMS,
    tags=["committee"],
)
def cast_vote(
    trajectory_id: TrajectoryId, attempt: AttemptNumber, body: VoteSubmission, cmd: Committee
) -> Response:
    """Only members of the program's committee, once each, never an assessor of the attempt;
    the vote that completes the quorum decides (R14)."""
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.cast_vote(
            trajectory_id, attempt, body.vote, body.rationale, cmd.actor, ref, expected
        ),
        replay_value=decision_of,
    )
    return cmd.answer(VoteCast(**outcome.fields(), decision=outcome.value))


@router.post(
    "/trajectories/{trajectory_id}/development-plans",
    response_model=CommandResponse,
    summary="Record the development plan after a failed high-stake",
    responses=COMMAND_PROBLEMS,
    tags=HIGH,
)
def record_development_plan(
    trajectory_id: TrajectoryId, body: DevelopmentPlanRecord, cmd: StudentOrCoach
) -> Response:
    """Required before a resit (R15)."""
    outcome = cmd.run(
        body,
        lambda ref, expected: cmd.application.record_development_plan(
            trajectory_id, body.attempt, body.plan, cmd.actor, ref, expected
        ),
    )
    return cmd.answer(CommandResponse(**outcome.fields()))
