"""Pure rule functions shared by the write side and the read models.

Nothing here touches storage or aggregates: each function takes plain values, so that a
projection can answer "what is still missing" with exactly the logic the aggregate enforces.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.program import ProgramDefinition, Rubric
from domain.program import Settings as ProgramSettings
from domain.values import Decision, EarlyRoute, GreenLight, Phase, Result, Verdict


def phase(
    *,
    closed: bool,
    attempt_open: bool,
    last_attempt_failed: bool,
    medium_stakes_held: int,
    any_activity: bool,
) -> Phase:
    """Where a trajectory stands, derived from facts; the aggregate and read models share it."""
    if closed:
        return Phase.CLOSED
    if attempt_open:
        return Phase.HIGH_STAKE
    if last_attempt_failed:
        return Phase.RESIT
    if medium_stakes_held:
        return Phase.MEDIUM_STAKES
    if any_activity:
        return Phase.LOW_STAKES
    return Phase.ORIENTATION


def at_least(rubric: Rubric, level: str, threshold: str) -> bool:
    return rubric.rank(level) >= rubric.rank(threshold)


@dataclass(frozen=True)
class EarlyRouteAssessment:
    eligible: bool
    outcomes_at_level: int
    outcomes_total: int
    needed: int


def early_route(
    latest_levels: Mapping[str, str], definition: ProgramDefinition
) -> EarlyRouteAssessment:
    """R8: strictly more than the program's fraction of outcomes at least the early level."""
    rubric, total = definition.rubric, len(definition.outcomes)
    reached = sum(
        1
        for code in definition.outcome_codes
        if code in latest_levels and at_least(rubric, latest_levels[code], rubric.early_level)
    )
    needed = int(total * definition.settings.early_fraction) + 1
    return EarlyRouteAssessment(
        reached > total * definition.settings.early_fraction, reached, total, needed
    )


@dataclass(frozen=True)
class PassEvaluation:
    passed: bool
    below_pass_level: tuple[str, ...]


def evaluate_pass(final_levels: Mapping[str, str], definition: ProgramDefinition) -> PassEvaluation:
    """R13: passed iff every outcome reaches the pass level; no outcome compensates another."""
    rubric = definition.rubric
    below = tuple(
        code
        for code in definition.outcome_codes
        if code not in final_levels or not at_least(rubric, final_levels[code], rubric.pass_level)
    )
    return PassEvaluation(not below, below)


def portfolio_shortfall(
    evidence_outcomes: Iterable[Sequence[str]], definition: ProgramDefinition
) -> dict[str, int]:
    """R9: per outcome, how many evidence items are still missing from the portfolio."""
    counts = evidence_per_outcome(evidence_outcomes, definition)
    minimum = definition.settings.min_evidence_per_outcome
    return {code: minimum - n for code, n in counts.items() if n < minimum}


@dataclass(frozen=True)
class JudgmentSummary:
    verdict: Verdict
    levels: Mapping[str, str]


@dataclass(frozen=True)
class AttemptFacts:
    """The facts of a high-stake attempt that the assessment rules depend on."""

    assessors: Sequence[str]
    judgments: Mapping[str, JudgmentSummary]  # by assessor
    interview_held: bool = False
    final_levels: Mapping[str, str] | None = None
    passed: bool | None = None
    votes_cast: int = 0
    decision: Decision | None = None
    development_plan: bool = False

    @property
    def all_judged(self) -> bool:
        return bool(self.assessors) and set(self.judgments) >= set(self.assessors)

    @property
    def open(self) -> bool:
        return self.decision is None


def interview_reasons(attempt: AttemptFacts, definition: ProgramDefinition) -> list[str]:
    """R12: why a criterion interview (CGI) is needed; empty when it is not (yet)."""
    if not attempt.all_judged:
        return []
    judgments = list(attempt.judgments.values())
    reasons = []
    if any(j.verdict is Verdict.DOUBT for j in judgments):
        reasons.append("an assessor's verdict is doubt")
    rubric = definition.rubric
    for code in definition.outcome_codes:
        verdicts = {
            at_least(rubric, j.levels[code], rubric.pass_level)
            for j in judgments
            if code in j.levels
        }
        if len(verdicts) > 1:
            reasons.append(f"assessors disagree whether {code} reaches {rubric.pass_level}")
    return reasons


def levels_identical(judgments: Sequence[JudgmentSummary], definition: ProgramDefinition) -> bool:
    return all(
        len({j.levels.get(code) for j in judgments}) == 1 for code in definition.outcome_codes
    )


