"""The working state the read models keep per trajectory, folded from its events.

It holds only what the read models need, as plain JSON-able data, so it can be stored beside
the read-model rows and an increment can continue from it. Everything the rules decide is left
to `domain.rules`: this module gathers the facts (`ProgressFacts`, judgment summaries, portfolio
contents) and hands them to the rule functions, exactly as the aggregate does.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from domain import rules
from domain.program import ProgramDefinition
from domain.values import Phase
from projections import codec


class ProjectionIntegrityError(RuntimeError):
    """An event arrived out of sequence for its trajectory: one was missed or applied twice."""


def timestamp(event: Any) -> str:
    # One fixed format (always with microseconds) so that times also sort as text on SQLite.
    return str(event.timestamp.isoformat(timespec="microseconds"))


@dataclass(slots=True)
class AttemptState:
    number: int
    portfolio: list[str]
    early: bool
    requested_at: str
    ai_explanation: bool
    # Facts as they stood at the request, for the borging checklist.
    route_at_request: str | None
    givers_at_request: dict[str, int]
    assessors: list[str] = field(default_factory=list)
    assigned_at: str | None = None
    judgments: dict[str, list[Any]] = field(default_factory=dict)  # assessor -> [verdict, levels]
    interview_held: bool = False
    final_levels: dict[str, str] | None = None
    concluded_levels: dict[str, str] | None = None
    passed: bool | None = None
    round: int = 1
    votes: dict[str, str] = field(default_factory=dict)
    decision: str | None = None  # "ratified" once decided; a referral keeps it open
    development_plan: bool = False
    # The latest conclusion and the committee's answer to it; they survive a referral.
    conclusion: dict[str, Any] | None = None
    committee: dict[str, Any] | None = None

    @property
    def all_judged(self) -> bool:
        return bool(self.assessors) and set(self.judgments) >= set(self.assessors)

    @property
    def open(self) -> bool:
        return self.decision is None

    def summaries(self) -> list[rules.JudgmentSummary]:
        return [
            rules.JudgmentSummary(verdict, levels) for verdict, levels in self.judgments.values()
        ]


ATTEMPT_FIELDS = tuple(f.name for f in fields(AttemptState))


@dataclass(slots=True)
class TrajectoryState:
    trajectory_id: str
    program_id: str
    program_version: int
    cohort: str
    student_id: str
    coach_id: str
    mentor_id: str
    started_at: str
    # While events are folded this holds the latest event's datetime (formatting every event's
    # time would cost more than the rest of applying it); as_text() turns it into text.
    last_activity_at: Any
    version: int = 1
    baseline: dict[str, str] = field(default_factory=dict)
    # evidence id -> [outcomes, kind, declares AI or external use, withdrawn]
    evidence: dict[str, list[Any]] = field(default_factory=dict)
    feedback_count: int = 0
    givers: dict[str, list[str]] = field(default_factory=dict)  # outcome -> distinct givers
    sources: dict[str, dict[str, int]] = field(default_factory=dict)  # outcome -> source -> n
    lights: list[list[str]] = field(default_factory=list)  # [light, checked by, checked at]
    medium_stakes: int = 0
    latest_levels: dict[str, str] = field(default_factory=dict)
    medium_stake_at: str | None = None
    green_light: str | None = None
    green_light_note: str = ""
    green_light_at: str | None = None
    early_route: str | None = None
    attempts: list[AttemptState] = field(default_factory=list)
    corrections: int = 0
    closed: bool = False
    # Not stored: the facts and next step of the version they were computed for, so that the
    # read models that all need them compute them once.
    derived: tuple[int, rules.ProgressFacts, rules.NextStep] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def key(self) -> tuple[str, int]:
        return (self.program_id, self.program_version)

    # ---- storage

    @property
    def last_activity(self) -> str:
        """Time of the trajectory's latest event, as text."""
        moment = self.last_activity_at
        if not isinstance(moment, str):
            moment = self.last_activity_at = moment.isoformat(timespec="microseconds")
        return str(moment)

    def to_json(self) -> bytes:
        data = {name: getattr(self, name) for name in STATE_FIELDS}
        data["last_activity_at"] = self.last_activity
        data["attempts"] = [{n: getattr(a, n) for n in ATTEMPT_FIELDS} for a in self.attempts]
        return codec.dump_bytes(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> TrajectoryState:
        data = codec.loads(text)
        data["attempts"] = [AttemptState(**a) for a in data["attempts"]]
        return cls(**data)

    def encode(self) -> bytes:
        """The stored form: compressed JSON. Compressed, a state stays below PostgreSQL's
        TOAST threshold, and a rebuild writes a third of the bytes (the states are most of
        what it writes: one copy per read model)."""
        return zlib.compress(self.to_json(), 1)

    @classmethod
    def decode(cls, stored: bytes) -> TrajectoryState:
        return cls.from_json(zlib.decompress(stored))

    # ---- derived, mirroring the aggregate's own properties

    @property
    def current_attempt(self) -> AttemptState | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def open_attempt(self) -> AttemptState | None:
        attempt = self.current_attempt
        return attempt if attempt is not None and attempt.open else None

    @property
    def latest_light(self) -> str | None:
        return self.lights[-1][0] if self.lights else None

    def phase(self) -> Phase:
        return rules.phase(
            closed=self.closed,
            attempt_open=self.open_attempt is not None,
            last_attempt_failed=bool(self.attempts) and self.attempts[-1].passed is False,
            medium_stakes_held=self.medium_stakes,
            any_activity=bool(self.evidence or self.feedback_count or self.lights),
        )

    def evidence_per_outcome(self, definition: ProgramDefinition) -> dict[str, int]:
        counts = {code: 0 for code in definition.outcome_codes}
        for outcomes, _kind, _declared, withdrawn in self.evidence.values():
            if withdrawn:
                continue
            for code in set(outcomes):
                if code in counts:
                    counts[code] += 1
        return counts

    def interview_reasons(self, attempt: AttemptState, definition: ProgramDefinition) -> list[str]:
        if not attempt.all_judged:
            return []
        return rules.interview_reasons(attempt.summaries(), definition)

    def final_levels_needed(self, attempt: AttemptState, definition: ProgramDefinition) -> bool:
        if not attempt.all_judged:
            return True
        return bool(self.interview_reasons(attempt, definition)) or not rules.levels_identical(
            attempt.summaries(), definition
        )

    def facts(self, definition: ProgramDefinition) -> rules.ProgressFacts:
        attempt = self.current_attempt
        last_result = None
        if attempt is not None and attempt.decision == "ratified":
            last_result = "passed" if attempt.passed else "failed"
        is_open = attempt is not None and attempt.open
        live = attempt if is_open else None
        return rules.ProgressFacts(
            closed=self.closed,
            evidence_per_outcome=self.evidence_per_outcome(definition),
            medium_stakes_held=self.medium_stakes,
            latest_levels=dict(self.latest_levels),
            green_light=self.green_light,
            early_route=self.early_route,
            attempt_open=is_open,
            assessors_assigned=len(live.assessors) if live else 0,
            judgments_submitted=len(live.judgments) if live else 0,
            interview_needed=bool(live and self.interview_reasons(live, definition)),
            interview_held=bool(live and live.interview_held),
            final_levels_needed=bool(live and self.final_levels_needed(live, definition)),
            final_levels_agreed=bool(live and live.final_levels is not None),
            concluded=bool(live and live.passed is not None),
            votes_cast=len(live.votes) if live else 0,
            last_result=last_result,
            development_plan_recorded=bool(attempt and attempt.development_plan),
        )

    def next_step(self, definition: ProgramDefinition) -> rules.NextStep:
        return self.progress(definition)[1]

    def progress(self, definition: ProgramDefinition) -> tuple[rules.ProgressFacts, rules.NextStep]:
        """The facts and, from `domain.rules.next_step`, the next step, as of this version."""
        derived = self.derived
        if derived is None or derived[0] != self.version:
            facts = self.facts(definition)
            derived = self.derived = (self.version, facts, rules.next_step(facts, definition))
        return derived[1], derived[2]

    # ---- folding events

    def apply(self, event: Any, definition: ProgramDefinition) -> None:
        if event.originator_version != self.version + 1:
            raise ProjectionIntegrityError(
                f"trajectory {self.trajectory_id} is at version {self.version}; got "
                f"{type(event).__name__} version {event.originator_version}"
            )
        handler = HANDLERS.get(type(event).__name__)
        if handler is not None:
            handler(self, event, definition)
        self.version = event.originator_version
        self.last_activity_at = event.timestamp


STATE_FIELDS = tuple(f.name for f in fields(TrajectoryState) if f.name != "derived")


def start(event: Any) -> TrajectoryState:
    """The state a Started event opens."""
    if event.originator_version != 1:
        raise ProjectionIntegrityError(
            f"trajectory {event.originator_id} starts at version {event.originator_version}"
        )
    at = timestamp(event)
    return TrajectoryState(
        trajectory_id=str(event.originator_id),
        program_id=str(event.program_id),
        program_version=int(event.program_version),
        cohort=event.cohort,
        student_id=event.student_id,
        coach_id=event.coach_id,
        mentor_id=event.mentor_id,
        started_at=at,
        last_activity_at=at,
    )


_CRITERIA_OUTCOMES: dict[int, tuple[ProgramDefinition, dict[str, str]]] = {}


def criteria_outcomes(definition: ProgramDefinition) -> dict[str, str]:
    """Which outcome each quality criterion belongs to (feedback may name only criteria)."""
    entry = _CRITERIA_OUTCOMES.get(id(definition))
    if entry is None or entry[0] is not definition:
        mapping = {c.code: o.code for o in definition.outcomes for c in o.criteria}
        entry = (definition, mapping)
        _CRITERIA_OUTCOMES[id(definition)] = entry
    return entry[1]


def _value(enum_or_text: Any) -> str:
    # `_value_` is a plain attribute; `value` goes through a descriptor, several times slower.
    return str(getattr(enum_or_text, "_value_", enum_or_text))


def _coach(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.coach_id = e.coach_id


def _mentor(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.mentor_id = e.mentor_id


def _baseline(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.baseline[e.outcome] = e.level


def _evidence(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    # The decoded event is dropped after it is applied, so its lists need no copying.
    s.evidence[e.evidence_id] = [
        e.outcomes,
        _value(e.kind),
        bool(e.ai_use or e.external_sources),
        False,
    ]


def _withdrawn(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.evidence[e.evidence_id][3] = True


def _feedback(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.feedback_count += 1
    about: list[str] = e.outcomes
    if e.criteria or len(about) > 1:
        by_criterion = criteria_outcomes(d)
        named = [*about, *(by_criterion[c] for c in e.criteria if c in by_criterion)]
        about = list(dict.fromkeys(named))
    source = _value(e.source)
    for outcome in about:
        givers = s.givers.setdefault(outcome, [])
        if e.giver_id not in givers:
            givers.append(e.giver_id)
        counts = s.sources.setdefault(outcome, {})
        counts[source] = counts.get(source, 0) + 1


def _progress_checked(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.lights.append([_value(e.light), e.actor.person_id, timestamp(e)])


def _medium_stake(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.medium_stakes = int(e.number)
    s.latest_levels = e.levels
    s.medium_stake_at = timestamp(e)


def _green_light_given(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.green_light, s.green_light_note, s.green_light_at = "given", e.rationale, timestamp(e)


def _green_light_withheld(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.green_light, s.green_light_note, s.green_light_at = "withheld", e.advice, timestamp(e)


def _early(route: str) -> Callable[[TrajectoryState, Any, ProgramDefinition], None]:
    def handler(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
        s.early_route = route

    return handler


def _high_stake_requested(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    route = (
        "green_light"
        if s.green_light == "given"
        else "early_route"
        if s.early_route == "granted"
        else None
    )
    s.attempts.append(
        AttemptState(
            number=int(e.attempt),
            portfolio=list(e.portfolio),
            early=bool(e.early),
            requested_at=timestamp(e),
            ai_explanation=bool(e.ai_explanation.strip()),
            route_at_request=route,
            givers_at_request={code: len(s.givers.get(code, ())) for code in d.outcome_codes},
        )
    )


def _attempt(s: TrajectoryState, e: Any) -> AttemptState:
    return s.attempts[int(e.attempt) - 1]


def _assessors(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.assessors = list(e.assessor_ids)
    attempt.assigned_at = timestamp(e)


def _judgment(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    _attempt(s, e).judgments[e.actor.person_id] = [_value(e.verdict), dict(e.levels)]


def _interview(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    _attempt(s, e).interview_held = True


def _final_levels(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    _attempt(s, e).final_levels = dict(e.levels)


def _concluded(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.concluded_levels = dict(e.levels)
    attempt.passed = bool(e.passed)
    attempt.conclusion = {
        "round": attempt.round,
        "levels": dict(e.levels),
        "passed": bool(e.passed),
        "at": timestamp(e),
        "coach_id": s.coach_id,
        "program_version": int(e.program_version),
        "interview_held": attempt.interview_held,
    }
    attempt.committee = None


def _vote(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    _attempt(s, e).votes[e.actor.person_id] = _value(e.vote)


def _committee_answer(attempt: AttemptState, outcome: str, at: str) -> dict[str, Any]:
    tally = list(attempt.votes.values())
    return {
        "outcome": outcome,
        "ratify": tally.count("ratify"),
        "refer_back": tally.count("refer_back"),
        "at": at,
        "round": attempt.round,
    }


def _ratified(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.decision = "ratified"
    attempt.committee = _committee_answer(attempt, "ratified", timestamp(e))
    if e.passed:
        s.closed = True


def _referred_back(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.committee = _committee_answer(attempt, "referred_back", timestamp(e))
    attempt.round += 1
    attempt.votes = {}
    attempt.passed = None
    attempt.concluded_levels = None
    attempt.final_levels = None


def _development_plan(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    _attempt(s, e).development_plan = True


def _correction(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.corrections += 1


HANDLERS: dict[str, Callable[[TrajectoryState, Any, ProgramDefinition], None]] = {
    "CoachReassigned": _coach,
    "MentorReassigned": _mentor,
    "BaselineMeasured": _baseline,
    "EvidenceSubmitted": _evidence,
    "EvidenceWithdrawn": _withdrawn,
    "FeedbackGiven": _feedback,
    "ProgressChecked": _progress_checked,
    "MediumStakeHeld": _medium_stake,
    "GreenLightGiven": _green_light_given,
    "GreenLightWithheld": _green_light_withheld,
    "EarlyHighStakeRequested": _early("requested"),
    "EarlyHighStakeGranted": _early("granted"),
    "EarlyHighStakeRefused": _early("refused"),
    "HighStakeRequested": _high_stake_requested,
    "AssessorsAssigned": _assessors,
    "JudgmentSubmitted": _judgment,
    "CriterionInterviewHeld": _interview,
    "FinalLevelsAgreed": _final_levels,
    "AssessmentConcluded": _concluded,
    "CommitteeVoteCast": _vote,
    "DecisionRatified": _ratified,
    "DecisionReferredBack": _referred_back,
    "DevelopmentPlanRecorded": _development_plan,
    "CorrectionRecorded": _correction,
}
