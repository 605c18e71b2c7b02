"""The annual report, computed from the read models (and the programs' own events).

What counts in a period, by the day the fact itself took place (its `*_on` day: the day the
command said, `occurred_on`, or else the day it was recorded, in Europe/Amsterdam), never by the
moment it was recorded: a committee vote recorded in January for a meeting in December counts
in December.
- decisions: ratifications and referrals back decided in it (`report_decisions.decided_on`);
  early-route requests and decisions made in it;
- the assessment process: attempts whose independent judgments became complete in it (the
  moment doubt and disagreement, and so the need of a CGI, are known), with the agreement of
  their assessors;
- borging: the checklists of attempts concluded in it (`borging_checks.concluded_on`); an
  exception counts as followed up when a follow-up of it was recorded, at any time up to the
  report;
- corrections made in it; votes cast in it; the committee as registered on any day of it (from
  the days of the program's staff registrations and deregistrations);
- time to decision: for results ratified in it, from the high-stake request to the ratification
  (between the recorded moments when both took place on the day they were recorded, else whole
  days between the days they took place).

Counts are summed by the database (GROUP BY over indexed ranges of days); only what a figure
needs row by row (durations, exceptions) is read row by row.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from domain import moments
from domain.application import Bewijsketen
from domain.program import Program
from domain.values import StaffRole
from projections import codec, sealed
from projections.agreement import quadratic_weighted_kappa, rate
from projections.models import borging, reports
from projections.queries import Where
from projections.reports import figures as f
from projections.reports.period import Period
from projections.store import ReadStore

# The read models the report reads; it reflects the lowest of their positions.
MODELS = ("borging", "reports")
ITEMS = tuple(borging.ITEMS)
EARLY_STEPS = {
    "requested": "early_route_requested",
    "granted": "early_route_granted",
    "refused": "early_route_refused",
}


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _time(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day(value: Any) -> date:
    """A date column's value (a date on PostgreSQL, ISO text on SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _json(value: Any) -> Any:
    return codec.loads(value) if isinstance(value, str | bytes) else value


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile by the nearest-rank method: the smallest value with at least p% of
    the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def durations(seconds: Sequence[float]) -> tuple[float | None, float | None]:
    """(median, 90th percentile)."""
    if not seconds:
        return None, None
    return float(statistics.median(seconds)), nearest_rank(seconds, 90)


@dataclass
class Source:
    """Where the report reads: the read-model store, and the application for the programs."""

    store: ReadStore
    app: Bewijsketen

    def where(self, programs: Sequence[uuid.UUID], column: str = "program_id") -> Where:
        return Where(self.store).among(column, list(programs))

    def on_days(
        self, programs: Sequence[uuid.UUID], column: str, period: Period, prefix: str = ""
    ) -> Where:
        """The rows of these programs whose day `column` lies in the period's days."""
        where = Where(self.store).among(f"{prefix}program_id", list(programs))
        return where.add(f"{prefix}{column} >= ?", period.first_day).add(
            f"{prefix}{column} <= ?", period.last_day
        )

    def q(self, table: Any) -> str:
        return self.store.live.q(table.name)

    def rows(self, sql: str, where: Where) -> list[dict[str, Any]]:
        return self.store.query(sql.replace("{where}", where.sql()), where.params)

    def opened(self, text: Any) -> Any:
        """A sealed column's text, opened now (the placeholder once its key is shredded)."""
        return sealed.open_column(text, self.app.keys.lookup)


def _count(column: str) -> str:
    return f"SUM(CASE WHEN {column} THEN 1 ELSE 0 END) AS {column}"


