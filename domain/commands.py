"""Every command of the domain, declared once.

A command is a frozen pydantic model: its fields with their bounds and documentation, the
aggregate it acts on (the id field it carries: `program_id`, `trajectory_id`, or none when it
creates one), the relations that may issue it (`issued_by`, see `domain.policy`), the rule that
names a refusal of the caller, the retention class of what it records, and which of its fields
hold personal data or free text (the `Holds` markers on the field types of `domain.fields`).

Everything else is derived from these declarations: the HTTP request schemas and their
documentation, the application's dispatch (`handles` marks the aggregate method that decides a
command), the authorization matrix in docs/authorization.md and its test, and what the privacy
layer encrypts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

from domain import fields as f
from domain.fields import (
    AttemptNumber,
    Code,
    Cohort,
    Details,
    Holds,
    ItemId,
    Level,
    Levels,
    PersonId,
    PublicText,
    Rationales,
    Reason,
    Sensitivity,
    Sha256,
    Text,
    Title,
    Uri,
)
from domain.policy import Access, DataSubject, Relation, allow, allow_by
from domain.values import (
    EvidenceKind,
    FeedbackSource,
    StaffRole,
    TrafficLight,
    Verdict,
    Vote,
)

R = Relation


class Retention(Enum):
    """How long what a command records must be kept (and when it may be forgotten)."""

    # Learning along the way: feedback, progress checks, exhibitions. No legal duty to keep.
    FORMATIVE = "formative"
    # The exam record: evidence, levels, green light, judgments, decision. Kept by law for a
    # period after the decision.
    EXAM = "exam"


@dataclass(frozen=True)
class ResultField:
    """A value a command answers besides id, version and position."""

    name: str
    type: Any
    description: str


# ---- when it happened

# The earliest day a trajectory may say it started: nothing in the record is older.
EARLIEST_DAY = date(2000, 1, 1)

# The day a conversation, a check, a judgment or a meeting took place, when it is recorded
# later. A day rather than a moment: schools record "held on 12 March", not the minute, and a
# day has no time zone to get wrong. Declared here once; its bounds (not after today in
# Europe/Amsterdam, not before the trajectory started, never before EARLIEST_DAY) depend on the
# clock and the trajectory, so the domain checks them and a refusal names R1. The moment the
# event is recorded stays the store's own and is never back-dated (`domain.moments`).
OccurredOn = Annotated[
    date | None,
    Field(
        description="The day it took place (ISO 8601 date, Europe/Amsterdam) when it is recorded "
        "later; left out, it took place on the day it is recorded. Not after today and not "
        f"before the trajectory started (nor before {EARLIEST_DAY.isoformat()}): R1. The time "
        "it is recorded is always the store's own.",
        examples=["2026-03-12"],
    ),
]


class Command(BaseModel):
    """Base of every command. Frozen; unknown fields are refused (there is no actor field: the
    actor is whoever is authenticated)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    issued_by: ClassVar[Access]
    # The rule a refusal of the caller names (who may do this).
    rule: ClassVar[str]
    retention: ClassVar[Retention] = Retention.EXAM
    result: ClassVar[ResultField | None] = None

    @classmethod
    def target_field(cls) -> str | None:
        """The field naming the aggregate the command acts on; None when it creates one."""
        return None

    @classmethod
    def sensitive_fields(cls) -> dict[str, Sensitivity]:
        """The fields that hold personal data or free text, derived from their types."""
        found: dict[str, Sensitivity] = {}
        for name, info in cls.model_fields.items():
            marks = [m for m in info.metadata if isinstance(m, Holds)]
            marks += _marks_inside(info.annotation)
            if marks:
                found[name] = marks[0].sensitivity
        return found

    def issuers(self) -> frozenset[Relation]:
        return self.issued_by.for_command(self)

    def subject(self) -> DataSubject | None:
        """Whom a command creating a record concerns, when access depends on it (the student of
        a privacy record); None for every other command."""
        return None

    @classmethod
    def occurs(cls) -> bool:
        """Whether the command says on which day its happening took place (`occurred_on`)."""
        return "occurred_on" in cls.model_fields


