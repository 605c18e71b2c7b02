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
from datetime import datetime
from typing import Any

from domain import moments, rules
from domain.program import ProgramDefinition
from domain.trajectory import Trajectory, event_classes
from domain.values import Decision, EarlyRoute, GreenLight, Phase, Verdict
from projections import codec, sealed

# Part of every read model's fingerprint: a change of the stored state's shape or meaning
# rebuilds the read models from the log.
STATE_VERSION = 6


class ProjectionIntegrityError(RuntimeError):
    """An event arrived out of sequence for its trajectory: one was missed or applied twice."""


def timestamp(event: Any) -> str:
    # One fixed format (always with microseconds) so that times also sort as text on SQLite.
    return str(event.timestamp.isoformat(timespec="microseconds"))


def day(event: Any) -> str:
    """The day the event's happening took place, ISO 8601 (sorts as text on SQLite too)."""
    return moments.occurred_on(event).isoformat()


@dataclass(slots=True)
class AttemptState:
    number: int
    portfolio: list[str]
    early: bool
    requested_at: str
    # Whether the request explained declared AI or external use (the text itself is not kept).
    ai_explanation: bool
    # Facts as they stood at the request, for the borging checklist.
    route_at_request: str | None
    givers_at_request: dict[str, int]
    # The day the portfolio was handed in.
    requested_on: str = ""
    # The request's version: corrections of this version or later (up to the next attempt's
    # request) are corrections of this attempt.
    first_version: int = 0
    assessors: list[str] = field(default_factory=list)
    assigned_at: str | None = None
    assigned_on: str | None = None
    # The coach when the assessors were assigned: the moment R10 is checked.
    assigned_coach: str | None = None
    judgments: dict[str, list[Any]] = field(default_factory=dict)  # assessor -> [verdict, levels]
    interview_held: bool = False
    final_levels: dict[str, str] | None = None
    concluded_levels: dict[str, str] | None = None
    passed: bool | None = None
    round: int = 1
    votes: dict[str, str] = field(default_factory=dict)
    decision: str | None = None  # Decision.RATIFIED's value once decided; a referral keeps it open
    development_plan: bool = False
    # The latest conclusion and the committee's answer to it; they survive a referral.
    conclusion: dict[str, Any] | None = None
    committee: dict[str, Any] | None = None
    # Dated facts for the reports: when the last assigned assessor judged, when the CGI was
    # held, every committee answer (a referral included), every vote, every borging follow-up;
    # each with the time it was recorded (`*_at`) and the day it took place (`*_on`).
    judged_at: str | None = None
    # The day the judgments were complete: the latest day an assigned assessor's judgment took
    # place (one recorded later may have taken place before the others).
    judged_on: str | None = None
    judgment_days: dict[str, str] = field(default_factory=dict)  # assessor -> day
    interview_at: str | None = None
    interview_on: str | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)
    vote_log: list[list[Any]] = field(default_factory=list)  # [member, vote, round, at, on]
    # [item, action, by, at, on]; the action is a sealed reference (`projections.sealed`)
    follow_ups: list[list[Any]] = field(default_factory=list)
    # Portfolio items withdrawn after the request (the borging follows them up).
    withdrawn_after: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.decision is None

    @property
    def referrals(self) -> list[dict[str, Any]]:
        """The committee's referrals back, in order (derived from its answers)."""
        return [
            {k: v for k, v in a.items() if k not in ("passed", "concluded_at", "concluded_on")}
            for a in self.answers
            if a["outcome"] == Decision.REFERRED_BACK.value
        ]

    def facts(self) -> rules.AttemptFacts:
        return rules.AttemptFacts(
            assessors=self.assessors,
            judgments={
                a: rules.JudgmentSummary(Verdict(verdict), levels)
                for a, (verdict, levels) in self.judgments.items()
            },
            interview_held=self.interview_held,
            final_levels=self.final_levels,
            passed=self.passed,
            votes_cast=len(self.votes),
            decision=Decision(self.decision) if self.decision else None,
            development_plan=self.development_plan,
        )


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
    # The day the trajectory started (the day its start says, or the day it was recorded).
    started_on: str = ""
    # The latest day an event said its happening took place, and (a datetime while folding,
    # like last_activity_at) the time of the latest event that said no day: together they give
    # the latest day anything took place without converting every event's time.
    latest_stated_day: str = ""
    last_unstated_at: Any = None
    version: int = 1
    baseline: dict[str, str] = field(default_factory=dict)
    # evidence id -> [outcomes, kind, declares AI or external use, withdrawn]
    evidence: dict[str, list[Any]] = field(default_factory=dict)
    feedback_count: int = 0
    givers: dict[str, list[str]] = field(default_factory=dict)  # outcome -> distinct givers
    sources: dict[str, dict[str, int]] = field(default_factory=dict)  # outcome -> source -> n
    # [light, checked by, checked at, checked on]
    lights: list[list[str]] = field(default_factory=list)
    medium_stakes: int = 0
    latest_levels: dict[str, str] = field(default_factory=dict)
    medium_stake_at: str | None = None
    green_light: str | None = None
    # The rationale, or the advice when withheld: a sealed reference (`projections.sealed`).
    green_light_note: Any = ""
    green_light_at: str | None = None
    green_light_on: str | None = None
    early_route: str | None = None
    attempts: list[AttemptState] = field(default_factory=list)
    corrections: int = 0
    closed: bool = False
    # Dated facts for the reports: [requested|granted|refused, at, on] per early-route event,
    # and [corrects version, reason, by, role, at, on] per correction (the reason a sealed
    # reference); `at` the time recorded, `on` the day it took place.
    early_log: list[list[str]] = field(default_factory=list)
    correction_log: list[list[Any]] = field(default_factory=list)
    # Not stored: the facts and next step of the version they were computed for, so that the
    # read models that all need them compute them once.
    derived: tuple[int, rules.ProgressFacts, rules.NextStep] | None = field(
        default=None, compare=False, repr=False
    )

    @property
    def key(self) -> tuple[str, int]:
        return (self.program_id, self.program_version)

    def corrections_of(self, attempt: AttemptState) -> list[list[Any]]:
        """[version, by, role] per correction of the attempt's events: those from its request
        to the next attempt's (derived from the correction log)."""
        later = [a.first_version for a in self.attempts if a.first_version > attempt.first_version]
        end = min(later) if later else None
        return [
            [version, by, role]
            for version, _reason, by, role, *_when in self.correction_log
            if attempt.first_version <= version and (end is None or version < end)
        ]

    # ---- storage

    @property
    def last_activity(self) -> str:
        """Time of the trajectory's latest event, as text."""
        moment = self.last_activity_at
        if not isinstance(moment, str):
            moment = self.last_activity_at = moment.isoformat(timespec="microseconds")
        return str(moment)

    @property
    def last_occurred_on(self) -> str:
        """The latest day anything took place on the trajectory, ISO 8601."""
        moment = self.last_unstated_at
        unstated = ""
        if moment is not None:
            when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
            unstated = moments.day_of(when).isoformat()
        return max(self.latest_stated_day, unstated, self.started_on)

    def to_json(self) -> bytes:
        data = {name: getattr(self, name) for name in STATE_FIELDS}
        data["last_activity_at"] = self.last_activity
        unstated = self.last_unstated_at
        if unstated is not None and not isinstance(unstated, str):
            data["last_unstated_at"] = unstated.isoformat(timespec="microseconds")
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

    def active_evidence_outcomes(self) -> list[list[str]]:
        return [item[0] for item in self.evidence.values() if not item[3]]

    def facts(self, definition: ProgramDefinition) -> rules.ProgressFacts:
        """The same facts, from the same builder, as the aggregate's own."""
        attempt = self.current_attempt
        return rules.progress_facts(
            closed=self.closed,
            evidence_outcomes=self.active_evidence_outcomes(),
            medium_stakes_held=self.medium_stakes,
            latest_levels=self.latest_levels,
            green_light=GreenLight(self.green_light) if self.green_light else None,
            early_route=EarlyRoute(self.early_route) if self.early_route else None,
            attempt=attempt.facts() if attempt is not None else None,
            definition=definition,
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
        handler = HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event, definition)
        self.version = event.originator_version
        self.last_activity_at = event.timestamp
        stated = getattr(event, "occurred_on", None)
        if stated is None:
            self.last_unstated_at = event.timestamp
        else:
            text = stated.isoformat()
            if text > self.latest_stated_day:
                self.latest_stated_day = text


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
        started_on=day(event),
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
    for attempt in s.attempts:
        if e.evidence_id in attempt.portfolio:
            attempt.withdrawn_after.append(e.evidence_id)


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
    s.lights.append([_value(e.light), e.actor.person_id, timestamp(e), day(e)])