def _decisions(
    src: Source, programs: Sequence[uuid.UUID], period: Period
) -> tuple[f.DecisionSection, dict[uuid.UUID, list[float]]]:
    """The decisions by program and cohort, and per program the seconds from request to
    ratification of each result ratified in the period."""
    cells: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(
        lambda: {k: 0 for k in f.DecisionFigures.model_fields}
    )
    where = src.on_days(programs, "decided_on", period)
    for row in src.rows(
        "SELECT program_id, cohort, decision, passed, "
        "CASE WHEN attempt > 1 THEN 1 ELSE 0 END AS resit, COUNT(*) AS n "
        f"FROM {src.q(reports.DECISIONS)}{{where}} "
        "GROUP BY program_id, cohort, decision, passed, CASE WHEN attempt > 1 THEN 1 ELSE 0 END",
        where,
    ):
        cell = cells[(_uuid(row["program_id"]), str(row["cohort"]))]
        n = int(row["n"])
        cell["decisions"] += n
        if row["decision"] == "referred_back":
            cell["referred_back"] += n
            continue
        cell["ratified"] += n
        outcome = "passed" if row["passed"] else "not_passed"
        cell[outcome] += n
        cell[f"{'resit' if row['resit'] else 'first_attempt'}_{outcome}"] += n
    where = src.on_days(programs, "occurred_on", period)
    for row in src.rows(
        f"SELECT program_id, cohort, step, COUNT(*) AS n FROM {src.q(reports.EARLY_ROUTE)}"
        "{where} GROUP BY program_id, cohort, step",
        where,
    ):
        cells[(_uuid(row["program_id"]), str(row["cohort"]))][EARLY_STEPS[row["step"]]] += int(
            row["n"]
        )

    by_cohort = [
        f.CohortDecisions(program_id=pid, cohort=cohort, **values)
        for (pid, cohort), values in sorted(cells.items(), key=lambda kv: (str(kv[0][0]), kv[0][1]))
    ]
    per_program: dict[uuid.UUID, dict[str, int]] = {
        pid: {k: 0 for k in f.DecisionFigures.model_fields} for pid in programs
    }
    totals = {k: 0 for k in f.DecisionFigures.model_fields}
    for (pid, _cohort), values in cells.items():
        for k, v in values.items():
            per_program[pid][k] += v
            totals[k] += v

    # Time from request to ratification, per program.
    where = src.on_days(programs, "decided_on", period).add("decision = ?", "ratified")
    seconds: dict[uuid.UUID, list[float]] = {pid: [] for pid in programs}
    for row in src.rows(
        "SELECT program_id, requested_at, requested_on, decided_at, decided_on "
        f"FROM {src.q(reports.DECISIONS)}{{where}}",
        where,
    ):
        taken = time_taken(
            (_time(row["requested_at"]), _day(row["requested_on"])),
            (_time(row["decided_at"]), _day(row["decided_on"])),
        )
        seconds[_uuid(row["program_id"])].append(taken)
    section = f.DecisionSection(
        totals=f.DecisionFigures(**totals),
        by_program=[f.ProgramDecisions(program_id=pid, **per_program[pid]) for pid in programs],
        by_cohort=by_cohort,
    )
    return section, seconds


def time_taken(first: tuple[datetime, date], then: tuple[datetime, date]) -> float:
    """Seconds from one fact to another, each given as (recorded at, took place on): between
    the recorded moments when both took place on the day they were recorded; else whole days
    between the days they took place (a day said afterwards has no time of day)."""
    (first_at, first_on), (then_at, then_on) = first, then
    if moments.day_of(first_at) == first_on and moments.day_of(then_at) == then_on:
        return (then_at - first_at).total_seconds()
    return float((then_on - first_on).days * 86_400)


def _time_section(
    programs: Sequence[uuid.UUID], seconds: dict[uuid.UUID, list[float]]
) -> f.TimeSection:
    every = [s for pid in programs for s in seconds[pid]]
    median, p90 = durations(every)
    by_program = []
    for pid in programs:
        m, p = durations(seconds[pid])
        by_program.append(
            f.ProgramDuration(
                program_id=pid, decisions=len(seconds[pid]), median_seconds=m, p90_seconds=p
            )
        )
    return f.TimeSection(
        overall=f.DurationFigures(decisions=len(every), median_seconds=median, p90_seconds=p90),
        by_program=by_program,
    )


