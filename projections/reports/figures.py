"""The figures of the annual report, as data: what the JSON answer, the HTML page, the PDF and
the CSV file all show. Identifiers and field names in English; the renderings put them in Dutch.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field


class PeriodFigures(BaseModel):
    start: datetime = Field(description="Start of the period (inclusive).")
    end: datetime = Field(description="End of the period (exclusive).")
    year: int | None = Field(description="The calendar year, when the period is one.")


class ProgramRef(BaseModel):
    program_id: uuid.UUID
    code: str
    title: str


class DecisionFigures(BaseModel):
    """Committee decisions taken in the period (R14), and the early route (R8)."""

    decisions: int = Field(0, description="Ratifications and referrals back.")
    ratified: int = Field(0, description="Results ratified.")
    passed: int = Field(0, description="Ratified: passed.")
    not_passed: int = Field(0, description="Ratified: not passed.")
    referred_back: int = Field(0, description="Results referred back to the assessors.")
    first_attempt_passed: int = Field(0, description="Ratified passes of first attempts.")
    first_attempt_not_passed: int = Field(0, description="Ratified fails of first attempts.")
    resit_passed: int = Field(0, description="Ratified passes of resits (attempt 2 or later).")
    resit_not_passed: int = Field(0, description="Ratified fails of resits.")
    early_route_requested: int = Field(0, description="Early-route requests.")
    early_route_granted: int = Field(0, description="Early-route requests granted.")
    early_route_refused: int = Field(0, description="Early-route requests refused.")


class ProgramDecisions(DecisionFigures):
    program_id: uuid.UUID


class CohortDecisions(DecisionFigures):
    program_id: uuid.UUID
    cohort: str


class DecisionSection(BaseModel):
    totals: DecisionFigures
    by_program: list[ProgramDecisions]
    by_cohort: list[CohortDecisions]


class InterviewFigures(BaseModel):
    """Criterion interviews (CGI, R12) for the attempts whose judgments were complete in the
    period."""

    assessments: int = Field(0, description="Attempts judged by all their assessors.")
    needed: int = Field(0, description="Doubt or disagreement required a CGI.")
    held: int = Field(0, description="A CGI was held.")
    needed_and_held: int = Field(0, description="A CGI was needed and held.")
    doubt: int = Field(0, description="Needed because an assessor's verdict was doubt.")
    disagreement: int = Field(
        0, description="Needed because the assessors disagreed whether an outcome passes."
    )
    doubt_and_disagreement: int = Field(0, description="Needed for both reasons.")


class AgreementFigures(BaseModel):
    """Agreement of the independent levels (R11), outcome by outcome."""

    comparisons: int = Field(0, description="Outcome levels compared between two assessors.")
    exact: int = Field(0, description="Comparisons with the same level.")
    exact_rate: float | None = Field(None, description="exact / comparisons.")
    kappa_quadratic: float | None = Field(
        None, description="Cohen's kappa with quadratic weights; null when undefined."
    )


class PairAgreement(AgreementFigures):
    program_id: uuid.UUID
    assessor_a: str
    assessor_b: str
    assessments: int = Field(description="Attempts the pair judged together.")


class IndependenceFigures(BaseModel):
    """Who assessed (R10), for the attempts whose judgments were complete in the period."""

    assessments: int = 0
    independent: int = Field(0, description="At least one assessor was not the coach.")
    coach_assessor: int = Field(0, description="The coach was one of the assessors.")


class ProgramAssessment(BaseModel):
    program_id: uuid.UUID
    interviews: InterviewFigures
    agreement: AgreementFigures
    independence: IndependenceFigures


class AssessmentSection(BaseModel):
    interviews: InterviewFigures
    independence: IndependenceFigures
    by_program: list[ProgramAssessment]
    pairs: list[PairAgreement]


class BorgingItemFigures(BaseModel):
    item: str
    checks: int = Field(description="Checklists the item applies to.")
    holds: int = Field(description="Of those, where it holds.")
    rate: float | None = Field(description="holds / checks.")
    exceptions: int
    followed_up: int = Field(description="Exceptions with a follow-up recorded.")


class FollowUp(BaseModel):
    action: str
    by: str
    at: datetime = Field(description="When the follow-up was recorded.")
    on: date = Field(description="The day it was followed up (Europe/Amsterdam).")


class BorgingException(BaseModel):
    trajectory_id: uuid.UUID
    attempt: int
    program_id: uuid.UUID
    cohort: str
    student_id: str
    item: str
    concluded_at: datetime = Field(description="When the conclusion was recorded.")
    concluded_on: date = Field(description="The day of the conclusion (Europe/Amsterdam).")
    decision: str
    facts: dict[str, object] = Field(description="What the item was decided on.")
    follow_ups: list[FollowUp]


class BorgingSection(BaseModel):
    """The borging checklists of the attempts concluded in the period."""

    checks: int
    all_ok: int = Field(description="Checklists on which every item holds.")
    items: list[BorgingItemFigures]
    exceptions: int
    followed_up: int
    exception_list: list[BorgingException]


class ReasonCount(BaseModel):
    reason: str
    committee: bool = Field(description="A committee correction (the outcome of an appeal).")
    count: int


class ProgramCorrections(BaseModel):
    program_id: uuid.UUID
    corrections: int = Field(description="Corrections by the author of the corrected event.")
    committee_corrections: int = Field(description="Corrections by the committee (appeals).")


class CorrectionSection(BaseModel):
    corrections: int
    committee_corrections: int
    by_program: list[ProgramCorrections]
    reasons: list[ReasonCount]


class MemberFigures(BaseModel):
    program_id: uuid.UUID
    person_id: str
    registered_at: datetime = Field(description="When the registration was recorded.")
    registered_on: date = Field(description="The day the term began (Europe/Amsterdam).")
    deregistered_at: datetime | None = Field(description="When the deregistration was recorded.")
    deregistered_on: date | None = Field(description="The day the term ended.")
    ratify: int = Field(description="Votes to ratify in the period.")
    refer_back: int = Field(description="Votes to refer back in the period.")


class CommitteeSection(BaseModel):
    members: list[MemberFigures] = Field(
        description="Everyone registered on a committee at some time in the period."
    )
    votes: int
    ratify: int
    refer_back: int


class DurationFigures(BaseModel):
    """Time from the high-stake request to the ratified decision."""

    decisions: int
    median_seconds: float | None
    p90_seconds: float | None = Field(description="90th percentile, nearest rank.")


class ProgramDuration(DurationFigures):
    program_id: uuid.UUID


class TimeSection(BaseModel):
    overall: DurationFigures
    by_program: list[ProgramDuration]


class AnnualReport(BaseModel):
    """The exam committee's annual report over a period and one or more programs."""

    document_id: str = Field(description="Derived from the figures: equal figures, equal id.")
    period: PeriodFigures
    programs: list[ProgramRef]
    generated_at: datetime
    position: int = Field(description="The log position the read models reflected.")
    decisions: DecisionSection
    assessment: AssessmentSection
    borging: BorgingSection
    corrections: CorrectionSection
    committee: CommitteeSection
    time_to_decision: TimeSection