def _marks_inside(annotation: Any) -> list[Holds]:
    """Markers on the item types of a list or dict field (e.g. `dict[Code, Text]`)."""
    found: list[Holds] = []
    for arg in get_args(annotation):
        if get_origin(arg) is Annotated:
            found += [m for m in arg.__metadata__ if isinstance(m, Holds)]
        found += _marks_inside(arg)
    return found


class ProgramCommand(Command):
    program_id: uuid.UUID = Field(description="The program.")
    # A version adopted, a coach registered from a given day on: recorded now or later.
    occurred_on: OccurredOn = None

    @classmethod
    def target_field(cls) -> str | None:
        return "program_id"


class TrajectoryCommand(Command):
    trajectory_id: uuid.UUID = Field(description="The trajectory.")
    # Any record may be entered after the fact: a conversation, a meeting's vote, a portfolio
    # handed in, practice feedback given at the workplace. So every command on a trajectory may
    # say on which day its happening took place.
    occurred_on: OccurredOn = None

    @classmethod
    def target_field(cls) -> str | None:
        return "trajectory_id"


def examples(*items: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(items)})


F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=Command)


def handles(command: type[Command]) -> Callable[[F], F]:
    """Marks the aggregate method that decides `command` (its dispatch is derived from this)."""

    def mark(method: F) -> F:
        method.__handles__ = command  # type: ignore[attr-defined]
        return method

    return mark


EXAMPLE_SHA256 = "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
EXAMPLE_TRAJECTORY = "1b4e28ba-2fa1-51d2-883f-0016d3cca427"
EXAMPLE_PROGRAM = "bd78b3a1-595c-52a6-8acc-440df303aaad"
EXAMPLE_LEVELS = {c: "bekwaam" for c in ("LO1", "LO2")}


# ---- programs


class RegisterProgram(Command):
    """Register a program (leerprogramma); publish a version before trajectories start.

    The program's id derives from its code, so registering the same code twice is refused
    (unless it is a repeat with the same Idempotency-Key)."""

    model_config = examples({"code": "SD-AI", "title": "Software developer: AI-tools"})
    issued_by = allow(R.ADMINISTRATION)
    rule = "R3"

    code: Annotated[
        str,
        Field(
            min_length=1,
            max_length=100,
            pattern=r"^[^\x00-\x20\x7f-\xa0]+$",
            description="The program's short code; its id is derived from it.",
            examples=["SD-AI"],
        ),
    ]
    title: PublicText = Field(description="The program's title.", max_length=f.MAX_TITLE)
    occurred_on: OccurredOn = None


class CriterionModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code = Field(description="Quality criterion code, unique within the version.")
    description: PublicText = Field(description="What the criterion asks for.")


class OutcomeModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code = Field(description="Learning outcome code, unique within the version.")
    title: PublicText = Field(description="The observable result the outcome describes.")
    qualification_refs: list[PublicText] = Field(
        default_factory=list,
        max_length=f.MAX_ITEMS,
        description="The qualification file's core tasks and work processes it bundles.",
    )
    criteria: list[CriterionModel] = Field(default_factory=list, max_length=f.MAX_ITEMS)


DEFAULT_RUBRIC = ["verkennend", "beginnend", "ontwikkelend", "vakkundig", "bekwaam", "professional"]


class RubricModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    levels: list[Level] = Field(
        default_factory=lambda: list(DEFAULT_RUBRIC),
        min_length=2,
        max_length=20,
        description="Rubric levels, lowest first.",
    )
    pass_level: Level = Field("bekwaam", description="Every outcome must reach it (R13).")
    early_level: Level = Field("vakkundig", description="The level that counts for R8.")


class ProgramSettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    medium_stake_moments: list[Annotated[int, Field(ge=1, le=100)]] = Field(
        default_factory=lambda: [50, 70],
        min_length=2,
        max_length=2,
        description="Percentages of the program at the two medium-stakes, increasing (R6).",
    )
    early_fraction: float = Field(
        0.5, ge=0, lt=1, description="Strictly more than this share at the early level (R8)."
    )
    min_evidence_per_outcome: int = Field(2, ge=1, le=100, description="R9.")
    min_assessors: int = Field(2, ge=2, le=20, description="R10.")
    assessor_independence: bool = Field(True, description="R10: one assessor is not the coach.")
    committee_quorum: int = Field(2, ge=1, le=50, description="R14.")
    exam_retention_months: int = Field(
        18,
        ge=18,
        le=600,
        description="Months the exam record of a trajectory is kept after its last ratified "
        "decision (the legal hold; at least the 1.5 years the inspectorate expects).",
    )
    formative_retention_months: int = Field(
        6,
        ge=0,
        le=600,
        description="Months formative data (feedback, progress checks, exhibitions) is kept "
        "after the trajectory closes; sooner on request.",
    )