def _agreement(cells: dict[tuple[int, int], int]) -> f.AgreementFigures:
    comparisons = sum(cells.values())
    exact = sum(n for (a, b), n in cells.items() if a == b)
    return f.AgreementFigures(
        comparisons=comparisons,
        exact=exact,
        exact_rate=rate(exact, comparisons),
        kappa_quadratic=quadratic_weighted_kappa(cells),
    )


def _assessment(src: Source, programs: Sequence[uuid.UUID], period: Period) -> f.AssessmentSection:
    where = src.on_days(programs, "judged_on", period)
    flags = ("interview_needed", "interview_held", "doubt", "disagreement")
    found: dict[uuid.UUID, dict[str, int]] = {}
    for row in src.rows(
        "SELECT program_id, COUNT(*) AS assessments, "
        + ", ".join(_count(c) for c in (*flags, "coach_assessor", "independent"))
        + ", SUM(CASE WHEN interview_needed AND interview_held THEN 1 ELSE 0 END) AS needed_held"
        + ", SUM(CASE WHEN doubt AND disagreement THEN 1 ELSE 0 END) AS both_reasons"
        + f" FROM {src.q(reports.ASSESSMENTS)}{{where}} GROUP BY program_id",
        where,
    ):
        found[_uuid(row["program_id"])] = {
            k: int(v or 0) for k, v in row.items() if k != "program_id"
        }

    def interviews(values: dict[str, int]) -> f.InterviewFigures:
        return f.InterviewFigures(
            assessments=values.get("assessments", 0),
            needed=values.get("interview_needed", 0),
            held=values.get("interview_held", 0),
            needed_and_held=values.get("needed_held", 0),
            doubt=values.get("doubt", 0),
            disagreement=values.get("disagreement", 0),
            doubt_and_disagreement=values.get("both_reasons", 0),
        )

    def independence(values: dict[str, int]) -> f.IndependenceFigures:
        return f.IndependenceFigures(
            assessments=values.get("assessments", 0),
            independent=values.get("independent", 0),
            coach_assessor=values.get("coach_assessor", 0),
        )

    where = src.on_days(programs, "judged_on", period)
    program_cells: dict[uuid.UUID, dict[tuple[int, int], int]] = defaultdict(dict)
    pair_cells: dict[tuple[uuid.UUID, str, str], dict[tuple[int, int], int]] = defaultdict(dict)
    for row in src.rows(
        "SELECT program_id, assessor_a, assessor_b, level_a, level_b, SUM(n) AS n "
        f"FROM {src.q(reports.AGREEMENT)}{{where}} "
        "GROUP BY program_id, assessor_a, assessor_b, level_a, level_b",
        where,
    ):
        pid, a, b = _uuid(row["program_id"]), str(row["assessor_a"]), str(row["assessor_b"])
        ranks, n = (int(row["level_a"]), int(row["level_b"])), int(row["n"])
        pair = pair_cells[(pid, a, b)]
        pair[ranks] = pair.get(ranks, 0) + n
        # Pooled over the program's pairs, each comparison in both orders: the order of a pair
        # (alphabetical) means nothing, and kappa of a symmetric table does not depend on it.
        pooled = program_cells[pid]
        for key in (ranks, ranks[::-1]):
            pooled[key] = pooled.get(key, 0) + n
    where = src.on_days(programs, "judged_on", period)
    together: dict[tuple[uuid.UUID, str, str], int] = {}
    for row in src.rows(
        "SELECT program_id, assessor_a, assessor_b, COUNT(*) AS n FROM (SELECT DISTINCT "
        "program_id, trajectory_id, attempt, assessor_a, assessor_b "
        f"FROM {src.q(reports.AGREEMENT)}{{where}}) AS judged "
        "GROUP BY program_id, assessor_a, assessor_b",
        where,
    ):
        together[(_uuid(row["program_id"]), str(row["assessor_a"]), str(row["assessor_b"]))] = int(
            row["n"]
        )

    totals: dict[str, int] = defaultdict(int)
    for values in found.values():
        for k, v in values.items():
            totals[k] += v
    by_program = []
    for pid in programs:
        values = found.get(pid, {})
        pooled = program_cells.get(pid, {})
        agreement = _agreement(pooled)
        # The symmetric table counts every comparison twice.
        agreement.comparisons //= 2
        agreement.exact //= 2
        by_program.append(
            f.ProgramAssessment(
                program_id=pid,
                interviews=interviews(values),
                agreement=agreement,
                independence=independence(values),
            )
        )
    pairs = [
        f.PairAgreement(
            program_id=pid,
            assessor_a=a,
            assessor_b=b,
            assessments=together.get((pid, a, b), 0),
            **_agreement(cells).model_dump(),
        )
        for (pid, a, b), cells in sorted(
            pair_cells.items(), key=lambda kv: (str(kv[0][0]), kv[0][1:])
        )
    ]
    return f.AssessmentSection(
        interviews=interviews(totals),
        independence=independence(totals),
        by_program=by_program,
        pairs=pairs,
    )


