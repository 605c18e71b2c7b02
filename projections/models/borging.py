"""Read model 4: borging, a checklist per concluded high-stake and the exceptions to follow up.

Each item is true or false and carries the evidence it was decided on (in `evidence`, a JSON
object per item). The rules themselves come from `domain.rules`; the facts are those of the
moment that matters: portfolio, feedback and green light as they stood at the request, the
assessors and coach at the conclusion, the votes at the committee's decision.

The quorum item is false while the committee has not decided; it becomes an exception only when
a decision was recorded without a quorum. Every other false item is an exception at once.

Two kinds of item: those the domain's rules guarantee (`GUARANTEED`: the domain refuses every
command that would make them false, so an exception there means the log holds what the rules
forbid, and is cause for alarm), and quality indicators the rules allow to be false (`FOLLOW_UP`:
too little variety or too few feedback givers, a referral back, a withdrawn portfolio item, a
correction of the attempt): those are the exceptions a quality officer follows up.
"""

from __future__ import annotations

from typing import Any

from domain import rules
from domain.program import ProgramDefinition
from domain.values import Decision
from projections import codec
from projections.engine import ReadModel, Row, Rows
from projections.schema import Column, Table
from projections.state import AttemptState, TrajectoryState

MIN_EVIDENCE_KINDS = 2
MIN_FEEDBACK_GIVERS = 2

ITEMS: dict[str, str] = {
    "min_assessors": "at least the program's minimum number of distinct assessors, none of them "
    "the student (R10)",
    "independence": "at least one assessor is not the student's coach when the assessors are "
    "assigned (R10)",
    "min_evidence": "the portfolio holds the minimum number of evidence items per outcome (R9)",
    "evidence_variety": f"the portfolio holds at least {MIN_EVIDENCE_KINDS} kinds of evidence",
    "feedback_givers": f"every outcome had feedback from at least {MIN_FEEDBACK_GIVERS} different "
    "people (the student's self-reflection counts as one) before the request",
    "green_light_before_request": "the coach's green light (or a granted early route) preceded "
    "the request (R7, R8, R9)",
    "ai_use_explained": "if any portfolio item declares AI or external use, the reading guide "
    "explains it (R9)",
    "no_compensation": "passed if and only if every concluded level reaches the pass level (R13)",
    "quorum": "the committee decided with a quorum of votes and a majority (R14)",
    "no_referral": "the committee decided without referring the assessment back to the "
    "assessors (R14)",
    "portfolio_intact": "no evidence item of the portfolio was withdrawn after the request (R2)",
    "uncorrected": "no event of the attempt (from its request to the next attempt's) was "
    "corrected, by its author or by the committee on appeal (R2, R16)",
}
# Items the domain's rules make true for every attempt (see the module's documentation).
GUARANTEED = frozenset(
    {
        "min_assessors",
        "independence",
        "min_evidence",
        "green_light_before_request",
        "ai_use_explained",
        "no_compensation",
        "quorum",
    }
)
FOLLOW_UP = tuple(item for item in ITEMS if item not in GUARANTEED)

CHECKS = Table(
    "borging_checks",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int", doc="the high-stake attempt number"),
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("student_id", "text"),
        Column("round", "int", doc="assessment round (a referral back starts a new one)"),
        Column("requested_at", "time"),
        Column("requested_on", "date"),
        Column("concluded_at", "time"),
        Column("concluded_on", "date"),
        Column("passed", "bool", doc="the concluded result"),
        Column("decision", "text", doc="pending, ratified or referred_back"),
        Column("decided_at", "time"),
        Column("decided_on", "date"),
        *(Column(item, "bool", doc=text) for item, text in ITEMS.items()),
        Column("all_ok", "bool", doc="every item is true"),
        Column("exceptions", "int", doc="number of rows in borging_exceptions"),
        Column("evidence", "json", doc="per item, the facts it was decided on"),
    ),
    key=("trajectory_id", "attempt"),
    indexes=(("program_id", "concluded_at"), ("concluded_at",), ("program_id", "concluded_on")),
    doc="one row per concluded high-stake attempt",
)

EXCEPTIONS = Table(
    "borging_exceptions",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int"),
        Column("item", "text", doc="the checklist item that is false"),
        Column("detail", "text", doc="what was found, in words"),
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("student_id", "text"),
        Column("concluded_at", "time"),
        Column("concluded_on", "date"),
        Column("decision", "text"),
    ),
    key=("trajectory_id", "attempt", "item"),
    indexes=(("program_id", "concluded_at"), ("concluded_at",), ("program_id", "concluded_on")),
    doc="one row per false checklist item, to follow up",
)


