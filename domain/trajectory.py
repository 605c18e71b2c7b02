"""The Trajectory aggregate: one student on one published program version.

Each public method is a command: it checks the rules, then triggers one event (a private method
decorated with ``@event``). Replaying events runs only the private methods, never the checks.
"""

from __future__ import annotations

import pickle
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain import rules
from domain.errors import InvalidInput, NotPermitted, RuleViolation
from domain.program import ProgramDefinition
from domain.values import (
    Actor,
    CommandRef,
    EvidenceKind,
    FeedbackSource,
    Phase,
    Role,
    TrafficLight,
    Verdict,
    Vote,
)

NAMESPACE = uuid.UUID("0b6f0f7e-3c1e-4d0f-8f5e-9c2d1a7b4e21")
SHA256_HEX = frozenset("0123456789abcdef")


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


@dataclass
class Judgment:
    assessor_id: str
    levels: dict[str, str]
    level_rationales: dict[str, str]
    verdict: Verdict
    rationale: str
    submitted_at: datetime


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
    votes: dict[str, str] = field(default_factory=dict)
    decision: str | None = None  # "ratified" | None; a referral opens a new round
    development_plan: str | None = None

    @property
    def all_judged(self) -> bool:
        return bool(self.assessors) and set(self.judgments) >= set(self.assessors)

    @property
    def open(self) -> bool:
        return self.decision is None


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