def _borging(src: Source, programs: Sequence[uuid.UUID], period: Period) -> f.BorgingSection:
    where = src.on_days(programs, "concluded_on", period)
    checks = all_ok = 0
    holds = dict.fromkeys(ITEMS, 0)
    applies = dict.fromkeys(ITEMS, 0)
    for row in src.rows(
        "SELECT decision, COUNT(*) AS n, "
        + ", ".join(_count(item) for item in (*ITEMS, "all_ok"))
        + f" FROM {src.q(borging.CHECKS)}{{where}} GROUP BY decision",
        where,
    ):
        n = int(row["n"])
        checks += n
        all_ok += int(row["all_ok"] or 0)
        for item in ITEMS:
            # The quorum is no exception while the committee has not decided: it does not apply.
            if item == "quorum" and row["decision"] == "pending":
                continue
            applies[item] += n
            holds[item] += int(row[item] or 0)

    follow_ups: dict[tuple[uuid.UUID, int, str], list[f.FollowUp]] = defaultdict(list)
    for row in src.rows(
        "SELECT trajectory_id, attempt, item, action, followed_up_by, at, occurred_on "
        f"FROM {src.q(reports.FOLLOW_UPS)}{{where}} ORDER BY trajectory_id, attempt, seq",
        src.where(programs),
    ):
        follow_ups[(_uuid(row["trajectory_id"]), int(row["attempt"]), str(row["item"]))].append(
            f.FollowUp(
                action=src.opened(row["action"]),
                by=row["followed_up_by"],
                at=_time(row["at"]),
                on=_day(row["occurred_on"]),
            )
        )

    exceptions: list[f.BorgingException] = []
    e, c = borging.EXCEPTIONS.name, borging.CHECKS.name
    where = src.on_days(programs, "concluded_on", period, prefix="e.")
    for row in src.rows(
        "SELECT e.trajectory_id, e.attempt, e.item, e.program_id, e.cohort, e.student_id, "
        "e.concluded_at, e.concluded_on, e.decision, c.evidence "
        f"FROM {src.store.live.q(e)} AS e JOIN {src.store.live.q(c)} AS c "
        "ON c.trajectory_id = e.trajectory_id AND c.attempt = e.attempt{where} "
        "ORDER BY e.concluded_on, e.concluded_at, e.trajectory_id, e.attempt, e.item",
        where,
    ):
        key = (_uuid(row["trajectory_id"]), int(row["attempt"]), str(row["item"]))
        evidence = _json(row["evidence"]) or {}
        exceptions.append(
            f.BorgingException(
                trajectory_id=key[0],
                attempt=key[1],
                program_id=_uuid(row["program_id"]),
                cohort=row["cohort"],
                student_id=row["student_id"],
                item=key[2],
                concluded_at=_time(row["concluded_at"]),
                concluded_on=_day(row["concluded_on"]),
                decision=row["decision"],
                facts=dict(evidence.get(key[2], {})),
                follow_ups=follow_ups.get(key, []),
            )
        )
    items = [
        f.BorgingItemFigures(
            item=item,
            checks=applies[item],
            holds=holds[item],
            rate=rate(holds[item], applies[item]),
            exceptions=sum(1 for x in exceptions if x.item == item),
            followed_up=sum(1 for x in exceptions if x.item == item and x.follow_ups),
        )
        for item in ITEMS
    ]
    return f.BorgingSection(
        checks=checks,
        all_ok=all_ok,
        items=items,
        exceptions=len(exceptions),
        followed_up=sum(1 for x in exceptions if x.follow_ups),
        exception_list=exceptions,
    )


