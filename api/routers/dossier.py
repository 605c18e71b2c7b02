"""GET /trajectories/{id}/dossier: the decision dossier, each event with its inclusion proof.

Who may read it (`domain.policy.READS["dossier"]`): the trajectory's own student and its coach,
the committee of its program, the quality officer and the inspector; to anyone else it does not
exist.
Assessors' judgments stay sealed until all assigned assessors have judged (R11).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import ApplicationDep, StateDep, may_read
from api.problems import Problem, problems
from api.routers.trajectories import TrajectoryId
from api.schemas.dossier import DossierView
from api.services.sealer import runtime
from domain import policy
from domain.values import Actor
from projections.audit.deep_json import dumps
from projections.audit.dossier import DossierError
from projections.audit.proofs import inclusion_many
from projections.audit.source import dossier_of

router = APIRouter(tags=["audit"])

DOSSIER = policy.READS["dossier"]
Reader = Annotated[Actor, Depends(may_read(DOSSIER))]


@router.get(
    "/trajectories/{trajectory_id}/dossier",
    operation_id="get_dossier",
    summary="The decision dossier: the full chain behind the decisions, with proofs",
    response_model=DossierView,
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
) -> Response:
    """Per attempt the whole chain in order, with who, when and why, the program rules that
    applied, and for every event its leaf hash and inclusion proof against the latest signed
    checkpoint (docs/audit.md says how to check them)."""
    app.read_access(actor, app.get_trajectory(trajectory_id), DOSSIER.readers)
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
    # Encoded here, not by FastAPI, whose encoder refuses values nested as deeply as the events
    # the domain accepted (a correction's free-form details).
    return Response(dumps(built).encode(), media_type="application/json")