class Trajectory(Aggregate):
    """One student's way through one program version, from orientation to ratified decision."""

    @staticmethod
    def create_id(program_id: uuid.UUID, student_id: str, cohort: str) -> uuid.UUID:
        return uuid.uuid5(NAMESPACE, f"{program_id}|{student_id}|{cohort}")

    class Event(Aggregate.Event):
        def mutate(self, aggregate: Any) -> Any:
            # The event bodies below record when things happened; the library sets
            # modified_on only after the body ran, so lend them the event while it applies.
            if aggregate is None:
                return super().mutate(aggregate)
            aggregate.__dict__["_applying"] = self
            try:
                return super().mutate(aggregate)
            finally:
                aggregate.__dict__.pop("_applying", None)

    def __deepcopy__(self, memo: dict[int, Any]) -> Trajectory:
        # The repository copies cached aggregates before each command; the state is plain data,
        # and a pickle round trip copies it several times faster than copy.deepcopy.
        copied: Trajectory = pickle.loads(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))
        return copied

    def _now(self) -> datetime:
        applying = self.__dict__.get("_applying")
        return applying.timestamp if applying is not None else self.modified_on

    class Started(Aggregate.Created):
        program_id: uuid.UUID
        program_version: int
        definition: dict[str, Any]
        student_id: str
        cohort: str
        coach_id: str
        mentor_id: str
        actor: Actor
        command: CommandRef | None

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
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.program_id = program_id
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
        self.green_light: str | None = None
        self.green_light_note: str = ""
        self.early_route: str | None = None
        self.attempts: list[Attempt] = []
        self.corrections: list[dict[str, Any]] = []
        self.exhibitions: dict[str, list[str]] = {}
        self.closed = False
        self.commands: dict[str, list[Any]] = {}
        self.event_actors: list[str] = [actor.person_id]
        self._remember(command)

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
        counts = {code: 0 for code in self.definition.outcome_codes}
        for item in self.active_evidence().values():
            for code in set(item.outcomes):
                if code in counts:
                    counts[code] += 1
        return counts

    def judgment_summaries(self, attempt: Attempt) -> list[rules.JudgmentSummary]:
        return [
            rules.JudgmentSummary(j.verdict.value, j.levels) for j in attempt.judgments.values()
        ]

    def interview_reasons(self, attempt: Attempt) -> list[str]:
        if not attempt.all_judged:
            return []
        return rules.interview_reasons(self.judgment_summaries(attempt), self.definition)

    def final_levels_needed(self, attempt: Attempt) -> bool:
        if not attempt.all_judged:
            return True
        summaries = self.judgment_summaries(attempt)
        return bool(self.interview_reasons(attempt)) or not rules.levels_identical(
            summaries, self.definition
        )

    def levels_for_conclusion(self, attempt: Attempt) -> dict[str, str] | None:
        if attempt.final_levels is not None:
            return dict(attempt.final_levels)
        if attempt.all_judged and not self.final_levels_needed(attempt):
            return dict(next(iter(attempt.judgments.values())).levels)
        return None

    def progress_facts(self) -> rules.ProgressFacts:
        attempt = self.current_attempt
        last_result = None
        if attempt is not None and attempt.decision == "ratified":
            last_result = "passed" if attempt.passed else "failed"
        is_open = attempt is not None and attempt.open
        return rules.ProgressFacts(
            closed=self.closed,
            evidence_per_outcome=self.evidence_per_outcome(),
            medium_stakes_held=len(self.medium_stakes),
            latest_levels=self.latest_levels,
            green_light=self.green_light,
            early_route=self.early_route,
            attempt_open=is_open,
            assessors_assigned=len(attempt.assessors) if is_open and attempt else 0,
            judgments_submitted=len(attempt.judgments) if is_open and attempt else 0,
            interview_needed=bool(attempt and is_open and self.interview_reasons(attempt)),
            interview_held=bool(attempt and is_open and attempt.interview_held),
            final_levels_needed=bool(attempt and is_open and self.final_levels_needed(attempt)),
            final_levels_agreed=bool(attempt and is_open and attempt.final_levels is not None),
            concluded=bool(attempt and is_open and attempt.passed is not None),
            votes_cast=len(attempt.votes) if is_open and attempt else 0,
            last_result=last_result,
            development_plan_recorded=bool(attempt and attempt.development_plan),
        )

    def next_step(self) -> rules.NextStep:
        return rules.next_step(self.progress_facts(), self.definition)

    # ---- guards shared by commands

    def _remember(self, command: CommandRef | None, version: int = 1) -> None:
        if command is not None:
            self.commands[command.key] = [command.fingerprint, version]

    def _open(self, actor: Actor) -> None:
        if self.closed:
            raise RuleViolation(
                "R16",
                "the trajectory is closed by a ratified pass; only a committee correction "
                "can still be recorded",
            )

    def _is_student(self, actor: Actor) -> bool:
        return actor.role is Role.STUDENT and actor.person_id == self.student_id

    def _require_student(self, actor: Actor, rule: str, what: str) -> None:
        if not self._is_student(actor):
            raise NotPermitted(rule, f"only the student of this trajectory can {what}")

    def _require_coach(self, actor: Actor, rule: str, what: str) -> None:
        if actor.role is not Role.COACH or actor.person_id != self.coach_id:
            raise NotPermitted(rule, f"only the trajectory's coach can {what}")

    def _check_outcomes(self, outcomes: list[str], criteria: list[str], rule: str) -> None:
        known = set(self.definition.outcome_codes)
        unknown = [c for c in outcomes if c not in known]
        if unknown:
            raise InvalidInput(
                "R4", f"unknown learning outcome(s) in this program version: {unknown}"
            )
        unknown_criteria = [c for c in criteria if c not in self.definition.criterion_codes()]
        if unknown_criteria:
            raise InvalidInput(
                "R4", f"unknown quality criteria in this program version: {unknown_criteria}"
            )
        if not outcomes and not criteria:
            raise InvalidInput(rule, "name at least one learning outcome or quality criterion")

    def _check_levels(self, levels: dict[str, str], *, complete: bool) -> None:
        known_outcomes = set(self.definition.outcome_codes)
        unknown = [c for c in levels if c not in known_outcomes]
        if unknown:
            raise InvalidInput(
                "R4", f"unknown learning outcome(s) in this program version: {unknown}"
            )
        bad = sorted({v for v in levels.values() if v not in self.definition.rubric.levels})
        if bad:
            raise InvalidInput("R4", f"unknown rubric level(s): {bad}")
        if complete:
            missing = [c for c in self.definition.outcome_codes if c not in levels]
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
                raise RuleViolation("R4", f"evidence {evidence_id} was withdrawn")

    def _attempt(self, number: int) -> Attempt:
        if not 1 <= number <= len(self.attempts):
            raise InvalidInput("R4", f"there is no high-stake attempt {number}")
        return self.attempts[number - 1]

    def _open_attempt(self, number: int) -> Attempt:
        attempt = self._attempt(number)
        if not attempt.open:
            raise RuleViolation("R14", f"attempt {number} has already been decided")
        return attempt

    def _require_assessor(self, attempt: Attempt, actor: Actor, rule: str) -> None:
        if actor.role is not Role.ASSESSOR or actor.person_id not in attempt.assessors:
            raise NotPermitted(rule, "only an assessor assigned to this attempt can do this")

    # ---- commands: staff

    def reassign_coach(
        self, coach_id: str, reason: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        if actor.role is not Role.ADMIN:
            raise NotPermitted("R1", "coaches and mentors are reassigned by a program admin")
        _require_text("R1", reason, "the reason for reassigning")
        if coach_id == self.student_id:
            raise RuleViolation("R10", "a student cannot coach themselves")
        if coach_id == self.coach_id:
            raise RuleViolation("R1", f"{coach_id} is already the coach")
        self._coach_reassigned(coach_id, reason, actor, command)

    def reassign_mentor(
        self, mentor_id: str, reason: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        if actor.role is not Role.ADMIN:
            raise NotPermitted("R1", "coaches and mentors are reassigned by a program admin")
        _require_text("R1", reason, "the reason for reassigning")
        if mentor_id == self.mentor_id:
            raise RuleViolation("R1", f"{mentor_id} is already the mentor")
        self._mentor_reassigned(mentor_id, reason, actor, command)

    def measure_baseline(
        self, outcome: str, level: str, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        if not (self._is_student(actor) or actor.person_id == self.coach_id):
            raise NotPermitted("R1", "only the student or the coach can record a baseline")
        self._check_levels({outcome: level}, complete=False)
        _require_text("R1", rationale, "the rationale of a baseline level")
        if self.medium_stakes:
            raise RuleViolation("R6", "a baseline belongs to the start, before the medium-stakes")
        self._baseline_measured(outcome, level, rationale, actor, command)

    # ---- commands: evidence and feedback

    def submit_evidence(
        self,
        evidence_id: str,
        title: str,
        kind: EvidenceKind,
        uri: str,
        sha256: str,
        outcomes: list[str],
        criteria: list[str],
        ai_use: bool,
        external_sources: bool,
        declaration: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self._open(actor)
        self._require_student(actor, "R1", "submit evidence")
        if evidence_id in self.evidence:
            raise RuleViolation("R2", f"evidence {evidence_id} exists; evidence is never replaced")
        _require_text("R2", title, "the title of the evidence")
        _require_text("R2", uri, "the content reference (URI) of the evidence")
        if len(sha256) != 64 or not set(sha256) <= SHA256_HEX:
            raise InvalidInput("R2", "the content hash must be a lowercase hex SHA-256 (64 chars)")
        self._check_outcomes(outcomes, criteria, "R4")
        if (ai_use or external_sources) and not declaration.strip():
            raise InvalidInput("R9", "evidence that uses AI or external sources must say how")
        self._evidence_submitted(
            evidence_id,
            title,
            kind,
            uri,
            sha256,
            outcomes,
            criteria,
            ai_use,
            external_sources,
            declaration,
            actor,
            command,
        )

    def withdraw_evidence(
        self, evidence_id: str, reason: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        self._require_student(actor, "R2", "withdraw evidence")
        self._check_evidence([evidence_id])
        _require_text("R2", reason, "the reason for withdrawing")
        attempt = self.open_attempt
        if attempt is not None and evidence_id in attempt.portfolio:
            raise RuleViolation(
                "R2", "evidence in a portfolio under assessment cannot be withdrawn"
            )
        self._evidence_withdrawn(evidence_id, reason, actor, command)

    def request_feedback(
        self,
        request_id: str,
        requested_from: str,
        source: FeedbackSource,
        outcomes: list[str],
        evidence_id: str | None,
        question: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self._open(actor)
        self._require_student(actor, "R5", "request feedback")
        if request_id in self.feedback_requests:
            raise RuleViolation("R2", f"feedback request {request_id} exists")
        self._check_outcomes(outcomes, [], "R5")
        if evidence_id is not None:
            self._check_evidence([evidence_id])
        self._check_giver(source, requested_from)
        self._feedback_requested(
            request_id, requested_from, source, outcomes, evidence_id, question, actor, command
        )

    def _check_giver(self, source: FeedbackSource, giver_id: str) -> None:
        _require_text("R5", giver_id, "the feedback giver")
        if source is FeedbackSource.SELF and giver_id != self.student_id:
            raise RuleViolation("R5", "self-reflection is given by the student")
        if source is not FeedbackSource.SELF and giver_id == self.student_id:
            raise RuleViolation("R5", f"{source.value} feedback comes from someone else")
        if source is FeedbackSource.COACH and giver_id != self.coach_id:
            raise RuleViolation("R5", "coach feedback comes from the trajectory's coach")

    def give_feedback(
        self,
        feedback_id: str,
        source: FeedbackSource,
        giver_id: str,
        outcomes: list[str],
        criteria: list[str],
        evidence_id: str | None,
        text: str,
        request_id: str | None,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self._open(actor)
        if any(f.feedback_id == feedback_id for f in self.feedback):
            raise RuleViolation("R2", f"feedback {feedback_id} exists; feedback is never replaced")
        self._check_giver(source, giver_id)
        # Self, peer and coach feedback is recorded by the giver; practice and client feedback
        # may be recorded on their behalf by the student or the coach.
        if source in (FeedbackSource.PRACTICE, FeedbackSource.CLIENT):
            if not (actor.person_id in (giver_id, self.coach_id) or self._is_student(actor)):
                raise NotPermitted(
                    "R5",
                    "practice or client feedback is recorded by the giver, "
                    "the student or the coach",
                )
        elif actor.person_id != giver_id:
            raise NotPermitted("R5", "feedback is recorded by the person who gives it")
        if source is FeedbackSource.PEER and actor.role is not Role.STUDENT:
            raise NotPermitted("R5", "peer feedback comes from a fellow student")
        self._check_outcomes(outcomes, criteria, "R5")
        if evidence_id is not None:
            self._check_evidence([evidence_id])
        _require_text("R5", text, "the feedback text")
        if request_id is not None:
            request = self.feedback_requests.get(request_id)
            if request is None:
                raise InvalidInput("R4", f"feedback request {request_id} does not exist")
            if request.requested_from != giver_id:
                raise RuleViolation("R5", "the request was addressed to someone else")
        self._feedback_given(
            feedback_id,
            source,
            giver_id,
            outcomes,
            criteria,
            evidence_id,
            text,
            request_id,
            actor,
            command,
        )

    def check_progress(
        self, light: TrafficLight, notes: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        if actor.person_id not in (self.mentor_id, self.coach_id) or actor.role not in (
            Role.MENTOR,
            Role.COACH,
        ):
            raise NotPermitted("R1", "only the trajectory's mentor or coach holds progress checks")
        if light is not TrafficLight.GREEN:
            _require_text("R1", notes, "what must improve (orange or red light)")
        self._progress_checked(light, notes, actor, command)

    # ---- commands: medium-stakes, green light, early route

    def hold_medium_stake(
        self,
        portfolio: list[str],
        levels: dict[str, str],
        feedback: str,
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> int:
        self._open(actor)
        self._require_coach(actor, "R6", "hold a medium-stake and set its levels")
        if self.attempts:
            raise RuleViolation("R6", "medium-stakes precede the high-stake")
        moments = self.definition.settings.medium_stake_moments
        number = len(self.medium_stakes) + 1
        if number > len(moments):
            raise RuleViolation(
                "R6", f"both medium-stakes ({moments[0]}% and {moments[1]}%) have been held"
            )
        if not portfolio:
            raise RuleViolation("R6", "an interim portfolio holds at least one evidence item")
        self._check_evidence(portfolio)
        self._check_levels(levels, complete=True)
        _require_text("R1", rationale, "the rationale of the levels")
        self._medium_stake_held(
            number, moments[number - 1], portfolio, levels, feedback, rationale, actor, command
        )
        return number

    def give_green_light(self, rationale: str, actor: Actor, command: CommandRef | None) -> None:
        self._open(actor)
        self._require_coach(actor, "R7", "give the green light")
        if len(self.medium_stakes) < 2:
            raise RuleViolation("R7", "the green light comes after the second medium-stake")
        if self.green_light == "given":
            raise RuleViolation("R7", "the green light has already been given")
        _require_text("R1", rationale, "the rationale of the green light")
        self._green_light_given(rationale, actor, command)

    def withhold_green_light(
        self, advice: str, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        self._require_coach(actor, "R7", "withhold the green light")
        if len(self.medium_stakes) < 2:
            raise RuleViolation("R7", "the green light is decided after the second medium-stake")
        if self.green_light == "given":
            raise RuleViolation("R7", "the green light has already been given")
        _require_text("R7", advice, "the advice (what evidence to gather)")
        _require_text("R1", rationale, "the rationale")
        self._green_light_withheld(advice, rationale, actor, command)

    def request_early_high_stake(
        self, motivation: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        self._require_student(actor, "R8", "request the early route")
        if not self.medium_stakes:
            raise RuleViolation("R8", "the early route opens after the first medium-stake")
        if self.green_light == "given" or self.attempts:
            raise RuleViolation("R8", "the normal route is already open")
        if self.early_route in ("requested", "granted"):
            raise RuleViolation("R8", f"an early-route request is already {self.early_route}")
        verdict = rules.early_route(self.latest_levels, self.definition)
        if not verdict.eligible:
            level = self.definition.rubric.early_level
            raise RuleViolation(
                "R8",
                f"{verdict.outcomes_at_level} of {verdict.outcomes_total} outcomes are at least "
                f"{level} at the latest medium-stake; {verdict.needed} are needed",
            )
        self._early_high_stake_requested(motivation, actor, command)

    def decide_early_high_stake(
        self, grant: bool, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        self._require_coach(actor, "R8", "decide on the early route")
        if self.early_route != "requested":
            raise RuleViolation("R8", "there is no pending early-route request")
        _require_text("R1", rationale, "the rationale")
        if grant:
            self._early_high_stake_granted(rationale, actor, command)
        else:
            self._early_high_stake_refused(rationale, actor, command)

    # ---- commands: high-stake

    def request_high_stake(
        self,
        portfolio: list[str],
        reading_guide_uri: str,
        reading_guide_sha256: str,
        ai_explanation: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> int:
        self._open(actor)
        self._require_student(actor, "R9", "request the high-stake")
        if self.open_attempt is not None:
            raise RuleViolation("R9", "a high-stake attempt is still open")
        if self.green_light != "given" and self.early_route != "granted":
            raise RuleViolation("R9", "a high-stake needs the coach's green light (or early route)")
        last = self.current_attempt
        if last is not None and not last.development_plan:
            raise RuleViolation("R15", "record a development plan before a new attempt")
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
        _require_text("R9", reading_guide_uri, "the reading guide")
        if len(reading_guide_sha256) != 64 or not set(reading_guide_sha256) <= SHA256_HEX:
            raise InvalidInput("R2", "the reading guide hash must be a lowercase hex SHA-256")
        declared = [
            e for e in portfolio if self.evidence[e].ai_use or self.evidence[e].external_sources
        ]
        if declared and not ai_explanation.strip():
            raise RuleViolation(
                "R9", f"the reading guide must explain AI or external use in {declared}"
            )
        number = len(self.attempts) + 1
        early = self.green_light != "given"
        self._high_stake_requested(
            number,
            portfolio,
            reading_guide_uri,
            reading_guide_sha256,
            ai_explanation,
            early,
            actor,
            command,
        )
        return number

    def assign_assessors(
        self,
        attempt_number: int,
        assessor_ids: list[str],
        registered_assessors: set[str],
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self._open(actor)
        attempt = self._open_attempt(attempt_number)
        if attempt.judgments:
            raise RuleViolation("R11", "assessors cannot change once judging has begun")
        settings = self.definition.settings
        if len(set(assessor_ids)) != len(assessor_ids):
            raise RuleViolation("R10", "assessors must be distinct persons")
        if len(assessor_ids) < settings.min_assessors:
            raise RuleViolation("R10", f"at least {settings.min_assessors} assessors are required")
        if self.student_id in assessor_ids:
            raise RuleViolation("R10", "the student cannot assess their own high-stake")
        unregistered = [a for a in assessor_ids if a not in registered_assessors]
        if unregistered:
            raise RuleViolation(
                "R10", f"not registered as assessor for this program: {unregistered}"
            )
        if settings.assessor_independence and not any(a != self.coach_id for a in assessor_ids):
            raise RuleViolation("R10", "at least one assessor must not be the student's coach")
        self._assessors_assigned(attempt_number, assessor_ids, actor, command)

    def submit_judgment(
        self,
        attempt_number: int,
        levels: dict[str, str],
        level_rationales: dict[str, str],
        verdict: Verdict,
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self._open(actor)
        attempt = self._open_attempt(attempt_number)
        self._require_assessor(attempt, actor, "R11")
        if actor.person_id in attempt.judgments:
            raise RuleViolation("R11", "each assessor judges an attempt once")
        self._check_levels(levels, complete=True)
        missing = [
            c for c in self.definition.outcome_codes if not level_rationales.get(c, "").strip()
        ]
        if missing:
            raise InvalidInput(
                "R11", f"a rationale is required for every outcome; missing {missing}"
            )
        extra = [c for c in level_rationales if c not in self.definition.outcome_codes]
        if extra:
            raise InvalidInput("R4", f"unknown learning outcome(s): {extra}")
        _require_text("R1", rationale, "the rationale of the verdict")
        self._judgment_submitted(
            attempt_number, levels, level_rationales, verdict, rationale, actor, command
        )

    def hold_criterion_interview(
        self, attempt_number: int, notes: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        attempt = self._open_attempt(attempt_number)
        self._require_assessor(attempt, actor, "R12")
        if not attempt.all_judged:
            raise RuleViolation("R12", "a CGI follows the judgments of all assessors")
        if attempt.interview_held:
            raise RuleViolation("R12", "a CGI has already been held for this attempt")
        if attempt.passed is not None:
            raise RuleViolation("R12", "the assessment has been concluded")
        _require_text("R1", notes, "the CGI record")
        self._criterion_interview_held(attempt_number, notes, actor, command)

    def agree_final_levels(
        self,
        attempt_number: int,
        levels: dict[str, str],
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self._open(actor)
        attempt = self._open_attempt(attempt_number)
        self._require_assessor(attempt, actor, "R12")
        if not attempt.all_judged:
            raise RuleViolation("R12", "final levels follow the judgments of all assessors")
        if self.interview_reasons(attempt) and not attempt.interview_held:
            reasons = "; ".join(self.interview_reasons(attempt))
            raise RuleViolation("R12", f"a CGI must be held first: {reasons}")
        if attempt.passed is not None:
            raise RuleViolation("R12", "the assessment has been concluded")
        self._check_levels(levels, complete=True)
        _require_text("R1", rationale, "the rationale of the agreed levels")
        self._final_levels_agreed(attempt_number, levels, rationale, actor, command)

    def conclude_assessment(
        self, attempt_number: int, rationale: str, actor: Actor, command: CommandRef | None
    ) -> bool:
        self._open(actor)
        attempt = self._open_attempt(attempt_number)
        self._require_assessor(attempt, actor, "R13")
        if attempt.passed is not None:
            raise RuleViolation("R13", "the assessment has already been concluded")
        if not attempt.all_judged:
            raise RuleViolation("R11", "every assigned assessor must judge before the conclusion")
        reasons = self.interview_reasons(attempt)
        if reasons and not attempt.interview_held:
            raise RuleViolation("R12", f"a CGI must be held first: {'; '.join(reasons)}")
        levels = self.levels_for_conclusion(attempt)
        if levels is None:
            raise RuleViolation("R12", "the assessors must first agree the final levels")
        _require_text("R1", rationale, "the rationale of the conclusion")
        evaluation = rules.evaluate_pass(levels, self.definition)
        self._assessment_concluded(
            attempt_number,
            levels,
            evaluation.passed,
            list(evaluation.below_pass_level),
            self.program_version,
            rationale,
            actor,
            command,
        )
        return evaluation.passed

    def cast_vote(
        self,
        attempt_number: int,
        vote: Vote,
        rationale: str,
        committee_members: set[str],
        actor: Actor,
        command: CommandRef | None,
    ) -> str | None:
        self._open(actor)
        attempt = self._open_attempt(attempt_number)
        if actor.role is not Role.COMMITTEE or actor.person_id not in committee_members:
            raise NotPermitted("R14", "only members of the program's committee vote")
        if attempt.passed is None:
            raise RuleViolation("R14", "the committee votes on a concluded assessment")
        if actor.person_id in attempt.assessors:
            raise RuleViolation("R14", "an assessor of this attempt does not vote on it")
        if actor.person_id in attempt.votes:
            raise RuleViolation("R14", "a member votes once on one decision")
        _require_text("R1", rationale, "the rationale of the vote")
        self._committee_vote_cast(attempt_number, attempt.round, vote, rationale, actor, command)
        tally = list(attempt.votes.values())
        ratify, refer = tally.count(Vote.RATIFY.value), tally.count(Vote.REFER_BACK.value)
        quorum = self.definition.settings.committee_quorum
        outcome = rules.quorum_decision(ratify, refer, quorum)
        summary = f"{ratify} ratify, {refer} refer back (quorum {quorum})"
        if outcome == "ratified":
            self._decision_ratified(
                attempt_number,
                attempt.round,
                bool(attempt.passed),
                self.program_version,
                dict(attempt.concluded_levels or {}),
                summary,
                actor,
                command,
            )
        elif outcome == "referred_back":
            self._decision_referred_back(attempt_number, attempt.round, summary, actor, command)
        return outcome

    def record_development_plan(
        self, attempt_number: int, plan: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self._open(actor)
        if not (
            self._is_student(actor)
            or (actor.role is Role.COACH and actor.person_id == self.coach_id)
        ):
            raise NotPermitted("R15", "the student or the coach records the development plan")
        attempt = self._attempt(attempt_number)
        if attempt.decision != "ratified" or attempt.passed is not False:
            raise RuleViolation("R15", "a development plan follows a ratified failed high-stake")
        if attempt is not self.current_attempt:
            raise RuleViolation("R15", "a development plan belongs to the latest attempt")
        if attempt.development_plan:
            raise RuleViolation("R2", "a development plan was already recorded; add a correction")
        _require_text("R15", plan, "the development plan")
        self._development_plan_recorded(attempt_number, plan, actor, command)

    def record_correction(
        self,
        corrects_version: int,
        reason: str,
        details: dict[str, Any],
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        if not 1 <= corrects_version <= self.version:
            raise InvalidInput("R2", f"there is no event at version {corrects_version} to correct")
        if actor.role is not Role.COMMITTEE:
            if self.closed:
                raise RuleViolation("R16", "a closed trajectory takes only committee corrections")
            original = self.actors_by_version().get(corrects_version)
            if original != actor.person_id:
                raise NotPermitted("R2", "an event is corrected by its author or the committee")
        _require_text("R1", reason, "the reason for the correction")
        self._correction_recorded(corrects_version, reason, details, actor, command)

    def actors_by_version(self) -> dict[int, str]:
        return dict(enumerate(self.event_actors, start=1))

    def publish_exhibition(
        self,
        exhibition_id: str,
        title: str,
        evidence_ids: list[str],
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self._open(actor)
        self._require_student(actor, "R1", "publish an exhibition")
        if exhibition_id in self.exhibitions:
            raise RuleViolation("R2", f"exhibition {exhibition_id} exists")
        _require_text("R1", title, "the title of the exhibition")
        if not evidence_ids:
            raise InvalidInput("R4", "an exhibition shows at least one evidence item")
        self._check_evidence(evidence_ids)
        self._exhibition_published(exhibition_id, title, evidence_ids, actor, command)

    # ---- events (these run on replay: state changes only, no checks)

    def _touch(self, actor: Actor, command: CommandRef | None) -> None:
        self.event_actors.append(actor.person_id)
        self._remember(command, self.version + 1)

    @event("CoachReassigned")
    def _coach_reassigned(
        self, coach_id: str, reason: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.coach_id = coach_id
        self._touch(actor, command)

    @event("MentorReassigned")
    def _mentor_reassigned(
        self, mentor_id: str, reason: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.mentor_id = mentor_id
        self._touch(actor, command)

    @event("BaselineMeasured")
    def _baseline_measured(
        self, outcome: str, level: str, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.baseline[outcome] = level
        self._touch(actor, command)

    @event("EvidenceSubmitted")
    def _evidence_submitted(
        self,
        evidence_id: str,
        title: str,
        kind: EvidenceKind,
        uri: str,
        sha256: str,
        outcomes: list[str],
        criteria: list[str],
        ai_use: bool,
        external_sources: bool,
        declaration: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.evidence[evidence_id] = EvidenceItem(
            evidence_id,
            title,
            kind,
            uri,
            sha256,
            list(outcomes),
            list(criteria),
            ai_use,
            external_sources,
            declaration,
            self._now(),
        )
        self._touch(actor, command)

    @event("EvidenceWithdrawn")
    def _evidence_withdrawn(
        self, evidence_id: str, reason: str, actor: Actor, command: CommandRef | None
    ) -> None:
        item = self.evidence[evidence_id]
        item.withdrawn = True
        item.withdrawal_reason = reason
        self._touch(actor, command)

    @event("FeedbackRequested")
    def _feedback_requested(
        self,
        request_id: str,
        requested_from: str,
        source: FeedbackSource,
        outcomes: list[str],
        evidence_id: str | None,
        question: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.feedback_requests[request_id] = FeedbackRequest(
            request_id, requested_from, source, list(outcomes), evidence_id, question
        )
        self._touch(actor, command)

    @event("FeedbackGiven")
    def _feedback_given(
        self,
        feedback_id: str,
        source: FeedbackSource,
        giver_id: str,
        outcomes: list[str],
        criteria: list[str],
        evidence_id: str | None,
        text: str,
        request_id: str | None,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.feedback.append(
            FeedbackItem(
                feedback_id,
                source,
                giver_id,
                list(outcomes),
                list(criteria),
                evidence_id,
                text,
                request_id,
                self._now(),
                actor.person_id,
            )
        )
        if request_id is not None and request_id in self.feedback_requests:
            self.feedback_requests[request_id].answered = True
        self._touch(actor, command)

    @event("ProgressChecked")
    def _progress_checked(
        self, light: TrafficLight, notes: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.progress_checks.append(ProgressCheck(light, notes, actor.person_id, self._now()))
        self._touch(actor, command)

    @event("MediumStakeHeld")
    def _medium_stake_held(
        self,
        number: int,
        moment: int,
        portfolio: list[str],
        levels: dict[str, str],
        feedback: str,
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.medium_stakes.append(
            MediumStake(
                number,
                moment,
                list(portfolio),
                dict(levels),
                feedback,
                rationale,
                actor.person_id,
                self._now(),
            )
        )
        self._touch(actor, command)

    @event("GreenLightGiven")
    def _green_light_given(self, rationale: str, actor: Actor, command: CommandRef | None) -> None:
        self.green_light = "given"
        self.green_light_note = rationale
        self._touch(actor, command)

    @event("GreenLightWithheld")
    def _green_light_withheld(
        self, advice: str, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.green_light = "withheld"
        self.green_light_note = advice
        self._touch(actor, command)

    @event("EarlyHighStakeRequested")
    def _early_high_stake_requested(
        self, motivation: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.early_route = "requested"
        self._touch(actor, command)

    @event("EarlyHighStakeGranted")
    def _early_high_stake_granted(
        self, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.early_route = "granted"
        self._touch(actor, command)

    @event("EarlyHighStakeRefused")
    def _early_high_stake_refused(
        self, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.early_route = "refused"
        self._touch(actor, command)

    @event("HighStakeRequested")
    def _high_stake_requested(
        self,
        attempt: int,
        portfolio: list[str],
        reading_guide_uri: str,
        reading_guide_sha256: str,
        ai_explanation: str,
        early: bool,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.attempts.append(
            Attempt(
                number=attempt,
                portfolio=list(portfolio),
                reading_guide={
                    "uri": reading_guide_uri,
                    "sha256": reading_guide_sha256,
                    "ai_explanation": ai_explanation,
                },
                early=early,
                requested_at=self._now(),
            )
        )
        self._touch(actor, command)

    @event("AssessorsAssigned")
    def _assessors_assigned(
        self, attempt: int, assessor_ids: list[str], actor: Actor, command: CommandRef | None
    ) -> None:
        self.attempts[attempt - 1].assessors = list(assessor_ids)
        self._touch(actor, command)

    @event("JudgmentSubmitted")
    def _judgment_submitted(
        self,
        attempt: int,
        levels: dict[str, str],
        level_rationales: dict[str, str],
        verdict: Verdict,
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.attempts[attempt - 1].judgments[actor.person_id] = Judgment(
            actor.person_id,
            dict(levels),
            dict(level_rationales),
            verdict,
            rationale,
            self._now(),
        )
        self._touch(actor, command)

    @event("CriterionInterviewHeld")
    def _criterion_interview_held(
        self, attempt: int, notes: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.attempts[attempt - 1].interview_held = True
        self._touch(actor, command)

    @event("FinalLevelsAgreed")
    def _final_levels_agreed(
        self,
        attempt: int,
        levels: dict[str, str],
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.attempts[attempt - 1].final_levels = dict(levels)
        self._touch(actor, command)

    @event("AssessmentConcluded")
    def _assessment_concluded(
        self,
        attempt: int,
        levels: dict[str, str],
        passed: bool,
        below_pass_level: list[str],
        program_version: int,
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        target = self.attempts[attempt - 1]
        target.concluded_levels = dict(levels)
        target.passed = passed
        self._touch(actor, command)

    @event("CommitteeVoteCast")
    def _committee_vote_cast(
        self,
        attempt: int,
        round: int,
        vote: Vote,
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.attempts[attempt - 1].votes[actor.person_id] = vote.value
        self._touch(actor, command)

    @event("DecisionRatified")
    def _decision_ratified(
        self,
        attempt: int,
        round: int,
        passed: bool,
        program_version: int,
        levels: dict[str, str],
        rationale: str,
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.attempts[attempt - 1].decision = "ratified"
        if passed:
            self.closed = True
        self._touch(actor, command)

    @event("DecisionReferredBack")
    def _decision_referred_back(
        self, attempt: int, round: int, rationale: str, actor: Actor, command: CommandRef | None
    ) -> None:
        # A referral sends the result back to the assessors: a new round of final levels,
        # conclusion and votes follows; the judgments themselves stand.
        target = self.attempts[attempt - 1]
        target.round += 1
        target.votes = {}
        target.passed = None
        target.concluded_levels = None
        target.final_levels = None
        self._touch(actor, command)

    @event("DevelopmentPlanRecorded")
    def _development_plan_recorded(
        self, attempt: int, plan: str, actor: Actor, command: CommandRef | None
    ) -> None:
        self.attempts[attempt - 1].development_plan = plan
        self._touch(actor, command)

    @event("CorrectionRecorded")
    def _correction_recorded(
        self,
        corrects_version: int,
        reason: str,
        details: dict[str, Any],
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.corrections.append(
            {
                "version": self.version,
                "corrects_version": corrects_version,
                "reason": reason,
                "details": details,
                "by": actor.person_id,
                "role": actor.role.value,
            }
        )
        self._touch(actor, command)

    @event("ExhibitionPublished")
    def _exhibition_published(
        self,
        exhibition_id: str,
        title: str,
        evidence_ids: list[str],
        actor: Actor,
        command: CommandRef | None,
    ) -> None:
        self.exhibitions[exhibition_id] = list(evidence_ids)
        self._touch(actor, command)