class PublishProgramVersion(ProgramCommand):
    """Publish a new program version.

    Versions never change once published; trajectories stay on the version they started on
    (R3)."""

    model_config = examples(
        {
            "title": "Software developer, keuzedeel Werken met AI-tools",
            "outcomes": [
                {"code": "LO1", "title": "Plans and estimates the work"},
                {"code": "LO2", "title": "Tests software and acts on the results"},
            ],
        }
    )
    issued_by = allow(R.ADMINISTRATION)
    rule = "R3"
    result = ResultField("number", int, "The number of the published version.")

    title: PublicText = Field(description="Title of this version.")
    outcomes: list[OutcomeModel] = Field(min_length=1, max_length=50)
    rubric: RubricModel = Field(default_factory=RubricModel)
    settings: ProgramSettingsModel = Field(default_factory=ProgramSettingsModel)

    def definition_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"program_id"})


class RegisterStaff(ProgramCommand):
    """Register a staff member for the program (coach, mentor, assessor, committee)."""

    model_config = examples({"person_id": "assessor-4", "role": "assessor"})
    issued_by = allow(R.ADMINISTRATION)
    rule = "R3"

    person_id: PersonId
    role: StaffRole = Field(description="The staff role in this program.")


class DeregisterStaff(ProgramCommand):
    """Deregister a staff member.

    The registration stays in the program's history; the person no longer holds the role."""

    model_config = examples({"person_id": "assessor-4", "role": "assessor"})
    issued_by = allow(R.ADMINISTRATION)
    rule = "R3"

    person_id: PersonId
    role: StaffRole = Field(description="The staff role in this program.")


# ---- trajectories


class StartTrajectory(Command):
    """Start a trajectory on a published program version (R3: pinned for good).

    A coach registered for the program starts the trajectories they coach themselves; program
    administration starts any. The id derives from program, student and cohort."""

    model_config = examples(
        {
            "program_id": EXAMPLE_PROGRAM,
            "student_id": "student-26",
            "cohort": "2026-A",
            "coach_id": "coach-1",
            "mentor_id": "mentor-1",
        }
    )
    issued_by = allow(R.PROGRAM_COACH, R.ADMINISTRATION)
    rule = "R1"

    program_id: uuid.UUID = Field(description="The program.")
    program_version: f.Number | None = Field(
        None, description="The published version to run under; the latest when left out."
    )
    student_id: PersonId
    cohort: Cohort
    coach_id: PersonId = Field(description="A coach registered for the program.")
    mentor_id: PersonId = Field(description="A mentor (SLB) registered for the program.")
    occurred_on: OccurredOn = None


class ReassignCoach(TrajectoryCommand):
    """Reassign the coach."""

    model_config = examples({"coach_id": "coach-2", "reason": "Coach on leave"})
    issued_by = allow(R.ADMINISTRATION)
    rule = "R1"

    coach_id: PersonId = Field(description="A coach registered for the program.")
    reason: Text = Field(description="Why the coach changes.")


class ReassignMentor(TrajectoryCommand):
    """Reassign the mentor (SLB)."""

    model_config = examples({"mentor_id": "mentor-2", "reason": "New class mentor"})
    issued_by = allow(R.ADMINISTRATION)
    rule = "R1"

    mentor_id: PersonId = Field(description="A mentor registered for the program.")
    reason: Text = Field(description="Why the mentor changes.")


class RecordCorrection(TrajectoryCommand):
    """Record a correction of an earlier event.

    Nothing is erased (R2): the correction is a new event naming the corrected version. An event
    is corrected by its author or by the committee; after a ratified pass only the committee
    corrects (R16)."""

    model_config = examples(
        {
            "corrects_version": 3,
            "reason": "Wrong outcome code in the evidence",
            "details": {"outcomes": ["LO2"]},
        }
    )
    issued_by = allow(R.STUDENT, R.COACH, R.MENTOR, R.ASSESSOR, R.COMMITTEE, R.ADMINISTRATION)
    rule = "R2"

    corrects_version: f.Number = Field(description="Version of the corrected event.")
    reason: Text = Field(description="Why the correction is made.")
    details: Details = Field(default_factory=dict, description="What the corrected values are.")