def _corrections(src: Source, programs: Sequence[uuid.UUID], period: Period) -> f.CorrectionSection:
    where = src.on_days(programs, "occurred_on", period)
    per_program = {pid: [0, 0] for pid in programs}
    reasons: dict[tuple[bool, str], int] = defaultdict(int)
    for row in src.rows(
        f"SELECT program_id, committee, reason, COUNT(*) AS n FROM {src.q(reports.CORRECTIONS)}"
        "{where} GROUP BY program_id, committee, reason",
        where,
    ):
        committee, n = bool(row["committee"]), int(row["n"])
        per_program[_uuid(row["program_id"])][int(committee)] += n
        # Grouped once opened: every sealed reason is a ciphertext of its own.
        reasons[(committee, str(src.opened(row["reason"])))] += n
    return f.CorrectionSection(
        corrections=sum(v[0] for v in per_program.values()),
        committee_corrections=sum(v[1] for v in per_program.values()),
        by_program=[
            f.ProgramCorrections(
                program_id=pid, corrections=counts[0], committee_corrections=counts[1]
            )
            for pid, counts in per_program.items()
        ],
        reasons=[
            f.ReasonCount(reason=reason, committee=committee, count=n)
            for (committee, reason), n in sorted(
                reasons.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])
            )
        ],
    )


@dataclass(frozen=True)
class Term:
    """A term on a program's committee: when its start and end were recorded, and the days
    they took place."""

    person: str
    registered_at: datetime
    registered_on: date
    deregistered_at: datetime | None = None
    deregistered_on: date | None = None

    def during(self, period: Period) -> bool:
        """On the committee on at least one day of the period."""
        return self.registered_on <= period.last_day and (
            self.deregistered_on is None or self.deregistered_on >= period.first_day
        )


def committee_terms(program_events: Iterable[Any]) -> list[Term]:
    """Every term on the program's committee, in the order they began."""
    terms: list[Term] = []
    open_terms: dict[str, int] = {}
    for event in program_events:
        role = getattr(event, "role", None)
        if role is not StaffRole.COMMITTEE:
            continue
        if isinstance(event, Program.StaffRegistered):
            open_terms[event.person_id] = len(terms)
            terms.append(Term(str(event.person_id), event.timestamp, moments.occurred_on(event)))
        elif isinstance(event, Program.StaffDeregistered):
            index = open_terms.pop(event.person_id, None)
            if index is not None:
                terms[index] = replace(
                    terms[index],
                    deregistered_at=event.timestamp,
                    deregistered_on=moments.occurred_on(event),
                )
    return terms


def _member(pid: uuid.UUID, term: Term, counted: dict[str, int]) -> f.MemberFigures:
    return f.MemberFigures(
        program_id=pid,
        person_id=term.person,
        registered_at=term.registered_at,
        registered_on=term.registered_on,
        deregistered_at=term.deregistered_at,
        deregistered_on=term.deregistered_on,
        ratify=counted["ratify"],
        refer_back=counted["refer_back"],
    )


