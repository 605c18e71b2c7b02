"""GET /projections: how far each read model has applied the event log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.deps import StateDep, may_read
from api.problems import Problem, problems
from domain import policy
from domain.values import Actor
from projections.service import ProjectionService

router = APIRouter(tags=["read models"])


class ProjectionFailure(BaseModel):
    position: int = Field(description="Log position of the event it cannot apply.")
    event: str = Field(description="That event: its type, version and aggregate.")
    error: str = Field(description="What went wrong when it was applied.")
    since: str = Field(description="When it first failed (UTC).")
    attempts: int = Field(description="How often it was tried.")
    worker: str | None = Field(description="host:pid of the worker that tried it last.")


class ProjectionStatus(BaseModel):
    name: str = Field(description="The projection (read model).", examples=["progress"])
    position: int = Field(description="Every event up to this log position has been applied.")
    head: int = Field(description="The log's latest position.")
    lag_events: int = Field(description="Events after the position (counted up to 100,000).")
    lag_events_capped: bool = Field(description="True when lag_events reached the count's cap.")
    lag_seconds: float = Field(description="Age of the oldest event not yet applied; 0 if none.")
    updated_at: str | None = Field(description="When the position last moved (UTC).")
    rebuilt_at: str | None = Field(description="When the projection was last rebuilt (UTC).")
    worker: str | None = Field(description="host:pid of the worker that last moved it.")
    state: Literal["running", "failed"] = Field(
        description="failed: it met an event it cannot apply (see failure); retried with a "
        "growing pause while the other projections go on."
    )
    failure: ProjectionFailure | None = Field(description="Why it is failed, if it is.")


class ApplyLag(BaseModel):
    p50: float | None
    p99: float | None
    max: float | None


class ProjectionsReport(BaseModel):
    head: int = Field(description="The log's latest position.")
    runner: str = Field(description="embedded: applied in this process; external: by workers.")
    running: bool = Field(description="Whether this process's runner thread is alive.")
    state: Literal["running", "failed", "stopped", "external"] = Field(
        description="failed when any projection is failed; stopped when this process's runner "
        "thread is not alive; external when workers apply the events."
    )
    failed: list[str] = Field(description="The projections that are failed.")
    last_error: str | None = Field(
        None,
        description="Embedded runner only: why its latest step failed as a whole (the "
        "database was unreachable), until a step succeeds.",
    )
    apply_lag_seconds: ApplyLag | None = Field(
        None,
        description="Embedded runner only: time from an event to its commit in the read models, "
        "over the last 10,000 events.",
    )
    projections: list[ProjectionStatus]


@router.get(
    "/projections",
    response_model=ProjectionsReport,
    summary="Each projection's position, the log head, and the lag in events and seconds",
    responses=problems(401),
)
def projections(
    state: StateDep, actor: Annotated[Actor, Depends(may_read(policy.READS["projections"]))]
) -> dict[str, Any]:
    """Any signed-in user may look; /health reports the same under services.projections."""
    service = state.services.get("projections")
    if not isinstance(service, ProjectionService):
        raise Problem(503, "Read models unavailable", "The projection service is not running.")
    return service.status()