# ---- the learning chapters


class MeasureBaseline(TrajectoryCommand):
    """Record a baseline level (0-meting) for one outcome."""

    model_config = examples({"outcome": "LO1", "level": "beginnend", "rationale": "Intake talk"})
    issued_by = allow(R.STUDENT, R.COACH)
    rule = "R1"
    retention = Retention.FORMATIVE

    outcome: Code
    level: Level
    rationale: Text


class SubmitEvidence(TrajectoryCommand):
    """Submit evidence (leerbewijs): a content reference and the SHA-256 of the content (R2).

    Only the trajectory's own student submits evidence; evidence is never replaced."""

    model_config = examples(
        {
            "evidence_id": "ev-101",
            "title": "Sprint plan with estimates",
            "kind": "product",
            "uri": "https://portfolio.example.nl/student-01/ev-101",
            "sha256": EXAMPLE_SHA256,
            "outcomes": ["LO1"],
        }
    )
    issued_by = allow(R.STUDENT)
    rule = "R1"

    evidence_id: ItemId
    title: Title = Field(description="What the evidence is.")
    kind: EvidenceKind = Field(description="The kind of evidence.")
    uri: Uri
    sha256: Sha256
    outcomes: list[Code] = Field(
        default_factory=list, max_length=f.MAX_ITEMS, description="Learning outcomes it shows."
    )
    criteria: list[Code] = Field(
        default_factory=list, max_length=f.MAX_ITEMS, description="Quality criteria it shows."
    )
    ai_use: bool = Field(False, description="An AI tool was used (declare how).")
    external_sources: bool = Field(False, description="External sources were used (declare).")
    declaration: Text = Field("", description="How AI or external sources were used (R9).")


class WithdrawEvidence(TrajectoryCommand):
    """Withdraw evidence: it stays in the record, marked withdrawn (R2)."""

    model_config = examples({"reason": "Uploaded the wrong version"})
    issued_by = allow(R.STUDENT)
    rule = "R2"

    evidence_id: ItemId
    reason: Text = Field(description="Why the evidence is withdrawn.")


class RequestFeedback(TrajectoryCommand):
    """Ask someone for feedback on outcomes, optionally on one evidence item."""

    model_config = examples(
        {
            "request_id": "rq-1",
            "requested_from": "coach-1",
            "source": "coach",
            "outcomes": ["LO1"],
            "question": "Is my estimate realistic?",
        }
    )
    issued_by = allow(R.STUDENT)
    rule = "R5"
    retention = Retention.FORMATIVE

    request_id: ItemId
    requested_from: PersonId = Field(description="Who is asked.")
    source: FeedbackSource = Field(description="In which capacity they are asked.")
    outcomes: list[Code] = Field(default_factory=list, max_length=f.MAX_ITEMS)
    evidence_id: ItemId | None = Field(None, description="The evidence it is about, if any.")
    question: Text = ""


class GiveFeedback(TrajectoryCommand):
    """Give feedback on outcomes or criteria, never on a product as such (R5).

    Self-reflection comes from the student, peer feedback from a fellow student of the program,
    coach feedback from the trajectory's coach. Practice and client feedback are recorded by the
    student, the coach or the mentor on the giver's behalf, or by the giver answering a feedback
    request addressed to them."""

    model_config = examples(
        {
            "feedback_id": "fb-101",
            "source": "self",
            "giver_id": "student-01",
            "outcomes": ["LO1"],
            "text": "My plan was too optimistic; next time I estimate testing too.",
        }
    )
    issued_by = allow_by(
        "source",
        {
            FeedbackSource.SELF: {R.STUDENT},
            FeedbackSource.PEER: {R.PEER},
            FeedbackSource.COACH: {R.COACH},
            FeedbackSource.PRACTICE: {R.STUDENT, R.COACH, R.MENTOR, R.REQUESTED},
            FeedbackSource.CLIENT: {R.STUDENT, R.COACH, R.MENTOR, R.REQUESTED},
        },
    )
    rule = "R5"
    retention = Retention.FORMATIVE

    feedback_id: ItemId
    source: FeedbackSource = Field(description="self, peer, coach, practice or client.")
    giver_id: PersonId = Field(description="Who gives it (the student, for self-reflection).")
    outcomes: list[Code] = Field(default_factory=list, max_length=f.MAX_ITEMS)
    criteria: list[Code] = Field(default_factory=list, max_length=f.MAX_ITEMS)
    evidence_id: ItemId | None = Field(None, description="The evidence it is about, if any.")
    text: Text = Field(description="The feedback.")
    request_id: ItemId | None = Field(None, description="The request it answers, if any.")