def final_levels_needed(attempt: AttemptFacts, definition: ProgramDefinition) -> bool:
    """R12: the assessors must agree final levels after a CGI, or when their levels differ."""
    if not attempt.all_judged:
        return True
    return bool(interview_reasons(attempt, definition)) or not levels_identical(
        list(attempt.judgments.values()), definition
    )


def levels_for_conclusion(
    attempt: AttemptFacts, definition: ProgramDefinition
) -> dict[str, str] | None:
    """R13: the levels a conclusion uses: the agreed ones, or the judgments' when identical."""
    if attempt.final_levels is not None:
        return dict(attempt.final_levels)
    if attempt.all_judged and not final_levels_needed(attempt, definition):
        return dict(next(iter(attempt.judgments.values())).levels)
    return None


def quorum_decision(ratify: int, refer_back: int, quorum: int) -> Decision | None:
    """R14: once the quorum has voted, a strict majority decides; a tie waits for more votes."""
    if ratify + refer_back < quorum or ratify == refer_back:
        return None
    return Decision.RATIFIED if ratify > refer_back else Decision.REFERRED_BACK


@dataclass(frozen=True)
class PanelProblem:
    """Why a set of assessors does not meet R10; `check` names what failed."""

    check: str  # "distinct", "minimum", "student", "registered" or "independence"
    message: str


def assessor_panel_problems(
    assessor_ids: Sequence[str],
    student_id: str,
    coach_id: str,
    settings: ProgramSettings,
    registered: Collection[str] | None = None,
) -> list[PanelProblem]:
    """R10, in the order the rule reads: distinct, enough, not the student, registered, and at
    least one of them not the student's coach (when the program's policy asks for it)."""
    problems = []
    if len(set(assessor_ids)) != len(assessor_ids):
        problems.append(PanelProblem("distinct", "assessors must be distinct persons"))
    if len(set(assessor_ids)) < settings.min_assessors:
        problems.append(
            PanelProblem("minimum", f"at least {settings.min_assessors} assessors are required")
        )
    if student_id in assessor_ids:
        problems.append(PanelProblem("student", "the student cannot assess their own high-stake"))
    if registered is not None:
        unregistered = [a for a in assessor_ids if a not in registered]
        if unregistered:
            problems.append(
                PanelProblem(
                    "registered", f"not registered as assessor for this program: {unregistered}"
                )
            )
    if settings.assessor_independence and not any(a != coach_id for a in assessor_ids):
        problems.append(
            PanelProblem("independence", "at least one assessor must not be the student's coach")
        )
    return problems


def unexplained_ai_use(declared: Sequence[str], explained: bool) -> list[str]:
    """R9: the portfolio items that declare AI or external use, if the reading guide does not
    explain it; empty when there is nothing to explain or it is explained."""
    return list(declared) if declared and not explained else []


def evidence_per_outcome(
    evidence_outcomes: Iterable[Sequence[str]], definition: ProgramDefinition
) -> dict[str, int]:
    """Per outcome of the program version, how many (active) evidence items show it."""
    counts = {code: 0 for code in definition.outcome_codes}
    for outcomes in evidence_outcomes:
        for code in set(outcomes):
            if code in counts:
                counts[code] += 1
    return counts


@dataclass(frozen=True)
class ProgressFacts:
    """The facts "what is missing before the next step" depends on, as plain values."""

    closed: bool = False
    evidence_per_outcome: Mapping[str, int] = field(default_factory=dict)
    medium_stakes_held: int = 0
    latest_levels: Mapping[str, str] = field(default_factory=dict)
    green_light: GreenLight | None = None
    early_route: EarlyRoute | None = None
    attempt_open: bool = False
    assessors_assigned: int = 0
    judgments_submitted: int = 0
    interview_needed: bool = False
    interview_held: bool = False
    final_levels_needed: bool = False
    final_levels_agreed: bool = False
    concluded: bool = False
    votes_cast: int = 0
    last_result: Result | None = None  # once ratified
    development_plan_recorded: bool = False


