"""Pure rule functions shared by the write side and the read models.

Nothing here touches storage or aggregates: each function takes plain values, so that a
projection can answer "what is still missing" with exactly the logic the aggregate enforces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from domain.program import ProgramDefinition, Rubric
from domain.values import Phase


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
    counts = {code: 0 for code in definition.outcome_codes}
    for outcomes in evidence_outcomes:
        for code in set(outcomes):
            if code in counts:
                counts[code] += 1
    minimum = definition.settings.min_evidence_per_outcome
    return {code: minimum - n for code, n in counts.items() if n < minimum}


@dataclass(frozen=True)
class JudgmentSummary:
    verdict: str
    levels: Mapping[str, str]


def interview_reasons(
    judgments: Sequence[JudgmentSummary], definition: ProgramDefinition
) -> list[str]:
    """R12: why a criterion interview (CGI) is needed; empty when it is not."""
    reasons = []
    if any(j.verdict == "doubt" for j in judgments):
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


def quorum_decision(ratify: int, refer_back: int, quorum: int) -> str | None:
    """R14: once the quorum has voted, a strict majority decides; a tie waits for more votes."""
    if ratify + refer_back < quorum or ratify == refer_back:
        return None
    return "ratified" if ratify > refer_back else "referred_back"


@dataclass(frozen=True)
class ProgressFacts:
    """The facts "what is missing before the next step" depends on, as plain values."""

    closed: bool = False
    evidence_per_outcome: Mapping[str, int] = field(default_factory=dict)
    medium_stakes_held: int = 0
    latest_levels: Mapping[str, str] = field(default_factory=dict)
    green_light: str | None = None  # "given" | "withheld"
    early_route: str | None = None  # "requested" | "granted" | "refused"
    attempt_open: bool = False
    assessors_assigned: int = 0
    judgments_submitted: int = 0
    interview_needed: bool = False
    interview_held: bool = False
    final_levels_needed: bool = False
    final_levels_agreed: bool = False
    concluded: bool = False
    votes_cast: int = 0
    last_result: str | None = None  # "passed" | "failed", once ratified
    development_plan_recorded: bool = False


@dataclass(frozen=True)
class NextStep:
    step: str
    missing: tuple[str, ...]


def next_step(facts: ProgressFacts, definition: ProgramDefinition) -> NextStep:
    """The next step on the trajectory and, in words a coach understands, what blocks it."""
    settings = definition.settings
    if facts.closed:
        return NextStep("closed", ())
    if facts.last_result == "failed" and not facts.attempt_open:
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
    if facts.green_light == "given" or facts.early_route == "granted":
        return _request_step(facts, definition, resit=False)
    if facts.early_route == "requested":
        return NextStep("early_route_decision", ("R8: the coach has not yet decided the request",))
    if facts.medium_stakes_held == 1:
        return NextStep(
            f"medium_stake_2 ({settings.medium_stake_moments[1]}%)",
            ("R7: a green light is given only after the second medium-stake",),
        )
    if facts.green_light == "withheld":
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
