"""GET /trajectories/{id}/dossier: the decision dossier, each event with its inclusion proof.

Who may read it: the exam committee, the quality officer and the inspector, every dossier; the
trajectory's own student and its current coach, their own (404 for any other, as elsewhere).
Assessors' judgments stay sealed until all assigned assessors have judged (R11).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.deps import ApplicationDep, StateDep, require_roles
from api.problems import Problem, problems
from api.routers.paths import TrajectoryId
from api.services.sealer import runtime
from domain.values import Actor, Role
from projections.audit.dossier import DossierError
from projections.audit.proofs import inclusion_many
from projections.audit.source import dossier_of

router = APIRouter(tags=["audit"])

Reader = Annotated[
    Actor,
    Depends(require_roles(Role.STUDENT, Role.COACH, Role.COMMITTEE, Role.QUALITY, Role.INSPECTOR)),
]


@router.get(
    "/trajectories/{trajectory_id}/dossier",
    summary="The decision dossier: the full chain behind the decisions, with proofs",
    responses=problems(401, 403, 404),
)
def dossier(
    trajectory_id: TrajectoryId,
    app: ApplicationDep,
    state: StateDep,
    actor: Reader,
    attempt: Annotated[
        int | None, Query(ge=1, le=1_000, description="Up to the decision on this attempt.")
    ] = None,
) -> dict[str, Any]:
    trajectory = app.get_trajectory(trajectory_id)
    own = {Role.STUDENT: trajectory.student_id, Role.COACH: trajectory.coach_id}
    if actor.role in own and own[actor.role] != actor.person_id:
        raise Problem(404, "Not found", f"trajectory {trajectory_id} not found", kind="not-found")
    audit = runtime(state)
    try:
        built, events = dossier_of(app, audit.store, trajectory_id, attempt)
    except DossierError as exc:
        raise Problem(404, "Not found", str(exc), kind="not-found") from None
    checkpoint = audit.store.latest_checkpoint()
    found = (
        inclusion_many(audit.store, [e.row.position for e in events], checkpoint.tree_size)
        if checkpoint is not None
        else {}
    )
    for step in built["steps"]:
        step["proof"] = found.get(step["position"])
    built["audit"] = {
        "checkpoint": checkpoint.to_json() if checkpoint else None,
        "unproven_positions": [s["position"] for s in built["steps"] if s["proof"] is None],
        "how_to_verify": "docs/audit.md: GET /audit/leaves/{position} gives each step's stored "
        "bytes and leaf encoding; hash the leaf, check the inclusion path against the signed "
        "checkpoint note (C2SP) and its witnesses' cosignatures",
    }
    return built
