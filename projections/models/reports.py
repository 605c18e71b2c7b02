"""Read model 5: dated facts for the committee's reports (the annual report, projections/reports).

The other read models say where things stand; a report over a period needs when each thing
happened: every committee decision (a referral included, which a later ratification replaces
in the borging checklist), every vote, every early-route request and decision, every correction
and every borging follow-up, and per high-stake attempt the moment its independent judgments
were complete, with what they show (doubt, pass/fail disagreement, who assessed, the agreement
of each pair of assessors). One row per fact, with the time it was recorded (`*_at`) and the
day it took place (`*_on`: the day the command said, `occurred_on`, or else the day it was
recorded, in Europe/Amsterdam), so that a period is a range of days on an indexed column: a
committee vote recorded in January for a meeting in December counts in December.

Interview reasons and agreement come from the same rules as the assessment itself
(`domain.rules.interview_reasons`, the rubric's ranks): nothing here decides a rule.
"""

from __future__ import annotations

from itertools import combinations

from domain import rules
from domain.program import ProgramDefinition
from domain.values import Verdict
from projections import codec, sealed
from projections.engine import ReadModel, Row, Rows
from projections.schema import Column, Table
from projections.state import TrajectoryState

DECISIONS = Table(
    "report_decisions",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int"),
        Column("round", "int", doc="assessment round the decision is on (a referral ends one)"),
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("student_id", "text"),
        Column("decision", "text", doc="ratified or referred_back"),
        Column("passed", "bool", doc="the concluded result the committee decided on"),
        Column("early", "bool", doc="the attempt was requested on the early route (R8)"),
        Column("requested_at", "time", doc="time the high-stake request was recorded"),
        Column("requested_on", "date", doc="day the portfolio was handed in"),
        Column("concluded_at", "time", doc="time the conclusion decided on was recorded"),
        Column("concluded_on", "date", doc="day of the conclusion the committee decided on"),
        Column("decided_at", "time", doc="time the committee's decision was recorded"),
        Column("decided_on", "date", doc="day the committee decided (its deciding vote's day)"),
        Column("ratify_votes", "int", doc="votes to ratify in this round"),
        Column("refer_back_votes", "int", doc="votes to refer back in this round"),
    ),
    key=("trajectory_id", "attempt", "round"),
    indexes=(("decided_on",),),
    doc="one row per committee decision (ratification or referral back)",
)

ASSESSMENTS = Table(
    "report_assessments",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int"),
        Column("program_id", "uuid"),
        Column("program_version", "int"),
        Column("cohort", "text"),
        Column("student_id", "text"),
        Column("judged_at", "time", doc="time the last assigned assessor's judgment was recorded"),
        Column(
            "judged_on",
            "date",
            doc="day the judgments were complete: the latest day an assigned assessor judged",
        ),
        Column("assessors", "json", doc="the assigned assessors"),
        Column("coach_id", "text", doc="the coach when the assessors were assigned"),
        Column("coach_assessor", "bool", doc="the coach is one of the assessors"),
        Column("independent", "bool", doc="at least one assessor is not the coach (R10)"),
        Column("doubt", "bool", doc="an assessor's verdict was doubt (R12)"),
        Column(
            "disagreement",
            "bool",
            doc="the assessors disagreed whether an outcome reaches the pass level (R12)",
        ),
        Column("interview_needed", "bool", doc="doubt or disagreement required a CGI (R12)"),
        Column("interview_held", "bool", doc="a CGI was held"),
        Column("interview_at", "time", doc="time the CGI was recorded, if held"),
        Column("interview_on", "date", doc="day the CGI was held, if held"),
    ),
    key=("trajectory_id", "attempt"),
    indexes=(("judged_on",),),
    doc="one row per high-stake attempt judged by all its assessors",
)

AGREEMENT = Table(
    "report_agreement",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int"),
        Column("program_id", "uuid"),
        Column("assessor_a", "text", doc="the pair's first assessor (alphabetically)"),
        Column("assessor_b", "text", doc="the pair's second assessor"),
        Column("level_a", "int", doc="rank of assessor_a's level (0 = lowest rubric level)"),
        Column("level_b", "int", doc="rank of assessor_b's level on the same outcome"),
        Column("n", "int", doc="outcomes on which the pair gave these two levels"),
        Column("judged_at", "time", doc="time the last assigned assessor's judgment was recorded"),
        Column("judged_on", "date", doc="day the judgments were complete"),
    ),
    key=("trajectory_id", "attempt", "assessor_a", "assessor_b", "level_a", "level_b"),
    indexes=(("judged_on",),),
    doc="per attempt and pair of its assessors, their independent levels side by side (R11)",
)

VOTES = Table(
    "report_votes",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int"),
        Column("round", "int"),
        Column("member_id", "text", doc="the committee member who voted"),
        Column("program_id", "uuid"),
        Column("cohort", "text"),
        Column("vote", "text", doc="ratify or refer_back"),
        Column("voted_at", "time", doc="time the vote was recorded"),
        Column("voted_on", "date", doc="day the vote was cast (the committee's meeting)"),
    ),
    key=("trajectory_id", "attempt", "round", "member_id"),
    indexes=(("voted_on",),),
    doc="one row per committee vote (R14)",
)

EARLY_ROUTE = Table(
    "report_early_route",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("seq", "int", doc="1 for the trajectory's first early-route event"),
        Column("program_id", "uuid"),
        Column("cohort", "text"),
        Column("step", "text", doc="requested, granted or refused (R8)"),
        Column("at", "time", doc="time the request or decision was recorded"),
        Column("occurred_on", "date", doc="day of the request or decision"),
    ),
    key=("trajectory_id", "seq"),
    indexes=(("occurred_on",),),
    doc="one row per early-route request and decision",
)