def _committee(src: Source, programs: Sequence[uuid.UUID], period: Period) -> f.CommitteeSection:
    where = src.on_days(programs, "voted_on", period)
    votes: dict[tuple[uuid.UUID, str], dict[str, int]] = defaultdict(
        lambda: {"ratify": 0, "refer_back": 0}
    )
    for row in src.rows(
        f"SELECT program_id, member_id, vote, COUNT(*) AS n FROM {src.q(reports.VOTES)}"
        "{where} GROUP BY program_id, member_id, vote",
        where,
    ):
        votes[(_uuid(row["program_id"]), str(row["member_id"]))][str(row["vote"])] += int(row["n"])
    members: list[f.MemberFigures] = []
    for pid in programs:
        seen: set[str] = set()
        terms = committee_terms(src.app.events.get(pid))
        for term in terms:
            if not term.during(period):
                continue
            person = term.person
            counted = votes[(pid, person)] if person not in seen else {"ratify": 0, "refer_back": 0}
            seen.add(person)
            members.append(_member(pid, term, counted))
        # Votes of someone no longer on the committee in the period still count (and show).
        for (vpid, person), counted in sorted(votes.items(), key=lambda kv: kv[0][1]):
            if vpid == pid and person not in seen:
                own = [t for t in terms if t.person == person]
                term = own[-1] if own else Term(person, period.start, period.first_day)
                members.append(_member(pid, term, counted))
    ratify = sum(v["ratify"] for v in votes.values())
    refer = sum(v["refer_back"] for v in votes.values())
    return f.CommitteeSection(
        members=members, votes=ratify + refer, ratify=ratify, refer_back=refer
    )


def position(store: ReadStore) -> int:
    found = [store.position(name) or 0 for name in MODELS]
    return min(found) if found else 0


def document_id(report: f.AnnualReport) -> str:
    """A short id of the report's content (period, programs and every figure): the same
    figures always give the same id, any change gives another."""
    content = report.model_dump(mode="json", exclude={"document_id", "generated_at", "position"})
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    label = (
        str(report.period.year) if report.period.year else report.period.start.date().isoformat()
    )
    return f"JV-{label}-{digest[:12].upper()}"


def annual_report(
    store: ReadStore,
    app: Bewijsketen,
    programs: Sequence[Program],
    period: Period,
    now: datetime | None = None,
) -> f.AnnualReport:
    """The report over `period` for `programs`, from the read models as they stand."""
    src = Source(store, app)
    ids = [p.id for p in sorted(programs, key=lambda p: p.code)]
    reflected = position(store)
    if ids:
        decisions, seconds = _decisions(src, ids, period)
        assessment = _assessment(src, ids, period)
        borging_section = _borging(src, ids, period)
        corrections = _corrections(src, ids, period)
        committee = _committee(src, ids, period)
    else:
        decisions = f.DecisionSection(totals=f.DecisionFigures(), by_program=[], by_cohort=[])
        seconds = {}
        assessment = f.AssessmentSection(
            interviews=f.InterviewFigures(),
            independence=f.IndependenceFigures(),
            by_program=[],
            pairs=[],
        )
        borging_section = f.BorgingSection(
            checks=0,
            all_ok=0,
            items=[
                f.BorgingItemFigures(
                    item=i, checks=0, holds=0, rate=None, exceptions=0, followed_up=0
                )
                for i in ITEMS
            ],
            exceptions=0,
            followed_up=0,
            exception_list=[],
        )
        corrections = f.CorrectionSection(
            corrections=0, committee_corrections=0, by_program=[], reasons=[]
        )
        committee = f.CommitteeSection(members=[], votes=0, ratify=0, refer_back=0)
    report = f.AnnualReport(
        document_id="",
        period=f.PeriodFigures(start=period.start, end=period.end, year=period.year),
        programs=[
            f.ProgramRef(program_id=p.id, code=p.code, title=p.title)
            for p in sorted(programs, key=lambda p: p.code)
        ],
        generated_at=now or datetime.now(UTC),
        position=reflected,
        decisions=decisions,
        assessment=assessment,
        borging=borging_section,
        corrections=corrections,
        committee=committee,
        time_to_decision=_time_section(ids, seconds),
    )
    report.document_id = document_id(report)
    return report
