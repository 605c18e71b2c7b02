"""The Trajectory aggregate: one student on one published program version.

Each command method (marked with `handles`) checks the rules, then triggers an event. The events
are nested here, named in the past tense; each one's `apply` is all that replaying it does, so
replaying never re-runs a check. Who acts is not a parameter: every event records the actor and
the request from the execution context (`domain.aggregate`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import event

from domain import commands as c
from domain import moments, rules
from domain.aggregate import RecordedAggregate
from domain.commands import handles
from domain.errors import InvalidInput, NotPermitted, RuleViolation
from domain.program import Program, ProgramDefinition
from domain.values import (
    Actor,
    Decision,
    EarlyRoute,
    EvidenceKind,
    FeedbackSource,
    GreenLight,
    Phase,
    Role,
    StaffRole,
    TrafficLight,
    Verdict,
    Vote,
)

NAMESPACE = uuid.UUID("0b6f0f7e-3c1e-4d0f-8f5e-9c2d1a7b4e21")

_DEFINITIONS: dict[tuple[uuid.UUID, int], tuple[dict[str, Any], ProgramDefinition]] = {}


@dataclass
class EvidenceItem:
    evidence_id: str
    title: str
    kind: EvidenceKind
    uri: str
    sha256: str
    outcomes: list[str]
    criteria: list[str]
    ai_use: bool
    external_sources: bool
    declaration: str
    submitted_at: datetime
    withdrawn: bool = False
    withdrawal_reason: str = ""
    occurred_on: date | None = None

    @property
    def declares_use(self) -> bool:
        return self.ai_use or self.external_sources


@dataclass
class FeedbackItem:
    feedback_id: str
    source: FeedbackSource
    giver_id: str
    outcomes: list[str]
    criteria: list[str]
    evidence_id: str | None
    text: str
    request_id: str | None
    given_at: datetime
    recorded_by: str
    occurred_on: date | None = None


@dataclass
class FeedbackRequest:
    request_id: str
    requested_from: str
    source: FeedbackSource
    outcomes: list[str]
    evidence_id: str | None
    question: str
    answered: bool = False


@dataclass
class ProgressCheck:
    light: TrafficLight
    notes: str
    checked_by: str
    checked_at: datetime
    occurred_on: date | None = None


@dataclass
class MediumStake:
    number: int
    moment: int
    portfolio: list[str]
    levels: dict[str, str]
    feedback: str
    rationale: str
    held_by: str
    held_at: datetime
    occurred_on: date | None = None

    @property
    def day(self) -> date:
        return self.occurred_on or moments.day_of(self.held_at)


@dataclass
class Judgment:
    assessor_id: str
    levels: dict[str, str]
    level_rationales: dict[str, str]
    verdict: Verdict
    rationale: str
    submitted_at: datetime
    occurred_on: date | None = None


@dataclass
class Attempt:
    number: int
    portfolio: list[str]
    reading_guide: dict[str, str]
    early: bool
    requested_at: datetime
    assessors: list[str] = field(default_factory=list)
    judgments: dict[str, Judgment] = field(default_factory=dict)
    interview_held: bool = False
    final_levels: dict[str, str] | None = None
    concluded_levels: dict[str, str] | None = None
    passed: bool | None = None
    round: int = 1
    votes: dict[str, Vote] = field(default_factory=dict)
    decision: Decision | None = None  # RATIFIED once decided; a referral opens a new round
    development_plan: str | None = None

    @property
    def open(self) -> bool:
        return self.decision is None

    def facts(self) -> rules.AttemptFacts:
        return rules.AttemptFacts(
            assessors=self.assessors,
            judgments={
                a: rules.JudgmentSummary(j.verdict, j.levels) for a, j in self.judgments.items()
            },
            interview_held=self.interview_held,
            final_levels=self.final_levels,
            passed=self.passed,
            votes_cast=len(self.votes),
            decision=self.decision,
            development_plan=bool(self.development_plan),
        )

    @property
    def all_judged(self) -> bool:
        return self.facts().all_judged


__all__ = ["NotPermitted", "Trajectory"]

STATE_CLASSES: tuple[type, ...] = (
    EvidenceItem,
    FeedbackItem,
    FeedbackRequest,
    ProgressCheck,
    MediumStake,
    Judgment,
    Attempt,
)


def _require_text(rule: str, value: str, what: str) -> None:
    if not value or not value.strip():
        raise InvalidInput(rule, f"{what} must not be empty")


def _require_sha256(rule: str, value: str, what: str) -> None:
    if len(value) != 64 or not set(value) <= set("0123456789abcdef"):
        raise InvalidInput(rule, f"{what} must be a lowercase hex SHA-256 (64 characters)")


def _outcomes(codes: list[str]) -> str:
    return ", ".join(codes) or "-"


class Trajectory(RecordedAggregate):
    """One student's way through one program version, from orientation to ratified decision."""

    # Version 2 of the state: enums for green light, early route and decision, and the terms of
    # former coaches and mentors. Snapshots of version 1 are not upcast but replayed from the
    # events (see `upcast_v1_v2`). Version 3: the day the trajectory started (`started_on`).
    class_version = 3

    @staticmethod
    def create_id(program_id: uuid.UUID, student_id: str, cohort: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"{program_id}|{student_id}|{cohort}")

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["stale_snapshot"] = True

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        # Trajectories started before the day was recorded started on the day they were.
        state.setdefault("started_on", None)

    class Event(RecordedAggregate.Event, moments.Occurring):
        # The day its happening took place, when the command said (`moments.Occurring`).
        occurred_on: date | None

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate.event_actors.append(self.actor.person_id)
            return aggregate

    class Started(Event, RecordedAggregate.Created):
        program_id: uuid.UUID
        program_version: int
        definition: dict[str, Any]
        student_id: str
        cohort: str
        coach_id: str
        mentor_id: str

        def summary(self) -> str:
            return (
                f"started on program version {self.program_version}, cohort {self.cohort}, "
                f"coach {self.coach_id}, mentor {self.mentor_id}"
            )

    @event(Started)
    def __init__(
        self,
        program_id: uuid.UUID,
        program_version: int,
        definition: dict[str, Any],
        student_id: str,
        cohort: str,
        coach_id: str,
        mentor_id: str,
        occurred_on: date | None,
    ) -> None:
        self.program_id = program_id
        self.started_on = occurred_on
        self.program_version = program_version
        self.definition_data = definition
        self.student_id = student_id
        self.cohort = cohort
        self.coach_id = coach_id
        self.mentor_id = mentor_id
        self.baseline: dict[str, str] = {}
        self.evidence: dict[str, EvidenceItem] = {}
        self.feedback: list[FeedbackItem] = []
        self.feedback_requests: dict[str, FeedbackRequest] = {}
        self.progress_checks: list[ProgressCheck] = []
        self.medium_stakes: list[MediumStake] = []
        self.green_light: GreenLight | None = None
        self.green_light_note: str = ""
        self.early_route: EarlyRoute | None = None
        self.attempts: list[Attempt] = []
        self.corrections: list[dict[str, Any]] = []
        self.exhibitions: dict[str, list[str]] = {}
        self.closed = False
        self.commands: dict[str, list[Any]] = {}
        self.event_actors: list[str] = []
        # Former coaches and mentors: staff role → person → last version of their term.
        self.former: dict[str, dict[str, int]] = {}

    # ---- derived state

    @property
    def definition(self) -> ProgramDefinition:
        # Parsed once per stored dict; kept outside the aggregate so snapshots stay plain data.
        key = (self.program_id, self.program_version)
        entry = _DEFINITIONS.get(key)
        if entry is None or entry[0] != self.definition_data:
            if len(_DEFINITIONS) > 1024:
                _DEFINITIONS.clear()
            entry = (self.definition_data, ProgramDefinition.from_dict(self.definition_data))
            _DEFINITIONS[key] = entry
        return entry[1]

    @property
    def start_day(self) -> date:
        """The day the trajectory started: the day its start says, or the day it was recorded."""
        return self.started_on or moments.day_of(self.created_on)

    @property
    def current_attempt(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def open_attempt(self) -> Attempt | None:
        attempt = self.current_attempt
        return attempt if attempt is not None and attempt.open else None

    @property
    def phase(self) -> Phase:
        return rules.phase(
            closed=self.closed,
            attempt_open=self.open_attempt is not None,
            last_attempt_failed=bool(self.attempts) and self.attempts[-1].passed is False,
            medium_stakes_held=len(self.medium_stakes),
            any_activity=bool(self.evidence or self.feedback or self.progress_checks),
        )

    @property
    def latest_levels(self) -> dict[str, str]:
        return dict(self.medium_stakes[-1].levels) if self.medium_stakes else {}

    def active_evidence(self) -> dict[str, EvidenceItem]:
        return {k: e for k, e in self.evidence.items() if not e.withdrawn}

    def evidence_per_outcome(self) -> dict[str, int]:
        return rules.evidence_per_outcome(
            (e.outcomes for e in self.active_evidence().values()), self.definition
        )

    def interview_reasons(self, attempt: Attempt) -> list[str]:
        return rules.interview_reasons(attempt.facts(), self.definition)

    def progress_facts(self) -> rules.ProgressFacts:
        attempt = self.current_attempt
        return rules.progress_facts(
            closed=self.closed,
            evidence_outcomes=(e.outcomes for e in self.active_evidence().values()),
            medium_stakes_held=len(self.medium_stakes),
            latest_levels=self.latest_levels,
            green_light=self.green_light,
            early_route=self.early_route,
            attempt=attempt.facts() if attempt is not None else None,
            definition=self.definition,
        )

    def next_step(self) -> rules.NextStep:
        return rules.next_step(self.progress_facts(), self.definition)

    def actors_by_version(self) -> dict[int, str]:
        return dict(enumerate(self.event_actors, start=1))

    # ---- what access depends on (domain.policy.Subject)

    def assessor_ids(self) -> Collection[str]:
        return {a for attempt in self.attempts for a in attempt.assessors}

    def former_terms(self, role: StaffRole) -> Mapping[str, int]:
        return self.former.get(role.value, {})

    def requests_addressed_to(self) -> Collection[str]:
        return {r.requested_from for r in self.feedback_requests.values() if not r.answered}

    # ---- guards shared by commands

    def _open(self) -> None:
        if self.closed:
            raise RuleViolation(
                "R16",
                "the trajectory is closed by a ratified pass; only a committee correction "
                "can still be recorded",
            )

    def _check_outcomes(self, outcomes: list[str], criteria: list[str], rule: str) -> None:
        known = set(self.definition.outcome_codes)
        unknown = [code for code in outcomes if code not in known]
        if unknown:
            raise InvalidInput(
                "R4", f"unknown learning outcome(s) in this program version: {unknown}"
            )
        unknown_criteria = [x for x in criteria if x not in self.definition.criterion_codes()]
        if unknown_criteria:
            raise InvalidInput(
                "R4", f"unknown quality criteria in this program version: {unknown_criteria}"
            )
        if not outcomes and not criteria:
            raise InvalidInput(rule, "name at least one learning outcome or quality criterion")

    def _check_levels(self, levels: Mapping[str, str], *, complete: bool) -> None:
        known_outcomes = set(self.definition.outcome_codes)
        unknown = [code for code in levels if code not in known_outcomes]
        if unknown:
            raise InvalidInput(
                "R4", f"unknown learning outcome(s) in this program version: {unknown}"
            )
        bad = sorted({v for v in levels.values() if v not in self.definition.rubric.levels})
        if bad:
            raise InvalidInput("R4", f"unknown rubric level(s): {bad}")
        if complete:
            missing = [code for code in self.definition.outcome_codes if code not in levels]
            if missing:
                raise InvalidInput(
                    "R4", f"a level is required for every outcome; missing {missing}"
                )

    def _check_evidence(self, evidence_ids: list[str]) -> None:
        for evidence_id in evidence_ids:
            item = self.evidence.get(evidence_id)
            if item is None:
                raise InvalidInput(
                    "R4", f"evidence {evidence_id} does not exist on this trajectory"
                )
            if item.withdrawn:
                raise InvalidInput("R4", f"evidence {evidence_id} was withdrawn")

    def _attempt(self, number: int) -> Attempt:
        if not 1 <= number <= len(self.attempts):
            raise InvalidInput("R4", f"there is no high-stake attempt {number}")
        return self.attempts[number - 1]

    def _open_attempt(self, number: int) -> Attempt:
        attempt = self._attempt(number)
        if not attempt.open:
            raise RuleViolation("R14", f"attempt {number} has already been decided")
        return attempt

    def _day(self, day: date | None) -> date | None:
        """R1: the day a command says its happening took place lies neither after today nor
        before the trajectory started. None: it takes place as it is recorded."""
        day = moments.check_day(day)
        if day is not None and day < self.start_day:
            raise RuleViolation(
                "R1",
                f"occurred_on {day.isoformat()} lies before the trajectory started "
                f"({self.start_day.isoformat()})",
            )
        return day

    @staticmethod
    def _require_assessor_of(attempt: Attempt, actor: Actor, rule: str) -> None:
        if actor.person_id not in attempt.assessors:
            raise NotPermitted(rule, "only an assessor assigned to this attempt can do this")

    # ---- commands: starting and staff

    @classmethod
    @handles(c.StartTrajectory)
    def start(cls, cmd: c.StartTrajectory, program: Program, actor: Actor) -> Trajectory:
        number = cmd.program_version or program.latest_version
        if number is None or number not in program.versions:
            raise RuleViolation(
                "R3", f"program {program.code} has no published version {number or ''}".strip()
            )
        if not program.is_staff(cmd.coach_id, StaffRole.COACH):
            raise RuleViolation(
                "R7", f"{cmd.coach_id} is not registered as coach for {program.code}"
            )
        if not program.is_staff(cmd.mentor_id, StaffRole.MENTOR):
            raise RuleViolation(
                "R1", f"{cmd.mentor_id} is not registered as mentor for {program.code}"
            )
        if cmd.student_id in (cmd.coach_id, cmd.mentor_id):
            raise RuleViolation("R10", "a student cannot coach or mentor themselves")
        if actor.role is Role.COACH and cmd.coach_id != actor.person_id:
            raise NotPermitted("R1", "a coach starts the trajectories they coach themselves")
        day = moments.check_day(cmd.occurred_on)
        return cls(
            program_id=cmd.program_id,
            program_version=number,
            definition=program.versions[number],
            student_id=cmd.student_id,
            cohort=cmd.cohort,
            coach_id=cmd.coach_id,
            mentor_id=cmd.mentor_id,
            occurred_on=day,
        )

    def _reassign(
        self, role: StaffRole, person: str, reason: str, program: Program, day: date | None
    ) -> None:
        """The coach or the mentor changes: one registered in that role for the program, never
        the student; the former one keeps reading the trajectory as it stood in their term."""
        self._open()
        _require_text("R1", reason, "the reason for reassigning")
        rule = "R7" if role is StaffRole.COACH else "R1"
        if not program.is_staff(person, role):
            raise RuleViolation(rule, f"{person} is not registered as {role.value}")
        if person == self.student_id:
            raise RuleViolation("R10", f"a student cannot be their own {role.value}")
        if person == getattr(self, f"{role.value}_id"):
            raise RuleViolation("R1", f"{person} is already the {role.value}")
        if role is StaffRole.COACH:
            self.trigger_event(
                self.CoachReassigned, coach_id=person, reason=reason, occurred_on=day
            )
        else:
            self.trigger_event(
                self.MentorReassigned, mentor_id=person, reason=reason, occurred_on=day
            )

    def _end_term(self, role: StaffRole) -> None:
        former = self.former.setdefault(role.value, {})
        former[getattr(self, f"{role.value}_id")] = self.version

    @handles(c.ReassignCoach)
    def reassign_coach(self, cmd: c.ReassignCoach, program: Program) -> None:
        self._reassign(
            StaffRole.COACH, cmd.coach_id, cmd.reason, program, self._day(cmd.occurred_on)
        )

    class CoachReassigned(Event):
        coach_id: str
        reason: str

        def apply(self, t: Trajectory) -> None:
            t._end_term(StaffRole.COACH)
            t.coach_id = self.coach_id

        def summary(self) -> str:
            return f"coach is now {self.coach_id}: {self.reason}"

    @handles(c.ReassignMentor)
    def reassign_mentor(self, cmd: c.ReassignMentor, program: Program) -> None:
        self._reassign(
            StaffRole.MENTOR, cmd.mentor_id, cmd.reason, program, self._day(cmd.occurred_on)
        )

    class MentorReassigned(Event):
        mentor_id: str
        reason: str

        def apply(self, t: Trajectory) -> None:
            t._end_term(StaffRole.MENTOR)
            t.mentor_id = self.mentor_id

        def summary(self) -> str:
            return f"mentor is now {self.mentor_id}: {self.reason}"

    @handles(c.MeasureBaseline)
    def measure_baseline(self, cmd: c.MeasureBaseline) -> None:
        self._open()
        self._check_levels({cmd.outcome: cmd.level}, complete=False)
        _require_text("R1", cmd.rationale, "the rationale of a baseline level")
        if self.medium_stakes:
            raise RuleViolation("R6", "a baseline belongs to the start, before the medium-stakes")
        self.trigger_event(
            self.BaselineMeasured,
            outcome=cmd.outcome,
            level=cmd.level,
            rationale=cmd.rationale,
            occurred_on=self._day(cmd.occurred_on),
        )

    class BaselineMeasured(Event):
        outcome: str
        level: str
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.baseline[self.outcome] = self.level

        def summary(self) -> str:
            return f"baseline {self.outcome}: {self.level}"

    # ---- commands: evidence and feedback

    @handles(c.SubmitEvidence)
    def submit_evidence(self, cmd: c.SubmitEvidence) -> None:
        self._open()
        if cmd.evidence_id in self.evidence:
            raise RuleViolation(
                "R2", f"evidence {cmd.evidence_id} exists; evidence is never replaced"
            )
        _require_text("R2", cmd.title, "the title of the evidence")
        _require_text("R2", cmd.uri, "the content reference (URI) of the evidence")
        _require_sha256("R2", cmd.sha256, "the content hash")
        self._check_outcomes(cmd.outcomes, cmd.criteria, "R4")
        if (cmd.ai_use or cmd.external_sources) and not cmd.declaration.strip():
            raise InvalidInput("R9", "evidence that uses AI or external sources must say how")
        self.trigger_event(
            self.EvidenceSubmitted,
            evidence_id=cmd.evidence_id,
            title=cmd.title,
            kind=cmd.kind,
            uri=cmd.uri,
            sha256=cmd.sha256,
            outcomes=list(cmd.outcomes),
            criteria=list(cmd.criteria),
            ai_use=cmd.ai_use,
            external_sources=cmd.external_sources,
            declaration=cmd.declaration,
            occurred_on=self._day(cmd.occurred_on),
        )

    class EvidenceSubmitted(Event):
        evidence_id: str
        title: str
        kind: EvidenceKind
        uri: str
        sha256: str
        outcomes: list[str]
        criteria: list[str]
        ai_use: bool
        external_sources: bool
        declaration: str

        def apply(self, t: Trajectory) -> None:
            t.evidence[self.evidence_id] = EvidenceItem(
                self.evidence_id,
                self.title,
                self.kind,
                self.uri,
                self.sha256,
                list(self.outcomes),
                list(self.criteria),
                self.ai_use,
                self.external_sources,
                self.declaration,
                self.timestamp,
                occurred_on=self.occurred_on,
            )

        def summary(self) -> str:
            declared = " — declares AI/external use" if self.ai_use or self.external_sources else ""
            return (
                f"evidence {self.evidence_id} ({self.kind.value}) for "
                f"{_outcomes(self.outcomes)}{declared}"
            )

    @handles(c.WithdrawEvidence)
    def withdraw_evidence(self, cmd: c.WithdrawEvidence) -> None:
        self._open()
        self._check_evidence([cmd.evidence_id])
        _require_text("R2", cmd.reason, "the reason for withdrawing")
        attempt = self.open_attempt
        if attempt is not None and cmd.evidence_id in attempt.portfolio:
            raise RuleViolation(
                "R2", "evidence in a portfolio under assessment cannot be withdrawn"
            )
        self.trigger_event(
            self.EvidenceWithdrawn,
            evidence_id=cmd.evidence_id,
            reason=cmd.reason,
            occurred_on=self._day(cmd.occurred_on),
        )

    class EvidenceWithdrawn(Event):
        evidence_id: str
        reason: str

        def apply(self, t: Trajectory) -> None:
            item = t.evidence[self.evidence_id]
            item.withdrawn = True
            item.withdrawal_reason = self.reason

        def summary(self) -> str:
            return f"evidence {self.evidence_id} withdrawn: {self.reason}"

    @handles(c.RequestFeedback)
    def request_feedback(self, cmd: c.RequestFeedback) -> None:
        self._open()
        if cmd.request_id in self.feedback_requests:
            raise RuleViolation("R2", f"feedback request {cmd.request_id} exists")
        self._check_outcomes(cmd.outcomes, [], "R5")
        if cmd.evidence_id is not None:
            self._check_evidence([cmd.evidence_id])
        self._check_giver(cmd.source, cmd.requested_from)
        self.trigger_event(
            self.FeedbackRequested,
            request_id=cmd.request_id,
            requested_from=cmd.requested_from,
            source=cmd.source,
            outcomes=list(cmd.outcomes),
            evidence_id=cmd.evidence_id,
            question=cmd.question,
            occurred_on=self._day(cmd.occurred_on),
        )

    class FeedbackRequested(Event):
        request_id: str
        requested_from: str
        source: FeedbackSource
        outcomes: list[str]
        evidence_id: str | None
        question: str

        def apply(self, t: Trajectory) -> None:
            t.feedback_requests[self.request_id] = FeedbackRequest(
                self.request_id,
                self.requested_from,
                self.source,
                list(self.outcomes),
                self.evidence_id,
                self.question,
            )

        def summary(self) -> str:
            return (
                f"asked {self.requested_from} for {self.source.value} feedback on "
                f"{_outcomes(self.outcomes)}"
            )

    def _check_giver(self, source: FeedbackSource, giver_id: str) -> None:
        _require_text("R5", giver_id, "the feedback giver")
        if source is FeedbackSource.SELF and giver_id != self.student_id:
            raise RuleViolation("R5", "self-reflection is given by the student")
        if source is not FeedbackSource.SELF and giver_id == self.student_id:
            raise RuleViolation("R5", f"{source.value} feedback comes from someone else")
        if source is FeedbackSource.COACH and giver_id != self.coach_id:
            raise RuleViolation("R5", "coach feedback comes from the trajectory's coach")

    @handles(c.GiveFeedback)
    def give_feedback(self, cmd: c.GiveFeedback, actor: Actor) -> None:
        self._open()
        if any(item.feedback_id == cmd.feedback_id for item in self.feedback):
            raise RuleViolation(
                "R2", f"feedback {cmd.feedback_id} exists; feedback is never replaced"
            )
        self._check_giver(cmd.source, cmd.giver_id)
        # Who may record which source is the command's access (domain.commands). What remains
        # here: self, peer and coach feedback are recorded by the giver in person; practice and
        # client feedback by the student, coach or mentor on the giver's behalf, or by the giver
        # in person answering a request addressed to them.
        on_behalf = cmd.source in (FeedbackSource.PRACTICE, FeedbackSource.CLIENT)
        if not on_behalf and actor.person_id != cmd.giver_id:
            raise NotPermitted("R5", "feedback is recorded by the person who gives it")
        related = actor.person_id in (self.student_id, self.coach_id, self.mentor_id)
        if (
            on_behalf
            and not related
            and (actor.person_id != cmd.giver_id or cmd.request_id is None)
        ):
            raise NotPermitted("R5", "feedback from outside answers a request addressed to you")
        self._check_outcomes(cmd.outcomes, cmd.criteria, "R5")
        if cmd.evidence_id is not None:
            self._check_evidence([cmd.evidence_id])
        _require_text("R5", cmd.text, "the feedback text")
        if cmd.request_id is not None:
            request = self.feedback_requests.get(cmd.request_id)
            if request is None:
                raise InvalidInput("R4", f"feedback request {cmd.request_id} does not exist")
            if request.requested_from != cmd.giver_id:
                raise RuleViolation("R5", "the request was addressed to someone else")
        self.trigger_event(
            self.FeedbackGiven,
            feedback_id=cmd.feedback_id,
            source=cmd.source,
            giver_id=cmd.giver_id,
            outcomes=list(cmd.outcomes),
            criteria=list(cmd.criteria),
            evidence_id=cmd.evidence_id,
            text=cmd.text,
            request_id=cmd.request_id,
            occurred_on=self._day(cmd.occurred_on),
        )

    class FeedbackGiven(Event):
        feedback_id: str
        source: FeedbackSource
        giver_id: str
        outcomes: list[str]
        criteria: list[str]
        evidence_id: str | None
        text: str
        request_id: str | None

        def apply(self, t: Trajectory) -> None:
            t.feedback.append(
                FeedbackItem(
                    self.feedback_id,
                    self.source,
                    self.giver_id,
                    list(self.outcomes),
                    list(self.criteria),
                    self.evidence_id,
                    self.text,
                    self.request_id,
                    self.timestamp,
                    self.actor.person_id,
                    self.occurred_on,
                )
            )
            if self.request_id is not None and self.request_id in t.feedback_requests:
                t.feedback_requests[self.request_id].answered = True

        def summary(self) -> str:
            return f"{self.source.value} feedback by {self.giver_id} on {_outcomes(self.outcomes)}"

    @handles(c.CheckProgress)
    def check_progress(self, cmd: c.CheckProgress) -> None:
        self._open()
        if cmd.light is not TrafficLight.GREEN:
            _require_text("R1", cmd.notes, "what must improve (orange or red light)")
        self.trigger_event(
            self.ProgressChecked,
            light=cmd.light,
            notes=cmd.notes,
            occurred_on=self._day(cmd.occurred_on),
        )

    class ProgressChecked(Event):
        light: TrafficLight
        notes: str

        def apply(self, t: Trajectory) -> None:
            t.progress_checks.append(
                ProgressCheck(
                    self.light, self.notes, self.actor.person_id, self.timestamp, self.occurred_on
                )
            )

        def summary(self) -> str:
            return f"progress check: {self.light.value}"

    # ---- commands: medium-stakes, green light, early route

    @handles(c.HoldMediumStake)
    def hold_medium_stake(self, cmd: c.HoldMediumStake) -> int:
        self._open()
        if self.attempts:
            raise RuleViolation("R6", "medium-stakes precede the high-stake")
        moments = self.definition.settings.medium_stake_moments
        number = len(self.medium_stakes) + 1
        if number > len(moments):
            raise RuleViolation(
                "R6", f"both medium-stakes ({moments[0]}% and {moments[1]}%) have been held"
            )
        if not cmd.portfolio:
            raise RuleViolation("R6", "an interim portfolio holds at least one evidence item")
        self._check_evidence(cmd.portfolio)
        self._check_levels(cmd.levels, complete=True)
        _require_text("R1", cmd.rationale, "the rationale of the levels")
        day = self._day(cmd.occurred_on)
        if day is not None and self.medium_stakes:
            first = self.medium_stakes[-1].day
            if day < first:
                raise RuleViolation(
                    "R6",
                    f"the second medium-stake cannot precede the first (held on "
                    f"{first.isoformat()})",
                )
        self.trigger_event(
            self.MediumStakeHeld,
            number=number,
            moment=moments[number - 1],
            portfolio=list(cmd.portfolio),
            levels=dict(cmd.levels),
            feedback=cmd.feedback,
            rationale=cmd.rationale,
            occurred_on=day,
        )
        return number

    class MediumStakeHeld(Event):
        number: int
        moment: int
        portfolio: list[str]
        levels: dict[str, str]
        feedback: str
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.medium_stakes.append(
                MediumStake(
                    self.number,
                    self.moment,
                    list(self.portfolio),
                    dict(self.levels),
                    self.feedback,
                    self.rationale,
                    self.actor.person_id,
                    self.timestamp,
                    self.occurred_on,
                )
            )

        def summary(self) -> str:
            levels = ", ".join(f"{k} {v}" for k, v in self.levels.items())
            return f"medium-stake {self.number} ({self.moment}%): {levels}"

    @handles(c.DecideGreenLight)
    def decide_green_light(self, cmd: c.DecideGreenLight) -> None:
        self._open()
        if len(self.medium_stakes) < 2:
            raise RuleViolation("R7", "the green light is decided after the second medium-stake")
        if self.green_light is GreenLight.GIVEN:
            raise RuleViolation("R7", "the green light has already been given")
        if cmd.decision == "give":
            _require_text("R1", cmd.rationale, "the rationale of the green light")
            self.trigger_event(
                self.GreenLightGiven,
                rationale=cmd.rationale,
                occurred_on=self._day(cmd.occurred_on),
            )
            return
        _require_text("R7", cmd.advice, "the advice (what evidence to gather)")
        _require_text("R1", cmd.rationale, "the rationale")
        self.trigger_event(
            self.GreenLightWithheld,
            advice=cmd.advice,
            rationale=cmd.rationale,
            occurred_on=self._day(cmd.occurred_on),
        )

    class GreenLightGiven(Event):
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.green_light = GreenLight.GIVEN
            t.green_light_note = self.rationale

        def summary(self) -> str:
            return "green light given"

    class GreenLightWithheld(Event):
        advice: str
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.green_light = GreenLight.WITHHELD
            t.green_light_note = self.advice

        def summary(self) -> str:
            return f"green light withheld: {self.advice}"

    @handles(c.RequestEarlyHighStake)
    def request_early_high_stake(self, cmd: c.RequestEarlyHighStake) -> None:
        self._open()
        if not self.medium_stakes:
            raise RuleViolation("R8", "the early route opens after the first medium-stake")
        if self.green_light is GreenLight.GIVEN or self.attempts:
            raise RuleViolation("R8", "the normal route is already open")
        if self.early_route in (EarlyRoute.REQUESTED, EarlyRoute.GRANTED):
            raise RuleViolation("R8", f"an early-route request is already {self.early_route.value}")
        verdict = rules.early_route(self.latest_levels, self.definition)
        if not verdict.eligible:
            level = self.definition.rubric.early_level
            raise RuleViolation(
                "R8",
                f"{verdict.outcomes_at_level} of {verdict.outcomes_total} outcomes are at least "
                f"{level} at the latest medium-stake; {verdict.needed} are needed",
            )
        self.trigger_event(
            self.EarlyHighStakeRequested,
            motivation=cmd.motivation,
            occurred_on=self._day(cmd.occurred_on),
        )

    class EarlyHighStakeRequested(Event):
        motivation: str

        def apply(self, t: Trajectory) -> None:
            t.early_route = EarlyRoute.REQUESTED

        def summary(self) -> str:
            return "early high-stake requested"

    @handles(c.DecideEarlyHighStake)
    def decide_early_high_stake(self, cmd: c.DecideEarlyHighStake) -> None:
        self._open()
        if self.early_route is not EarlyRoute.REQUESTED:
            raise RuleViolation("R8", "there is no pending early-route request")
        _require_text("R1", cmd.rationale, "the rationale")
        decided = self.EarlyHighStakeGranted if cmd.grant else self.EarlyHighStakeRefused
        self.trigger_event(decided, rationale=cmd.rationale, occurred_on=self._day(cmd.occurred_on))

    class EarlyHighStakeGranted(Event):
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.early_route = EarlyRoute.GRANTED

        def summary(self) -> str:
            return "early high-stake granted"

    class EarlyHighStakeRefused(Event):
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.early_route = EarlyRoute.REFUSED

        def summary(self) -> str:
            return "early high-stake refused"

    # ---- commands: high-stake

    @handles(c.RequestHighStake)
    def request_high_stake(self, cmd: c.RequestHighStake) -> int:
        self._open()
        if self.open_attempt is not None:
            raise RuleViolation("R9", "a high-stake attempt is still open")
        if self.green_light is not GreenLight.GIVEN and self.early_route is not EarlyRoute.GRANTED:
            raise RuleViolation("R9", "a high-stake needs the coach's green light (or early route)")
        last = self.current_attempt
        if last is not None and not last.development_plan:
            raise RuleViolation("R15", "record a development plan before a new attempt")
        portfolio = list(cmd.portfolio)
        if len(set(portfolio)) != len(portfolio):
            raise InvalidInput("R9", "the portfolio lists an evidence item twice")
        self._check_evidence(portfolio)
        shortfall = rules.portfolio_shortfall(
            (self.evidence[e].outcomes for e in portfolio), self.definition
        )
        if shortfall:
            needed = self.definition.settings.min_evidence_per_outcome
            gaps = ", ".join(f"{code} ({needed - n} of {needed})" for code, n in shortfall.items())
            raise RuleViolation("R9", f"the portfolio lacks evidence for: {gaps}")
        _require_text("R9", cmd.reading_guide_uri, "the reading guide")
        _require_sha256("R2", cmd.reading_guide_sha256, "the reading guide hash")
        declared = [e for e in portfolio if self.evidence[e].declares_use]
        unexplained = rules.unexplained_ai_use(declared, bool(cmd.ai_explanation.strip()))
        if unexplained:
            raise RuleViolation(
                "R9", f"the reading guide must explain AI or external use in {unexplained}"
            )
        number = len(self.attempts) + 1
        self.trigger_event(
            self.HighStakeRequested,
            attempt=number,
            portfolio=portfolio,
            reading_guide_uri=cmd.reading_guide_uri,
            reading_guide_sha256=cmd.reading_guide_sha256,
            ai_explanation=cmd.ai_explanation,
            early=self.green_light is not GreenLight.GIVEN,
            occurred_on=self._day(cmd.occurred_on),
        )
        return number

    class HighStakeRequested(Event):
        attempt: int
        portfolio: list[str]
        reading_guide_uri: str
        reading_guide_sha256: str
        ai_explanation: str
        early: bool

        def apply(self, t: Trajectory) -> None:
            t.attempts.append(
                Attempt(
                    number=self.attempt,
                    portfolio=list(self.portfolio),
                    reading_guide={
                        "uri": self.reading_guide_uri,
                        "sha256": self.reading_guide_sha256,
                        "ai_explanation": self.ai_explanation,
                    },
                    early=self.early,
                    requested_at=self.timestamp,
                )
            )

        def summary(self) -> str:
            early = " (early route)" if self.early else ""
            return (
                f"high-stake attempt {self.attempt} requested with "
                f"{len(self.portfolio)} evidence items{early}"
            )

    @handles(c.AssignAssessors)
    def assign_assessors(self, cmd: c.AssignAssessors, program: Program) -> None:
        self._open()
        attempt = self._open_attempt(cmd.attempt)
        if attempt.judgments:
            raise RuleViolation("R11", "assessors cannot change once judging has begun")
        problems = rules.assessor_panel_problems(
            cmd.assessor_ids,
            self.student_id,
            self.coach_id,
            self.definition.settings,
            registered=program.staff[StaffRole.ASSESSOR.value],
        )
        if problems:
            raise RuleViolation("R10", problems[0].message)
        self.trigger_event(
            self.AssessorsAssigned,
            attempt=cmd.attempt,
            assessor_ids=list(cmd.assessor_ids),
            occurred_on=self._day(cmd.occurred_on),
        )

    class AssessorsAssigned(Event):
        attempt: int
        assessor_ids: list[str]

        def apply(self, t: Trajectory) -> None:
            t.attempts[self.attempt - 1].assessors = list(self.assessor_ids)

        def summary(self) -> str:
            return f"assessors for attempt {self.attempt}: {', '.join(self.assessor_ids)}"

    @handles(c.SubmitJudgment)
    def submit_judgment(self, cmd: c.SubmitJudgment, actor: Actor) -> None:
        self._open()
        attempt = self._open_attempt(cmd.attempt)
        self._require_assessor_of(attempt, actor, "R11")
        if actor.person_id in attempt.judgments:
            raise RuleViolation("R11", "each assessor judges an attempt once")
        self._check_levels(cmd.levels, complete=True)
        outcomes = self.definition.outcome_codes
        missing = [code for code in outcomes if not cmd.level_rationales.get(code, "").strip()]
        if missing:
            raise InvalidInput(
                "R11", f"a rationale is required for every outcome; missing {missing}"
            )
        extra = [code for code in cmd.level_rationales if code not in outcomes]
        if extra:
            raise InvalidInput("R4", f"unknown learning outcome(s): {extra}")
        _require_text("R1", cmd.rationale, "the rationale of the verdict")
        self.trigger_event(
            self.JudgmentSubmitted,
            attempt=cmd.attempt,
            levels=dict(cmd.levels),
            level_rationales=dict(cmd.level_rationales),
            verdict=cmd.verdict,
            rationale=cmd.rationale,
            occurred_on=self._day(cmd.occurred_on),
        )

    class JudgmentSubmitted(Event):
        attempt: int
        levels: dict[str, str]
        level_rationales: dict[str, str]
        verdict: Verdict
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.attempts[self.attempt - 1].judgments[self.actor.person_id] = Judgment(
                self.actor.person_id,
                dict(self.levels),
                dict(self.level_rationales),
                self.verdict,
                self.rationale,
                self.timestamp,
                self.occurred_on,
            )

        def summary(self) -> str:
            # Levels stay out of the history line: judgments are sealed until all judged (R11).
            return f"judgment on attempt {self.attempt} submitted (sealed)"

    @handles(c.HoldCriterionInterview)
    def hold_criterion_interview(self, cmd: c.HoldCriterionInterview, actor: Actor) -> None:
        self._open()
        attempt = self._open_attempt(cmd.attempt)
        self._require_assessor_of(attempt, actor, "R12")
        if not attempt.all_judged:
            raise RuleViolation("R12", "a CGI follows the judgments of all assessors")
        if attempt.interview_held:
            raise RuleViolation("R12", "a CGI has already been held for this attempt")
        if attempt.passed is not None:
            raise RuleViolation("R12", "the assessment has been concluded")
        _require_text("R1", cmd.notes, "the CGI record")
        self.trigger_event(
            self.CriterionInterviewHeld,
            attempt=cmd.attempt,
            notes=cmd.notes,
            occurred_on=self._day(cmd.occurred_on),
        )

    class CriterionInterviewHeld(Event):
        attempt: int
        notes: str

        def apply(self, t: Trajectory) -> None:
            t.attempts[self.attempt - 1].interview_held = True

        def summary(self) -> str:
            return f"criterion interview (CGI) held for attempt {self.attempt}"

    @handles(c.AgreeFinalLevels)
    def agree_final_levels(self, cmd: c.AgreeFinalLevels, actor: Actor) -> None:
        self._open()
        attempt = self._open_attempt(cmd.attempt)
        self._require_assessor_of(attempt, actor, "R12")
        if not attempt.all_judged:
            raise RuleViolation("R12", "final levels follow the judgments of all assessors")
        reasons = self.interview_reasons(attempt)
        if reasons and not attempt.interview_held:
            raise RuleViolation("R12", f"a CGI must be held first: {'; '.join(reasons)}")
        if attempt.passed is not None:
            raise RuleViolation("R12", "the assessment has been concluded")
        self._check_levels(cmd.levels, complete=True)
        _require_text("R1", cmd.rationale, "the rationale of the agreed levels")
        self.trigger_event(
            self.FinalLevelsAgreed,
            attempt=cmd.attempt,
            levels=dict(cmd.levels),
            rationale=cmd.rationale,
            occurred_on=self._day(cmd.occurred_on),
        )

    class FinalLevelsAgreed(Event):
        attempt: int
        levels: dict[str, str]
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.attempts[self.attempt - 1].final_levels = dict(self.levels)

        def summary(self) -> str:
            return f"final levels agreed for attempt {self.attempt}"

    @handles(c.ConcludeAssessment)
    def conclude_assessment(self, cmd: c.ConcludeAssessment, actor: Actor) -> bool:
        self._open()
        attempt = self._open_attempt(cmd.attempt)
        self._require_assessor_of(attempt, actor, "R13")
        if attempt.passed is not None:
            raise RuleViolation("R13", "the assessment has already been concluded")
        facts = attempt.facts()
        if not facts.all_judged:
            raise RuleViolation("R11", "every assigned assessor must judge before the conclusion")
        reasons = rules.interview_reasons(facts, self.definition)
        if reasons and not attempt.interview_held:
            raise RuleViolation("R12", f"a CGI must be held first: {'; '.join(reasons)}")
        levels = rules.levels_for_conclusion(facts, self.definition)
        if levels is None:
            raise RuleViolation("R12", "the assessors must first agree the final levels")
        _require_text("R1", cmd.rationale, "the rationale of the conclusion")
        evaluation = rules.evaluate_pass(levels, self.definition)
        self.trigger_event(
            self.AssessmentConcluded,
            attempt=cmd.attempt,
            levels=levels,
            passed=evaluation.passed,
            below_pass_level=list(evaluation.below_pass_level),
            program_version=self.program_version,
            rationale=cmd.rationale,
            occurred_on=self._day(cmd.occurred_on),
        )
        return evaluation.passed

    class AssessmentConcluded(Event):
        attempt: int
        levels: dict[str, str]
        passed: bool
        below_pass_level: list[str]
        program_version: int
        rationale: str

        def apply(self, t: Trajectory) -> None:
            target = t.attempts[self.attempt - 1]
            target.concluded_levels = dict(self.levels)
            target.passed = self.passed

        def summary(self) -> str:
            result = "passed" if self.passed else "not passed"
            return f"attempt {self.attempt} concluded: {result}"

    @handles(c.CastVote)
    def cast_vote(self, cmd: c.CastVote, actor: Actor) -> Decision | None:
        self._open()
        attempt = self._open_attempt(cmd.attempt)
        if attempt.passed is None:
            raise RuleViolation("R14", "the committee votes on a concluded assessment")
        if actor.person_id in attempt.assessors:
            raise RuleViolation("R14", "an assessor of this attempt does not vote on it")
        if actor.person_id in attempt.votes:
            raise RuleViolation("R14", "a member votes once on one decision")
        _require_text("R1", cmd.rationale, "the rationale of the vote")
        day = self._day(cmd.occurred_on)
        self.trigger_event(
            self.CommitteeVoteCast,
            attempt=cmd.attempt,
            round=attempt.round,
            vote=cmd.vote,
            rationale=cmd.rationale,
            occurred_on=day,
        )
        tally = list(attempt.votes.values())
        ratify, refer = tally.count(Vote.RATIFY), tally.count(Vote.REFER_BACK)
        quorum = self.definition.settings.committee_quorum
        outcome = rules.quorum_decision(ratify, refer, quorum)
        summary = f"{ratify} ratify, {refer} refer back (quorum {quorum})"
        if outcome is Decision.RATIFIED:
            self.trigger_event(
                self.DecisionRatified,
                attempt=cmd.attempt,
                round=attempt.round,
                passed=bool(attempt.passed),
                program_version=self.program_version,
                levels=dict(attempt.concluded_levels or {}),
                rationale=summary,
                occurred_on=day,
            )
        elif outcome is Decision.REFERRED_BACK:
            self.trigger_event(
                self.DecisionReferredBack,
                attempt=cmd.attempt,
                round=attempt.round,
                rationale=summary,
                occurred_on=day,
            )
        return outcome

    class CommitteeVoteCast(Event):
        attempt: int
        round: int
        vote: Vote
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.attempts[self.attempt - 1].votes[self.actor.person_id] = self.vote

        def summary(self) -> str:
            return f"committee vote on attempt {self.attempt}: {self.vote.value}"

    class DecisionRatified(Event):
        attempt: int
        round: int
        passed: bool
        program_version: int
        levels: dict[str, str]
        rationale: str

        def apply(self, t: Trajectory) -> None:
            t.attempts[self.attempt - 1].decision = Decision.RATIFIED
            if self.passed:
                t.closed = True

        def summary(self) -> str:
            return f"decision on attempt {self.attempt} ratified ({self.rationale})"

    class DecisionReferredBack(Event):
        attempt: int
        round: int
        rationale: str

        def apply(self, t: Trajectory) -> None:
            # A referral sends the result back to the assessors: a new round of final levels,
            # conclusion and votes follows; the judgments themselves stand.
            target = t.attempts[self.attempt - 1]
            target.round += 1
            target.votes = {}
            target.passed = None
            target.concluded_levels = None
            target.final_levels = None

        def summary(self) -> str:
            return f"decision on attempt {self.attempt} referred back ({self.rationale})"

    @handles(c.RecordDevelopmentPlan)
    def record_development_plan(self, cmd: c.RecordDevelopmentPlan) -> None:
        self._open()
        attempt = self._attempt(cmd.attempt)
        if attempt.decision is not Decision.RATIFIED or attempt.passed is not False:
            raise RuleViolation("R15", "a development plan follows a ratified failed high-stake")
        if attempt is not self.current_attempt:
            raise RuleViolation("R15", "a development plan belongs to the latest attempt")
        if attempt.development_plan:
            raise RuleViolation("R2", "a development plan was already recorded; add a correction")
        _require_text("R15", cmd.plan, "the development plan")
        self.trigger_event(
            self.DevelopmentPlanRecorded,
            attempt=cmd.attempt,
            plan=cmd.plan,
            occurred_on=self._day(cmd.occurred_on),
        )

    class DevelopmentPlanRecorded(Event):
        attempt: int
        plan: str

        def apply(self, t: Trajectory) -> None:
            t.attempts[self.attempt - 1].development_plan = self.plan

        def summary(self) -> str:
            return f"development plan recorded after attempt {self.attempt}"

    @handles(c.RecordCorrection)
    def record_correction(self, cmd: c.RecordCorrection, actor: Actor) -> None:
        if not 1 <= cmd.corrects_version <= self.version:
            raise InvalidInput(
                "R2", f"there is no event at version {cmd.corrects_version} to correct"
            )
        if actor.role is not Role.COMMITTEE:
            if self.closed:
                raise RuleViolation("R16", "a closed trajectory takes only committee corrections")
            if self.actors_by_version().get(cmd.corrects_version) != actor.person_id:
                raise NotPermitted("R2", "an event is corrected by its author or the committee")
        _require_text("R1", cmd.reason, "the reason for the correction")
        self.trigger_event(
            self.CorrectionRecorded,
            corrects_version=cmd.corrects_version,
            reason=cmd.reason,
            details=dict(cmd.details),
            occurred_on=self._day(cmd.occurred_on),
        )

    class CorrectionRecorded(Event):
        corrects_version: int
        reason: str
        details: dict[str, Any]

        def apply(self, t: Trajectory) -> None:
            t.corrections.append(
                {
                    "version": t.version + 1,
                    "corrects_version": self.corrects_version,
                    "reason": self.reason,
                    "details": self.details,
                    "by": self.actor.person_id,
                    "role": self.actor.role.value,
                }
            )

        def summary(self) -> str:
            return f"correction of version {self.corrects_version}: {self.reason}"

    @handles(c.PublishExhibition)
    def publish_exhibition(self, cmd: c.PublishExhibition) -> None:
        self._open()
        if cmd.exhibition_id in self.exhibitions:
            raise RuleViolation("R2", f"exhibition {cmd.exhibition_id} exists")
        _require_text("R1", cmd.title, "the title of the exhibition")
        if not cmd.evidence_ids:
            raise InvalidInput("R4", "an exhibition shows at least one evidence item")
        self._check_evidence(cmd.evidence_ids)
        self.trigger_event(
            self.ExhibitionPublished,
            exhibition_id=cmd.exhibition_id,
            title=cmd.title,
            evidence_ids=list(cmd.evidence_ids),
            occurred_on=self._day(cmd.occurred_on),
        )

    class ExhibitionPublished(Event):
        exhibition_id: str
        title: str
        evidence_ids: list[str]

        def apply(self, t: Trajectory) -> None:
            t.exhibitions[self.exhibition_id] = list(self.evidence_ids)

        def summary(self) -> str:
            return f"exhibition {self.title!r} with {len(self.evidence_ids)} items"

    @handles(c.RecordBorgingFollowUp)
    def record_borging_follow_up(self, cmd: c.RecordBorgingFollowUp) -> None:
        # Not `_open()`: following up the quality of a decision changes nothing in it, and is
        # done after the decision, on closed trajectories too.
        attempt = self._attempt(cmd.attempt)
        if attempt.passed is None and attempt.round == 1:
            raise RuleViolation("R13", "a borging follow-up concerns a concluded assessment")
        _require_text("R1", cmd.action, "what was done")
        self.trigger_event(
            self.BorgingFollowUpRecorded,
            attempt=cmd.attempt,
            item=cmd.item,
            action=cmd.action,
            occurred_on=self._day(cmd.occurred_on),
        )

    class BorgingFollowUpRecorded(Event):
        attempt: int
        item: str
        action: str

        def summary(self) -> str:
            return f"borging follow-up on attempt {self.attempt} ({self.item}): {self.action}"


def event_classes(aggregate: type[RecordedAggregate]) -> tuple[type[Any], ...]:
    """The events nested in an aggregate class, in the order declared."""
    return tuple(
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, RecordedAggregate.Event)
        and name not in ("Event", "Created")
    )