def checklist(
    state: TrajectoryState, attempt: AttemptState, definition: ProgramDefinition
) -> dict[str, tuple[bool, dict[str, Any], str]]:
    """Per item: whether it holds, its evidence and, when it does not, what was found."""
    conclusion = attempt.conclusion
    assert conclusion is not None
    settings = definition.settings
    found: dict[str, tuple[bool, dict[str, Any], str]] = {}

    # R10 as the domain checks it, with the coach at the moment the assessors were assigned.
    assessors = attempt.assessors
    coach = attempt.assigned_coach or ""
    problems = rules.assessor_panel_problems(assessors, state.student_id, coach, settings)
    panel = [p.message for p in problems if p.check in ("distinct", "minimum", "student")]
    found["min_assessors"] = (
        not panel,
        {"assessors": list(assessors), "required": settings.min_assessors},
        "; ".join(panel),
    )
    independence = [p.message for p in problems if p.check == "independence"]
    found["independence"] = (
        not independence,
        {"coach_id": coach, "assessors": list(assessors), "policy": settings.assessor_independence},
        f"every assessor is the coach {coach}",
    )

    portfolio = [state.evidence[e] for e in attempt.portfolio if e in state.evidence]
    shortfall = rules.portfolio_shortfall((item[0] for item in portfolio), definition)
    per_outcome = {
        code: sum(1 for item in portfolio if code in item[0]) for code in definition.outcome_codes
    }
    found["min_evidence"] = (
        not shortfall,
        {"per_outcome": per_outcome, "required": settings.min_evidence_per_outcome},
        "too little evidence for " + ", ".join(f"{c} ({n} short)" for c, n in shortfall.items()),
    )

    kinds = sorted({item[1] for item in portfolio})
    found["evidence_variety"] = (
        len(kinds) >= MIN_EVIDENCE_KINDS,
        {"kinds": kinds, "required": MIN_EVIDENCE_KINDS},
        f"only {len(kinds)} kind(s) of evidence: {', '.join(kinds) or 'none'}",
    )

    givers = attempt.givers_at_request
    few = [code for code in definition.outcome_codes if givers.get(code, 0) < MIN_FEEDBACK_GIVERS]
    found["feedback_givers"] = (
        not few,
        {"per_outcome": dict(givers), "required": MIN_FEEDBACK_GIVERS},
        "feedback from fewer than two people on " + ", ".join(few),
    )

    found["green_light_before_request"] = (
        attempt.route_at_request is not None,
        {"route": attempt.route_at_request, "requested_at": attempt.requested_at},
        "no green light or granted early route before the request",
    )

    declared = [e for e in attempt.portfolio if e in state.evidence and state.evidence[e][2]]
    unexplained = rules.unexplained_ai_use(declared, attempt.ai_explanation)
    found["ai_use_explained"] = (
        not unexplained,
        {"declared": declared, "explained": attempt.ai_explanation},
        "the reading guide does not explain AI or external use in " + ", ".join(declared),
    )

    evaluation = rules.evaluate_pass(conclusion["levels"], definition)
    found["no_compensation"] = (
        evaluation.passed == conclusion["passed"],
        {
            "levels": dict(conclusion["levels"]),
            "below_pass_level": list(evaluation.below_pass_level),
            "passed": conclusion["passed"],
        },
        "the recorded result does not follow from the levels "
        f"(below the pass level: {', '.join(evaluation.below_pass_level) or 'none'})",
    )

    committee = attempt.committee
    quorum = settings.committee_quorum
    if committee is None:
        found["quorum"] = (
            False,
            {"status": "pending", "votes": len(attempt.votes), "quorum": quorum},
            f"awaiting the committee: {len(attempt.votes)} of {quorum} votes",
        )
    else:
        ratify, refer = committee["ratify"], committee["refer_back"]
        ok = ratify + refer >= quorum and rules.quorum_decision(ratify, refer, quorum) == Decision(
            committee["outcome"]
        )
        found["quorum"] = (
            ok,
            {
                "status": committee["outcome"],
                "ratify": ratify,
                "refer_back": refer,
                "quorum": quorum,
            },
            f"{committee['outcome']} with {ratify} ratify and {refer} refer-back votes "
            f"(quorum {quorum})",
        )

    referrals = attempt.referrals
    found["no_referral"] = (
        not referrals,
        {"referrals": [dict(r) for r in referrals]},
        "; ".join(
            f"referred back in round {r['round']} on {r['on']} ({r['ratify']} ratify, "
            f"{r['refer_back']} refer back)"
            for r in referrals
        ),
    )
    withdrawn = attempt.withdrawn_after
    found["portfolio_intact"] = (
        not withdrawn,
        {"withdrawn": list(withdrawn)},
        "withdrawn after the request: " + ", ".join(withdrawn),
    )
    corrected = state.corrections_of(attempt)
    found["uncorrected"] = (
        not corrected,
        {
            "corrections": [
                {"corrects_version": v, "by": by, "role": role} for v, by, role in corrected
            ]
        },
        "; ".join(f"version {v} corrected by {by} ({role})" for v, by, role in corrected),
    )
    return found


class Borging(ReadModel):
    name = "borging"
    tables = (CHECKS, EXCEPTIONS)

    def rows(self, state: TrajectoryState, definition: ProgramDefinition) -> Rows:
        checks: list[Row] = []
        exceptions: list[Row] = []
        for attempt in state.attempts:
            conclusion = attempt.conclusion
            if conclusion is None:
                continue
            items = checklist(state, attempt, definition)
            committee = attempt.committee
            decision = committee["outcome"] if committee else "pending"
            failed = [
                (item, detail)
                for item, (ok, _evidence, detail) in items.items()
                if not ok and not (item == "quorum" and decision == "pending")
            ]
            for item, detail in failed:
                exceptions.append(
                    (
                        state.trajectory_id,
                        attempt.number,
                        item,
                        detail,
                        state.program_id,
                        state.program_version,
                        state.cohort,
                        state.student_id,
                        conclusion["at"],
                        conclusion["on"],
                        decision,
                    )
                )
            checks.append(
                (
                    state.trajectory_id,
                    attempt.number,
                    state.program_id,
                    state.program_version,
                    state.cohort,
                    state.student_id,
                    conclusion["round"],
                    attempt.requested_at,
                    attempt.requested_on,
                    conclusion["at"],
                    conclusion["on"],
                    conclusion["passed"],
                    decision,
                    committee["at"] if committee else None,
                    committee["on"] if committee else None,
                    *(bool(items[item][0]) for item in ITEMS),
                    all(ok for ok, _e, _d in items.values()),
                    len(failed),
                    codec.dumps({item: evidence for item, (_ok, evidence, _d) in items.items()}),
                )
            )
        return {CHECKS.name: checks, EXCEPTIONS.name: exceptions}
