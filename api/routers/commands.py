"""Every command of the domain as a POST on the resource it changes.

One line per command: where it is sent. Its body, documentation, answer and who may send it
come from its declaration in `domain.commands`; the application decides it.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.commands import CommandRoute, endpoint, response_model
from api.problems import problems
from domain import commands as c

T = "/trajectories/{trajectory_id}"
H = T + "/high-stakes/{attempt}"

ROUTES: tuple[CommandRoute, ...] = (
    # The busiest routes first: routing tries routes in turn.
    CommandRoute(c.SubmitEvidence, T + "/evidence", "evidence and feedback"),
    CommandRoute(c.GiveFeedback, T + "/feedback", "evidence and feedback"),
    CommandRoute(c.CheckProgress, T + "/progress-checks", "evidence and feedback"),
    CommandRoute(
        c.WithdrawEvidence, T + "/evidence/{evidence_id}/withdrawal", "evidence and feedback"
    ),
    CommandRoute(c.RequestFeedback, T + "/feedback-requests", "evidence and feedback"),
    CommandRoute(c.MeasureBaseline, T + "/baseline", "evidence and feedback"),
    CommandRoute(c.PublishExhibition, T + "/exhibitions", "evidence and feedback"),
    CommandRoute(c.HoldMediumStake, T + "/medium-stakes", "medium-stakes"),
    CommandRoute(c.DecideGreenLight, T + "/green-light", "medium-stakes"),
    CommandRoute(c.RequestEarlyHighStake, T + "/early-high-stake", "medium-stakes"),
    CommandRoute(c.DecideEarlyHighStake, T + "/early-high-stake/decision", "medium-stakes"),
    CommandRoute(c.RequestHighStake, T + "/high-stakes", "high-stake"),
    CommandRoute(c.AssignAssessors, H + "/assessors", "high-stake"),
    CommandRoute(c.SubmitJudgment, H + "/judgments", "high-stake"),
    CommandRoute(c.HoldCriterionInterview, H + "/criterion-interviews", "high-stake"),
    CommandRoute(c.AgreeFinalLevels, H + "/final-levels", "high-stake"),
    CommandRoute(c.ConcludeAssessment, H + "/conclusion", "high-stake"),
    CommandRoute(c.CastVote, H + "/votes", "committee"),
    CommandRoute(c.RecordBorgingFollowUp, H + "/borging-follow-ups", "committee"),
    CommandRoute(c.RecordDevelopmentPlan, T + "/development-plans", "high-stake"),
    CommandRoute(c.StartTrajectory, "/trajectories", "trajectories", 201, "/trajectories/{id}"),
    CommandRoute(c.ReassignCoach, T + "/coach", "trajectories"),
    CommandRoute(c.ReassignMentor, T + "/mentor", "trajectories"),
    CommandRoute(c.RecordCorrection, T + "/corrections", "trajectories"),
    CommandRoute(c.RegisterProgram, "/programs", "programs", 201, "/programs/{id}"),
    CommandRoute(
        c.PublishProgramVersion,
        "/programs/{program_id}/versions",
        "programs",
        201,
        "/programs/{program_id}/versions/{number}",
    ),
    CommandRoute(c.RegisterStaff, "/programs/{program_id}/staff", "programs"),
    CommandRoute(c.DeregisterStaff, "/programs/{program_id}/staff/deregistrations", "programs"),
)

router = APIRouter()

for route in ROUTES:
    statuses = (400, 401, 403, 404, 409, 422) + ((412,) if route.conditional else ())
    router.add_api_route(
        route.path,
        endpoint(route),
        methods=["POST"],
        status_code=route.status,
        response_model=response_model(route),
        summary=route.summary,
        description=route.description,
        operation_id=route.operation_id,
        tags=[route.tag],
        responses=problems(*statuses),
    )