class CheckProgress(TrajectoryCommand):
    """Record a progress check (tussenevaluatie) with its traffic light."""

    model_config = examples({"light": "orange", "notes": "LO4 lacks evidence"})
    issued_by = allow(R.MENTOR, R.COACH)
    rule = "R1"
    retention = Retention.FORMATIVE

    light: TrafficLight
    notes: Text = Field("", description="Required for orange and red: what must improve.")


class PublishExhibition(TrajectoryCommand):
    """Publish an exhibition: the student's own selection of key evidence, as a showcase."""

    model_config = examples(
        {"exhibition_id": "showcase-1", "title": "My best work", "evidence_ids": ["ev-1"]}
    )
    issued_by = allow(R.STUDENT)
    rule = "R1"
    retention = Retention.FORMATIVE

    exhibition_id: ItemId
    title: Title
    evidence_ids: list[ItemId] = Field(max_length=f.MAX_ITEMS)


# ---- medium-stakes, green light, early route


class HoldMediumStake(TrajectoryCommand):
    """Hold a medium-stake (50% or 70%): interim portfolio, a level per outcome, feedback (R6)."""

    model_config = examples(
        {
            "portfolio": ["ev-1", "ev-2"],
            "levels": EXAMPLE_LEVELS,
            "feedback": "Strong progress on LO2",
            "rationale": "Levels set against the rubric",
        }
    )
    issued_by = allow(R.COACH)
    rule = "R6"
    result = ResultField("number", int, "1 for the first medium-stake, 2 for the second.")

    portfolio: list[ItemId] = Field(max_length=f.MAX_ITEMS, description="Evidence ids.")
    levels: Levels = Field(description="A level per outcome.")
    feedback: Text = Field("", description="The coach's feedback.")
    rationale: Text = Field(description="Why these levels.")


class DecideGreenLight(TrajectoryCommand):
    """Give or withhold the green light for the high-stake (R7).

    Only the trajectory's coach, after the second medium-stake. Withholding records the advice."""

    model_config = examples(
        {"decision": "give", "rationale": "Enough evidence on every outcome"},
        {
            "decision": "withhold",
            "rationale": "LO2 is thin",
            "advice": "Gather two more test reports for LO2",
        },
    )
    issued_by = allow(R.COACH)
    rule = "R7"

    decision: Literal["give", "withhold"]
    rationale: Text
    advice: Text = Field("", description="When withholding: what to gather more evidence on.")


class RequestEarlyHighStake(TrajectoryCommand):
    """Request the high-stake early, after the first medium-stake (R8).

    Only when strictly more than half of the outcomes were at least vakkundig."""

    model_config = examples({"motivation": "Every outcome is vakkundig already"})
    issued_by = allow(R.STUDENT)
    rule = "R8"

    motivation: Text = ""


class DecideEarlyHighStake(TrajectoryCommand):
    """Grant or refuse a pending early-route request (R8)."""

    model_config = examples({"grant": True, "rationale": "Strong interim portfolio"})
    issued_by = allow(R.COACH)
    rule = "R8"

    grant: bool
    rationale: Text


# ---- the high-stake


class RequestHighStake(TrajectoryCommand):
    """Request the high-stake with a portfolio and a reading guide (R9).

    Needs the green light (or the early route), every outcome covered by enough evidence, and a
    reading guide that explains any AI or external use."""

    model_config = examples(
        {
            "portfolio": ["ev-1", "ev-2", "ev-3", "ev-4"],
            "reading_guide_uri": "https://portfolio.example.nl/student-01/guide",
            "reading_guide_sha256": EXAMPLE_SHA256,
        }
    )
    issued_by = allow(R.STUDENT)
    rule = "R9"
    result = ResultField("attempt", int, "The attempt number (1, then 2 for a resit, ...).")

    portfolio: list[ItemId] = Field(max_length=f.MAX_ITEMS, description="Evidence ids.")
    reading_guide_uri: Uri
    reading_guide_sha256: Sha256
    ai_explanation: Text = Field(
        "", description="Required when a portfolio item declares AI or external use."
    )


