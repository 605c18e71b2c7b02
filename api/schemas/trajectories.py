"""Views of the trajectory resource: the trajectory as it stands (or stood) and its history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

# ---- views (responses): the shape of domain/views.py:trajectory_view


class EvidenceView(BaseModel):
    evidence_id: str
    title: str
    kind: str
    uri: str
    sha256: str
    outcomes: list[str]
    criteria: list[str]
    ai_use: bool
    external_sources: bool
    declaration: str
    submitted_at: datetime
    occurred_on: date | None = Field(
        None, description="The day it took place, when it was recorded later (Europe/Amsterdam)."
    )
    withdrawn: bool
    withdrawal_reason: str


class FeedbackView(BaseModel):
    feedback_id: str
    source: str
    giver_id: str
    outcomes: list[str]
    criteria: list[str]
    evidence_id: str | None
    text: str
    request_id: str | None
    given_at: datetime
    occurred_on: date | None = Field(
        None, description="The day it took place, when it was recorded later (Europe/Amsterdam)."
    )


class FeedbackRequestView(BaseModel):
    request_id: str
    requested_from: str
    source: str
    outcomes: list[str]
    answered: bool


class ProgressCheckView(BaseModel):
    light: str = Field(description="green, orange or red.")
    notes: str
    checked_by: str
    checked_at: datetime
    occurred_on: date | None = Field(
        None, description="The day it took place, when it was recorded later (Europe/Amsterdam)."
    )


class MediumStakeView(BaseModel):
    number: int
    moment: int = Field(description="Percentage of the program.")
    portfolio: list[str]
    levels: dict[str, str]
    feedback: str
    rationale: str
    held_by: str
    held_at: datetime
    occurred_on: date | None = Field(
        None, description="The day it took place, when it was recorded later (Europe/Amsterdam)."
    )


class JudgmentView(BaseModel):
    """An assessor's judgment; sealed (no levels or verdict) until all assessors judged (R11)."""

    assessor_id: str
    sealed: bool
    submitted_at: datetime
    occurred_on: date | None = Field(
        None, description="The day it took place, when it was recorded later (Europe/Amsterdam)."
    )
    levels: dict[str, str] | None = None
    level_rationales: dict[str, str] | None = None
    verdict: str | None = None
    rationale: str | None = None


class AttemptView(BaseModel):
    number: int
    early: bool
    portfolio: list[str]
    reading_guide: dict[str, str]
    requested_at: datetime
    assessors: list[str]
    judgments: list[JudgmentView]
    interview_held: bool
    final_levels: dict[str, str] | None
    concluded_levels: dict[str, str] | None
    passed: bool | None
    round: int
    votes_cast: int
    decision: str | None
    development_plan: str | None


class NextStepView(BaseModel):
    step: str = Field(description="The next step on the trajectory.")
    missing: list[str] = Field(description="What blocks it, with the rule that requires it.")


class TrajectoryView(BaseModel):
    """A trajectory as it stands (or stood, with as_of / version)."""

    id: uuid.UUID
    version: int = Field(description="The trajectory's version; also its ETag.")
    modified_on: datetime
    program_id: uuid.UUID
    program_version: int
    student_id: str
    cohort: str
    started_on: date = Field(description="The day the trajectory started (Europe/Amsterdam).")
    coach_id: str
    mentor_id: str
    phase: str
    closed: bool
    outcomes: list[str]
    baseline: dict[str, str]
    evidence: list[EvidenceView]
    evidence_per_outcome: dict[str, int]
    feedback: list[FeedbackView]
    feedback_requests: list[FeedbackRequestView]
    progress_checks: list[ProgressCheckView]
    medium_stakes: list[MediumStakeView]
    green_light: str | None
    green_light_note: str
    early_route: str | None
    attempts: list[AttemptView]
    corrections: list[dict[str, Any]]
    exhibitions: dict[str, list[str]]
    next_step: NextStepView


class HistoryRowView(BaseModel):
    version: int
    timestamp: datetime = Field(description="When the event was recorded (the store's own time).")
    occurred_on: date = Field(
        description="The day it took place (Europe/Amsterdam): the day the command said, or else "
        "the day it was recorded."
    )
    recorded_later: bool = Field(
        description="Recorded on a later day than the one it took place on."
    )
    actor_id: str
    actor_role: str
    event_type: str
    summary: str


class TrajectoryHistory(BaseModel):
    """The events of the trajectory, in order, with who did it and when (R1): one page."""

    trajectory_id: uuid.UUID
    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="Events skipped.")
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")
    total: int = Field(description="Events the caller may read.")
    items: list[HistoryRowView]
