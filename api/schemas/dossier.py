"""The answer of GET /trajectories/{id}/dossier, described for the API document.

The dossier itself is built by `projections.audit.dossier.build_dossier` (docs/audit.md); these
models name its parts so that a client knows what it gets. A test validates real dossiers
against them, so the two cannot drift apart. Event payloads (`DossierStep.data`) stay open: they
are the events as recorded, whose fields docs/audit.md and the command schemas describe.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Who(Part):
    person_id: str
    role: str


class Dated(Part):
    by: Who | None = Field(description="Who recorded it.")
    at: str | None = Field(description="When it was recorded (UTC).")
    on: str | None = Field(description="The day it took place (Europe/Amsterdam).")
    position: int = Field(description="Its position in the log.")


class DossierTrajectory(Part):
    id: str
    student_id: str | None
    cohort: str | None
    coach_id: str | None
    mentor_id: str | None
    program_id: str | None
    program_version: int
    started_at: str | None
    started_on: str | None
    started_by: Who | None
    events: int = Field(description="How many events of the trajectory the dossier covers.")


class RulesApplied(Part):
    rubric: dict[str, Any]
    settings: dict[str, Any]


class DossierProgram(Part):
    id: str | None
    code: str | None
    title: str | None
    version: int
    published_at: str | None
    published_on: str | None
    published_by: Who | None
    definition: dict[str, Any] = Field(description="The program version's definition.")
    rules_applied: RulesApplied


class DossierStep(Part):
    position: int
    aggregate: str = Field(description="Trajectory or Program.")
    aggregate_id: str
    version: int
    event: str = Field(description="The event's name (docs/audit.md lists them).")
    at: str | None
    on: str | None
    recorded_later: bool = Field(description="Recorded on another day than it took place.")
    who: Who | None
    why: str | None = Field(description="The recorded reason, rationale or advice.")
    leaf_hash: str = Field(description="The step's Merkle leaf hash, hex.")
    data: dict[str, Any] = Field(
        description="The event's fields (sealed judgments without levels)."
    )
    proof: dict[str, Any] | None = Field(
        description="Its inclusion proof against the checkpoint; null until it is sealed."
    )


class GreenLightEntry(Dated):
    given: bool
    advice: str | None
    rationale: str | None


class EarlyRouteEntry(Dated):
    step: str
    why: str | None


class CorrectionEntry(Dated):
    corrects_version: int | None
    reason: str | None
    details: Any


class DossierOutcome(Part):
    code: str | None
    title: str | None
    qualification_refs: list[Any]
    criteria: list[Any]
    baseline: dict[str, Any] | None
    evidence: list[dict[str, Any]]
    feedback: list[dict[str, Any]]
    medium_stakes: list[dict[str, Any]]
    judgments: list[dict[str, Any]]
    final_levels: list[dict[str, Any]]
    concluded: list[dict[str, Any]]


class DossierAudit(Part):
    checkpoint: dict[str, Any] | None = Field(description="The latest signed checkpoint.")
    unproven_positions: list[int] = Field(description="Steps not yet in a signed checkpoint.")
    how_to_verify: str


class DossierView(Part):
    """Per attempt the whole chain in order, the rules that applied, and the proofs."""

    format: str = Field(examples=["bewijsketen-dossier/2"])
    trajectory: DossierTrajectory
    program: DossierProgram
    attempt: int | None = Field(description="The attempt the dossier runs up to, if asked.")
    steps: list[DossierStep]
    outcomes: list[DossierOutcome]
    green_light: list[GreenLightEntry]
    early_route: list[EarlyRouteEntry]
    attempts: list[dict[str, Any]] = Field(description="Per high-stake attempt, its chain.")
    corrections: list[CorrectionEntry]
    audit: DossierAudit