class AssignAssessors(TrajectoryCommand):
    """Assign the assessors of an attempt: at least two distinct registered assessors, not all
    the coach (R10). The exam committee appoints them; program administration may record it."""

    model_config = examples({"assessor_ids": ["assessor-1", "assessor-2"]})
    issued_by = allow(R.COMMITTEE, R.ADMINISTRATION)
    rule = "R10"

    attempt: AttemptNumber
    assessor_ids: list[PersonId] = Field(max_length=20)


class SubmitJudgment(TrajectoryCommand):
    """Submit an assessor's independent judgment: a level and rationale per outcome, a verdict.

    Only an assessor assigned to this attempt, once (R11)."""

    model_config = examples(
        {
            "levels": EXAMPLE_LEVELS,
            "level_rationales": {c: "The portfolio shows it" for c in EXAMPLE_LEVELS},
            "verdict": "pass",
            "rationale": "Holistic judgment of the portfolio",
        }
    )
    issued_by = allow(R.ASSESSOR)
    rule = "R11"

    attempt: AttemptNumber
    levels: Levels = Field(description="A level per outcome.")
    level_rationales: Rationales = Field(description="Why, per outcome.")
    verdict: Verdict
    rationale: Text


class HoldCriterionInterview(TrajectoryCommand):
    """Record the criterion-based interview (CGI), held on doubt or disagreement (R12)."""

    model_config = examples({"notes": "Asked about the test strategy of LO2"})
    issued_by = allow(R.ASSESSOR)
    rule = "R12"

    attempt: AttemptNumber
    notes: Text


class AgreeFinalLevels(TrajectoryCommand):
    """Record the assessors' agreed final level per outcome (R12)."""

    model_config = examples({"levels": EXAMPLE_LEVELS, "rationale": "Agreed after the CGI"})
    issued_by = allow(R.ASSESSOR)
    rule = "R12"

    attempt: AttemptNumber
    levels: Levels = Field(description="The agreed level per outcome.")
    rationale: Text


class ConcludeAssessment(TrajectoryCommand):
    """Conclude the assessment: passed iff every outcome reaches the pass level (R13)."""

    model_config = examples({"rationale": "Every outcome at least bekwaam"})
    issued_by = allow(R.ASSESSOR)
    rule = "R13"
    result = ResultField("passed", bool, "Whether every outcome reached the pass level.")

    attempt: AttemptNumber
    rationale: Text


class CastVote(TrajectoryCommand):
    """Cast a committee vote on the concluded assessment (R14).

    Only members of the program's committee, once each, never an assessor of the attempt; the
    vote that completes the quorum decides."""

    model_config = examples({"vote": "ratify", "rationale": "Procedure followed, well argued"})
    issued_by = allow(R.COMMITTEE)
    rule = "R14"
    result = ResultField(
        "decision",
        Literal["ratified", "referred_back"] | None,
        "The committee's decision if this vote completed the quorum.",
    )

    attempt: AttemptNumber
    vote: Vote
    rationale: Text


class RecordDevelopmentPlan(TrajectoryCommand):
    """Record the development plan after a ratified failed high-stake; required before a resit
    (R15)."""

    model_config = examples({"attempt": 1, "plan": "Two more test reports on LO2, then a resit"})
    issued_by = allow(R.STUDENT, R.COACH)
    rule = "R15"

    attempt: AttemptNumber = Field(description="The failed attempt.")
    plan: Text


# The items of the borging checklist (projections/models/borging.py; a test holds them equal).
BorgingItem = Literal[
    "min_assessors",
    "independence",
    "min_evidence",
    "evidence_variety",
    "feedback_givers",
    "green_light_before_request",
    "ai_use_explained",
    "no_compensation",
    "quorum",
    "no_referral",
    "portfolio_intact",
    "uncorrected",
]