def _medium_stake(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.medium_stakes = int(e.number)
    s.latest_levels = e.levels
    s.medium_stake_at = timestamp(e)


def _green_light_given(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.green_light, s.green_light_note = GreenLight.GIVEN.value, sealed.reference(e.rationale)
    s.green_light_at, s.green_light_on = timestamp(e), day(e)


def _green_light_withheld(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.green_light, s.green_light_note = GreenLight.WITHHELD.value, sealed.reference(e.advice)
    s.green_light_at, s.green_light_on = timestamp(e), day(e)


def _early(route: EarlyRoute) -> Callable[[TrajectoryState, Any, ProgramDefinition], None]:
    def handler(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
        s.early_route = route.value
        s.early_log.append([route.value, timestamp(e), day(e)])

    return handler


def _high_stake_requested(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    route = (
        "green_light"
        if s.green_light == GreenLight.GIVEN.value
        else "early_route"
        if s.early_route == EarlyRoute.GRANTED.value
        else None
    )
    s.attempts.append(
        AttemptState(
            number=int(e.attempt),
            portfolio=list(e.portfolio),
            early=bool(e.early),
            requested_at=timestamp(e),
            requested_on=day(e),
            first_version=int(e.originator_version),
            ai_explanation=sealed.given(e.ai_explanation),
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
    attempt.assigned_on = day(e)
    attempt.assigned_coach = s.coach_id


def _judgment(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.judgments[e.actor.person_id] = [_value(e.verdict), dict(e.levels)]
    if attempt.judged_at is None:
        attempt.judgment_days[e.actor.person_id] = day(e)
        if attempt.facts().all_judged:
            attempt.judged_at = timestamp(e)
            attempt.judged_on = max(attempt.judgment_days.get(a, day(e)) for a in attempt.assessors)


def _interview(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.interview_held = True
    attempt.interview_at, attempt.interview_on = timestamp(e), day(e)


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
        "on": day(e),
        "coach_id": s.coach_id,
        "program_version": int(e.program_version),
        "interview_held": attempt.interview_held,
    }
    attempt.committee = None


def _vote(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.votes[e.actor.person_id] = _value(e.vote)
    attempt.vote_log.append(
        [e.actor.person_id, _value(e.vote), attempt.round, timestamp(e), day(e)]
    )


def _committee_answer(attempt: AttemptState, outcome: Decision, e: Any) -> dict[str, Any]:
    tally = list(attempt.votes.values())
    answer = {
        "outcome": outcome.value,
        "ratify": tally.count("ratify"),
        "refer_back": tally.count("refer_back"),
        "at": timestamp(e),
        "on": day(e),
        "round": attempt.round,
    }
    conclusion = attempt.conclusion or {}
    attempt.answers.append(
        {
            **answer,
            "passed": conclusion.get("passed"),
            "concluded_at": conclusion.get("at"),
            "concluded_on": conclusion.get("on"),
        }
    )
    return answer


def _ratified(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.decision = Decision.RATIFIED.value
    attempt.committee = _committee_answer(attempt, Decision.RATIFIED, e)
    if e.passed:
        s.closed = True


def _referred_back(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    attempt = _attempt(s, e)
    attempt.committee = _committee_answer(attempt, Decision.REFERRED_BACK, e)
    attempt.round += 1
    attempt.votes = {}
    attempt.passed = None
    attempt.concluded_levels = None
    attempt.final_levels = None


def _development_plan(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    _attempt(s, e).development_plan = True


def _correction(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    s.corrections += 1
    role = _value(e.actor.role)
    s.correction_log.append(
        [
            int(e.corrects_version),
            sealed.reference(e.reason),
            e.actor.person_id,
            role,
            timestamp(e),
            day(e),
        ]
    )


def _follow_up(s: TrajectoryState, e: Any, d: ProgramDefinition) -> None:
    _attempt(s, e).follow_ups.append(
        [e.item, sealed.reference(e.action), e.actor.person_id, timestamp(e), day(e)]
    )


T = Trajectory
HANDLERS: dict[type[Any], Callable[[TrajectoryState, Any, ProgramDefinition], None]] = {
    T.CoachReassigned: _coach,
    T.MentorReassigned: _mentor,
    T.BaselineMeasured: _baseline,
    T.EvidenceSubmitted: _evidence,
    T.EvidenceWithdrawn: _withdrawn,
    T.FeedbackGiven: _feedback,
    T.ProgressChecked: _progress_checked,
    T.MediumStakeHeld: _medium_stake,
    T.GreenLightGiven: _green_light_given,
    T.GreenLightWithheld: _green_light_withheld,
    T.EarlyHighStakeRequested: _early(EarlyRoute.REQUESTED),
    T.EarlyHighStakeGranted: _early(EarlyRoute.GRANTED),
    T.EarlyHighStakeRefused: _early(EarlyRoute.REFUSED),
    T.HighStakeRequested: _high_stake_requested,
    T.AssessorsAssigned: _assessors,
    T.JudgmentSubmitted: _judgment,
    T.CriterionInterviewHeld: _interview,
    T.FinalLevelsAgreed: _final_levels,
    T.AssessmentConcluded: _concluded,
    T.CommitteeVoteCast: _vote,
    T.DecisionRatified: _ratified,
    T.DecisionReferredBack: _referred_back,
    T.DevelopmentPlanRecorded: _development_plan,
    T.CorrectionRecorded: _correction,
    T.BorgingFollowUpRecorded: _follow_up,
}
# Events that change nothing the read models hold (Started opens the state, see `start`).
UNPROJECTED: frozenset[type[Any]] = frozenset(
    {T.Started, T.FeedbackRequested, T.ExhibitionPublished}
)
# Every event of the aggregate is either folded or knowingly left out: tests hold this, and a
# new event without a decision here fails them, naming it.
TRAJECTORY_EVENTS = event_classes(Trajectory)