CORRECTIONS = Table(
    "report_corrections",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("seq", "int", doc="1 for the trajectory's first correction"),
        Column("program_id", "uuid"),
        Column("cohort", "text"),
        Column("corrects_version", "int", doc="version of the corrected event (R2)"),
        Column("committee", "bool", doc="recorded by the committee (an appeal's outcome, R16)"),
        Column("corrected_by", "text", doc="who recorded the correction"),
        Column("reason", "sealed", doc="why the correction was made (sealed, opened when read)"),
        Column("at", "time", doc="time the correction was recorded"),
        Column("occurred_on", "date", doc="day the correction was made"),
    ),
    key=("trajectory_id", "seq"),
    indexes=(("occurred_on",),),
    doc="one row per correction",
)

FOLLOW_UPS = Table(
    "report_follow_ups",
    "rows",
    (
        Column("trajectory_id", "uuid"),
        Column("attempt", "int"),
        Column("seq", "int", doc="1 for the attempt's first follow-up"),
        Column("item", "text", doc="the borging checklist item followed up"),
        Column("program_id", "uuid"),
        Column("action", "sealed", doc="what was done about it (sealed, opened when read)"),
        Column("followed_up_by", "text", doc="the committee member who recorded it"),
        Column("at", "time", doc="time the follow-up was recorded"),
        Column("occurred_on", "date", doc="day the exception was followed up"),
    ),
    key=("trajectory_id", "attempt", "seq"),
    doc="one row per recorded follow-up of a borging exception",
)


def pair_cells(
    judgments: dict[str, list[object]], definition: ProgramDefinition
) -> dict[tuple[str, str, int, int], int]:
    """Per pair of assessors (sorted) and pair of level ranks, on how many outcomes they met."""
    rubric = definition.rubric
    cells: dict[tuple[str, str, int, int], int] = {}
    for a, b in combinations(sorted(judgments), 2):
        levels_a, levels_b = judgments[a][1], judgments[b][1]
        assert isinstance(levels_a, dict) and isinstance(levels_b, dict)
        for code in definition.outcome_codes:
            if code not in levels_a or code not in levels_b:
                continue
            key = (a, b, rubric.rank(levels_a[code]), rubric.rank(levels_b[code]))
            cells[key] = cells.get(key, 0) + 1
    return cells


class Reports(ReadModel):
    name = "reports"
    tables = (DECISIONS, ASSESSMENTS, AGREEMENT, VOTES, EARLY_ROUTE, CORRECTIONS, FOLLOW_UPS)

    def rows(self, state: TrajectoryState, definition: ProgramDefinition) -> Rows:
        tid, pid, cohort = state.trajectory_id, state.program_id, state.cohort
        decisions: list[Row] = []
        assessments: list[Row] = []
        agreement: list[Row] = []
        votes: list[Row] = []
        follow_ups: list[Row] = []
        for attempt in state.attempts:
            for answer in attempt.answers:
                decisions.append(
                    (
                        tid,
                        attempt.number,
                        answer["round"],
                        pid,
                        state.program_version,
                        cohort,
                        state.student_id,
                        answer["outcome"],
                        answer["passed"],
                        attempt.early,
                        attempt.requested_at,
                        attempt.requested_on,
                        answer["concluded_at"],
                        answer["concluded_on"],
                        answer["at"],
                        answer["on"],
                        answer["ratify"],
                        answer["refer_back"],
                    )
                )
            for member, vote, round_, at, on in attempt.vote_log:
                votes.append((tid, attempt.number, round_, member, pid, cohort, vote, at, on))
            for seq, (item, action, by, at, on) in enumerate(attempt.follow_ups, start=1):
                follow_ups.append(
                    (tid, attempt.number, seq, item, pid, sealed.dumps(action), by, at, on)
                )
            judged_at, judged_on = attempt.judged_at, attempt.judged_on
            if judged_at is None:
                continue
            facts = attempt.facts()
            reasons = rules.interview_reasons(facts, definition)
            doubt = any(j.verdict is Verdict.DOUBT for j in facts.judgments.values())
            coach = attempt.assigned_coach or ""
            assessments.append(
                (
                    tid,
                    attempt.number,
                    pid,
                    state.program_version,
                    cohort,
                    state.student_id,
                    judged_at,
                    judged_on,
                    codec.dumps(list(attempt.assessors)),
                    coach,
                    coach in attempt.assessors,
                    any(a != coach for a in attempt.assessors),
                    doubt,
                    # Every reason but the doubt is a pass/fail disagreement on an outcome.
                    len(reasons) > int(doubt),
                    bool(reasons),
                    attempt.interview_held,
                    attempt.interview_at,
                    attempt.interview_on,
                )
            )
            for (a, b, rank_a, rank_b), n in pair_cells(attempt.judgments, definition).items():
                agreement.append(
                    (tid, attempt.number, pid, a, b, rank_a, rank_b, n, judged_at, judged_on)
                )
        early: list[Row] = [
            (tid, seq, pid, cohort, step, at, on)
            for seq, (step, at, on) in enumerate(state.early_log, start=1)
        ]
        corrections: list[Row] = [
            (tid, seq, pid, cohort, version, role == "committee", by, sealed.dumps(reason), at, on)
            for seq, (version, reason, by, role, at, on) in enumerate(state.correction_log, start=1)
        ]
        return {
            DECISIONS.name: decisions,
            ASSESSMENTS.name: assessments,
            AGREEMENT.name: agreement,
            VOTES.name: votes,
            EARLY_ROUTE.name: early,
            CORRECTIONS.name: corrections,
            FOLLOW_UPS.name: follow_ups,
        }