class RecordBorgingFollowUp(TrajectoryCommand):
    """Record how the committee followed up a borging exception of a concluded high-stake.

    The borging checklist lists, per concluded attempt, the items that do not hold; this records
    what the committee did about one of them. It changes nothing in the assessment or the
    decision, so it is also recorded on a trajectory closed by a ratified pass (R16 closes the
    student's record, not the committee's account of its quality assurance)."""

    model_config = examples(
        {
            "attempt": 1,
            "item": "evidence_variety",
            "action": "Discussed with the coach; the guide now asks for two kinds of evidence",
        }
    )
    issued_by = allow(R.COMMITTEE)
    rule = "R14"

    attempt: AttemptNumber
    item: BorgingItem = Field(description="The checklist item that did not hold.")
    action: Text = Field(description="What was done about it.")


# ---- privacy: every request, shred and export is a record of its own (domain/privacy)

P = "P1"  # who may: the privacy officer, or the student for their own data
ErasureClass = Literal["formative", "all"]


class PrivacyCommand(Command):
    """A privacy record about one student (never a trajectory's data: it holds no erased value)."""

    student_id: PersonId = Field(description="The student it concerns.")
    # An erasure request received by letter last week is recorded with the day it came in.
    occurred_on: OccurredOn = None

    def subject(self) -> DataSubject:
        return DataSubject(self.student_id)


class RequestErasure(PrivacyCommand):
    """Record a request to erase a student's data (AVG art. 17).

    Recorded at once, also during a legal hold: what the hold keeps is erased by the retention
    job when the hold ends (`bewijsketen privacy retention --apply`); the rest at once by
    `bewijsketen privacy erase`."""

    model_config = examples(
        {"classes": "formative", "reason": "Request of the student by e-mail of 12 March"}
    )
    issued_by = allow(R.PRIVACY_OFFICER, R.DATA_SUBJECT)
    rule = P

    classes: ErasureClass = Field(
        description="formative: feedback, progress checks, exhibitions; all: the exam record too."
    )
    reason: Reason


class RecordShred(PrivacyCommand):
    """Record a shred carried out: which keys of the student were destroyed, and why.

    Written by the erase use case (domain/privacy/erasure.py) after the keys are gone; it names
    the keys and trajectories, never a value they encrypted."""

    model_config = examples(
        {
            "classes": ["formative"],
            "reason": "Retention period ended",
            "key_ids": ["k-1"],
            "trajectory_ids": [EXAMPLE_TRAJECTORY],
        }
    )
    issued_by = allow(R.PRIVACY_OFFICER)
    rule = P

    classes: list[Retention] = Field(min_length=1, max_length=2)
    reason: Reason
    request_id: uuid.UUID | None = Field(None, description="The erasure request carried out.")
    key_ids: list[Annotated[str, Field(max_length=f.MAX_ID)]] = Field(
        default_factory=list, max_length=f.MAX_ITEMS, description="The data keys destroyed."
    )
    trajectory_ids: list[uuid.UUID] = Field(default_factory=list, max_length=f.MAX_ITEMS)
    unreachable_events: int = Field(
        0, ge=0, description="Events stored in plaintext before encryption, which no shred reaches."
    )
    registry_forgotten: bool = Field(False, description="The person registry entry was erased.")


class RecordAccessExport(PrivacyCommand):
    """Record an access export made of everything stored about a student (AVG art. 15)."""

    model_config = examples({"events": 42, "sha256": EXAMPLE_SHA256})
    issued_by = allow(R.PRIVACY_OFFICER, R.DATA_SUBJECT)
    rule = P

    events: int = Field(ge=0, le=f.MAX_INT, description="Events the export holds.")
    sha256: Sha256 = Field(description="SHA-256 of the zip handed out.")


def all_commands() -> tuple[type[Command], ...]:
    """Every concrete command, in the order declared here."""
    found: list[type[Command]] = []
    pending = list(Command.__subclasses__())
    while pending:
        cls = pending.pop(0)
        pending[0:0] = cls.__subclasses__()
        if cls not in (ProgramCommand, TrajectoryCommand, PrivacyCommand):
            found.append(cls)
    return tuple(sorted(found, key=_declared_order))


def _declared_order(cls: type[Command]) -> int:
    return list(globals()).index(cls.__name__) if cls.__name__ in globals() else 10**6