def progress_facts(
    *,
    closed: bool,
    evidence_outcomes: Iterable[Sequence[str]],
    medium_stakes_held: int,
    latest_levels: Mapping[str, str],
    green_light: GreenLight | None,
    early_route: EarlyRoute | None,
    attempt: AttemptFacts | None,
    definition: ProgramDefinition,
) -> ProgressFacts:
    """The one builder of `ProgressFacts`: the aggregate and the read models both call it."""
    last_result = None
    if attempt is not None and attempt.decision is Decision.RATIFIED:
        last_result = Result.PASSED if attempt.passed else Result.FAILED
    live = attempt if attempt is not None and attempt.open else None
    return ProgressFacts(
        closed=closed,
        evidence_per_outcome=evidence_per_outcome(evidence_outcomes, definition),
        medium_stakes_held=medium_stakes_held,
        latest_levels=dict(latest_levels),
        green_light=green_light,
        early_route=early_route,
        attempt_open=live is not None,
        assessors_assigned=len(live.assessors) if live else 0,
        judgments_submitted=len(live.judgments) if live else 0,
        interview_needed=bool(live and interview_reasons(live, definition)),
        interview_held=bool(live and live.interview_held),
        final_levels_needed=bool(live and final_levels_needed(live, definition)),
        final_levels_agreed=bool(live and live.final_levels is not None),
        concluded=bool(live and live.passed is not None),
        votes_cast=live.votes_cast if live else 0,
        last_result=last_result,
        development_plan_recorded=bool(attempt and attempt.development_plan),
    )


@dataclass(frozen=True)
class NextStep:
    step: str
    missing: tuple[str, ...]


def next_step(facts: ProgressFacts, definition: ProgramDefinition) -> NextStep:
    """The next step on the trajectory and, in words a coach understands, what blocks it."""
    settings = definition.settings
    if facts.closed:
        return NextStep("closed", ())
    if facts.last_result is Result.FAILED and not facts.attempt_open:
        if not facts.development_plan_recorded:
            return NextStep("development_plan", ("R15: record a development plan before a resit",))
        return _request_step(facts, definition, resit=True)
    if facts.attempt_open:
        return _assessment_step(facts, definition)
    if facts.medium_stakes_held == 0:
        missing = tuple(
            f"R6: no evidence yet for {code}"
            for code in definition.outcome_codes
            if facts.evidence_per_outcome.get(code, 0) == 0
        )
        return NextStep(f"medium_stake_1 ({settings.medium_stake_moments[0]}%)", missing)
    if facts.green_light is GreenLight.GIVEN or facts.early_route is EarlyRoute.GRANTED:
        return _request_step(facts, definition, resit=False)
    if facts.early_route is EarlyRoute.REQUESTED:
        return NextStep("early_route_decision", ("R8: the coach has not yet decided the request",))
    if facts.medium_stakes_held == 1:
        return NextStep(
            f"medium_stake_2 ({settings.medium_stake_moments[1]}%)",
            ("R7: a green light is given only after the second medium-stake",),
        )
    if facts.green_light is GreenLight.WITHHELD:
        return NextStep("green_light", ("R7: the coach advised to gather more evidence",))
    return NextStep("green_light", ("R7: the coach has not yet given the green light",))


def _request_step(facts: ProgressFacts, definition: ProgramDefinition, resit: bool) -> NextStep:
    minimum = definition.settings.min_evidence_per_outcome
    missing = tuple(
        f"R9: {code} has {facts.evidence_per_outcome.get(code, 0)} of {minimum} evidence items"
        for code in definition.outcome_codes
        if facts.evidence_per_outcome.get(code, 0) < minimum
    )
    return NextStep("high_stake_resit" if resit else "high_stake_request", missing)


def _assessment_step(facts: ProgressFacts, definition: ProgramDefinition) -> NextStep:
    settings = definition.settings
    if facts.assessors_assigned < settings.min_assessors:
        return NextStep(
            "assign_assessors", (f"R10: {settings.min_assessors} assessors must be assigned",)
        )
    if facts.judgments_submitted < facts.assessors_assigned:
        waiting = facts.assessors_assigned - facts.judgments_submitted
        return NextStep("judgments", (f"R11: {waiting} assessor judgment(s) outstanding",))
    if facts.interview_needed and not facts.interview_held:
        return NextStep("criterion_interview", ("R12: doubt or disagreement requires a CGI",))
    if facts.final_levels_needed and not facts.final_levels_agreed:
        return NextStep("final_levels", ("R12: the assessors must agree the final levels",))
    if not facts.concluded:
        return NextStep("conclusion", ())
    return NextStep(
        "committee_decision",
        (f"R14: {facts.votes_cast} of {settings.committee_quorum} committee votes cast",),
    )
