"""The annual report: every figure equals the count made independently from the events, on a
generated record with known content (tests/report_dataset.py), on SQLite and PostgreSQL; over
the whole record, each half of it and each program alone. The halves took place on two days
before the day they are recorded: the report counts by the day things took place."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest

from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen, build_application
from domain.errors import InvalidInput, NotPermitted, RuleViolation
from domain.journey import Journey, setup_program
from domain.values import Actor, FeedbackSource, Role
from projections.models import all_models, borging
from projections.reports import dutch
from projections.reports.annual import annual_report, nearest_rank
from projections.reports.csv_export import render_csv
from projections.reports.figures import AnnualReport
from projections.reports.period import AMSTERDAM, Period, PeriodError
from projections.reports.render import render_html
from projections.runner import Runner
from projections.store import ReadStore, open_store
from tests import report_dataset, report_expected
from tests.test_projections_support import fresh_store, read_config

DAY = timedelta(days=1)


@dataclass
class World:
    app: Bewijsketen
    store: ReadStore
    settings: Settings
    data: report_dataset.Dataset

    def report(self, first: date, last: date, *programs: uuid.UUID) -> AnnualReport:
        chosen = programs or (self.data.program_a, self.data.program_b)
        return annual_report(
            self.store,
            self.app,
            [self.app.get_program(p) for p in chosen],
            Period.of_days(first, last),
        )

    @property
    def days(self) -> tuple[date, date, date]:
        """The days of the first half, of the second, and the day it was all recorded."""
        d = self.data
        assert d.first_day is not None and d.second_day is not None
        return d.first_day, d.second_day, d.ended.astimezone(AMSTERDAM).date()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"report-{request.param}")
    pg = request.getfixturevalue("pg_database") if request.param == "postgres" else None
    with fresh_store(request.param, tmp, pg) as settings:
        app = build_application(settings.store)
        config = read_config(settings)
        store = open_store(config)
        try:
            today = datetime.now(AMSTERDAM).date()
            data = report_dataset.build(app, (today - 2 * DAY, today - DAY))
            runner = Runner(app, store, all_models(), config)
            runner.ensure()
            runner.catch_up()
            yield World(app, store, settings, data)
        finally:
            store.close()
            app.close()


def periods(world: World) -> list[tuple[str, date, date]]:
    first, second, recorded = world.days
    return [
        ("all", first, recorded),
        ("first half", first, first),
        ("second half", second, recorded),
        ("the day it was recorded", recorded, recorded),
    ]


def check(world: World, first: date, last: date, programs: tuple[uuid.UUID, ...]) -> None:
    report = world.report(first, last, *programs)
    want = report_expected.expected_report(world.app, set(programs), first, last)

    # Decisions by program and cohort, first attempts and resits, the early route.
    got = {
        (d.program_id, d.cohort): {
            k: v for k, v in d.model_dump().items() if v and k not in ("program_id", "cohort")
        }
        for d in report.decisions.by_cohort
    }
    got = {k: v for k, v in got.items() if v}
    assert got == {k: v for k, v in want["decisions"].items() if v}
    for p in report.decisions.by_program:
        summed: dict[str, int] = {}
        for (pid, _), v in want["decisions"].items():
            if pid == p.program_id:
                for name, n in v.items():
                    summed[name] = summed.get(name, 0) + n
        assert {k: v for k, v in p.model_dump().items() if v and k != "program_id"} == summed
    totals = report.decisions.totals.model_dump()
    for name in totals:
        assert totals[name] == sum(v.get(name, 0) for v in want["decisions"].values()), name

    # The assessment process: CGI, agreement, independence.
    for a in report.assessment.by_program:
        expected = want["interviews"].get(a.program_id, {})
        assert a.interviews.model_dump() == {
            k: expected.get(k, 0) for k in a.interviews.model_dump()
        }
        assert a.independence.model_dump() == {
            "assessments": expected.get("assessments", 0),
            "independent": expected.get("independent", 0),
            "coach_assessor": expected.get("coach_assessor", 0),
        }
        pairs = [v for (pid, _, _), v in want["pairs"].items() if pid == a.program_id]
        assert a.agreement.comparisons == sum(p["comparisons"] for p in pairs)
        assert a.agreement.exact == sum(p["exact"] for p in pairs)
        assert a.agreement.kappa_quadratic == pytest.approx(want["program_kappa"][a.program_id])
    got_pairs = {
        (p.program_id, p.assessor_a, p.assessor_b): {
            "assessments": p.assessments,
            "comparisons": p.comparisons,
            "exact": p.exact,
            "kappa": p.kappa_quadratic,
        }
        for p in report.assessment.pairs
    }
    assert got_pairs.keys() == want["pairs"].keys()
    for key, value in want["pairs"].items():
        assert got_pairs[key] == {**value, "kappa": pytest.approx(value["kappa"])}, key

    # Borging: every item's rate, its exceptions and how many were followed up.
    b = report.borging
    assert (b.checks, b.all_ok) == (want["borging"]["checks"], want["borging"]["all_ok"])
    for item in b.items:
        applies, holds, exceptions, followed = want["borging"]["items"].get(item.item, [0, 0, 0, 0])
        assert (item.checks, item.holds, item.exceptions, item.followed_up) == (
            applies,
            holds,
            exceptions,
            followed,
        ), item.item
    assert b.exceptions == len(b.exception_list) == sum(i.exceptions for i in b.items)

    # Corrections and committee corrections, with their reasons counted.
    for pc in report.corrections.by_program:
        assert [pc.corrections, pc.committee_corrections] == want["corrections"].get(
            pc.program_id, [0, 0]
        )
    assert {(r.committee, r.reason): r.count for r in report.corrections.reasons} == want["reasons"]

    # The committee in the period, and its votes.
    members = {(m.program_id, m.person_id) for m in report.committee.members}
    voters = {k for k, v in want["votes"].items() if v}
    assert members == want["members"] | voters
    for m in report.committee.members:
        counted = want["votes"].get((m.program_id, m.person_id), {})
        assert (m.ratify, m.refer_back) == (counted.get("ratify", 0), counted.get("refer_back", 0))

    # Time from request to ratification: median and 90th percentile.
    for pt in report.time_to_decision.by_program:
        seconds = want["durations"].get(pt.program_id, [])
        assert pt.decisions == len(seconds)
        assert pt.median_seconds == pytest.approx(report_expected.median(seconds))
        assert pt.p90_seconds == pytest.approx(report_expected.p90(seconds))
    every = [s for v in want["durations"].values() for s in v]
    overall = report.time_to_decision.overall
    assert overall.decisions == len(every)
    assert overall.p90_seconds == pytest.approx(report_expected.p90(every))


def test_every_figure_equals_the_count_from_the_events(world: World) -> None:
    both = (world.data.program_a, world.data.program_b)
    for _label, first, last in periods(world):
        check(world, first, last, both)
        check(world, first, last, (world.data.program_a,))
        check(world, first, last, (world.data.program_b,))


def test_the_known_content_is_what_the_report_counts(world: World) -> None:
    """The dataset's own story, figure by figure, so that an error in both computations alike
    cannot pass unseen."""
    d = world.data
    first_day, second_day, recorded = world.days
    report = world.report(first_day, recorded)
    t = report.decisions.totals
    # 14 students: 10 passes (one after a resit, one after a referral), 4 fails, 1 referral.
    assert (t.ratified, t.passed, t.not_passed, t.referred_back) == (14, 10, 4, 1)
    assert (t.first_attempt_passed, t.first_attempt_not_passed) == (9, 4)
    assert (t.resit_passed, t.resit_not_passed) == (1, 0)
    assert (t.early_route_requested, t.early_route_granted, t.early_route_refused) == (2, 1, 1)
    i = report.assessment.interviews
    assert (i.assessments, i.needed, i.held, i.doubt, i.disagreement) == (16, 4, 3, 2, 2)
    quorum = next(x for x in report.borging.items if x.item == "quorum")
    # 15 conclusions, one still awaiting the committee: its quorum is no exception (yet).
    assert (report.borging.checks, quorum.checks, quorum.exceptions) == (15, 14, 0)
    assert report.assessment.independence.coach_assessor == 1
    feedback = next(x for x in report.borging.items if x.item == "feedback_givers")
    assert (feedback.exceptions, feedback.followed_up) == (2, 1)
    followed = [x for x in report.borging.exception_list if x.follow_ups]
    assert [x.student_id for x in followed] == ["stud-09"]
    assert followed[0].follow_ups[0].action == report_dataset.FOLLOW_UP
    c = report.corrections
    assert (c.corrections, c.committee_corrections) == (3, 1)
    assert {r.reason: r.count for r in c.reasons} == {
        report_dataset.REASON_EVIDENCE: 3,
        report_dataset.REASON_APPEAL: 1,
    }
    first = world.report(first_day, first_day, d.program_a)
    second = world.report(second_day, recorded, d.program_a)
    # committee-3 left and committee-4 joined half-way.
    assert {m.person_id for m in first.committee.members} == set(report_dataset.A_COMMITTEE)
    assert {m.person_id for m in second.committee.members} == {
        "committee-1",
        "committee-2",
        "committee-3",
        "committee-4",
    }
    left = next(m for m in second.committee.members if m.person_id == "committee-3")
    assert left.deregistered_on == second_day and left.registered_on == first_day
    assert left.deregistered_at is not None and d.middle <= left.deregistered_at
    assert first.decisions.totals.decisions + second.decisions.totals.decisions == 11
    # Nothing took place on the day it was all recorded.
    none = world.report(recorded, recorded)
    assert none.decisions.totals.decisions == 0 and none.committee.votes == 0
    assert none.borging.checks == 0 and none.assessment.interviews.assessments == 0


def test_nothing_outside_the_period_counts(world: World) -> None:
    first_day, _second, _recorded = world.days
    before = world.report(first_day - 400 * DAY, first_day - DAY)
    assert before.decisions.totals.decisions == 0
    assert before.borging.checks == 0 and before.corrections.corrections == 0
    assert before.assessment.interviews.assessments == 0
    assert before.committee.members == [] and before.committee.votes == 0
    assert before.time_to_decision.overall.median_seconds is None


def test_facts_count_in_the_year_they_took_place_not_the_year_they_were_recorded(
    settings: Settings, app: Bewijsketen
) -> None:
    """A school year's end entered in the new year: a high-stake requested on 1 December,
    decided at the committee's meeting of 18 December and followed up on 20 December, all
    recorded only now. The report of that year counts it and shows both days; this year's
    report counts only what took place this year (a pass recorded as it happened)."""
    this_year = datetime.now(AMSTERDAM).year
    today = datetime.now(AMSTERDAM).date()
    last = this_year - 1
    program = setup_program(app, code="SD-AI", occurred_on=date(last, 9, 1))
    late = Journey(app, program, "stud-late").at(date(last, 9, 1))
    late.start()
    late.evidence_for_all()
    for code in late.outcomes:
        late.feedback(FeedbackSource.SELF, late.student.person_id, [code])
    late.medium_stake("vakkundig")
    late.medium_stake("bekwaam")
    late.green_light()
    late.at(date(last, 12, 1))
    attempt = late.request_high_stake()
    late.assign(attempt)
    late.judge(attempt, "assessor-1", "bekwaam")
    late.at(date(last, 12, 15))
    late.judge(attempt, "assessor-2", "bekwaam")
    late.conclude(attempt)
    late.at(date(last, 12, 18))
    late.votes(attempt)
    late.at(date(last, 12, 20))
    late.follow_up(
        attempt, "feedback_givers", "Besproken met de coach", Actor("committee-1", Role.COMMITTEE)
    )
    now = Journey(app, program, "stud-now")
    now.to_ratified_pass()

    config = read_config(settings)
    store = open_store(config)
    try:
        runner = Runner(app, store, all_models(), config)
        runner.ensure()
        runner.catch_up()
        world = World(
            app, store, settings, report_dataset.Dataset(program, program, datetime.now(UTC))
        )
        then = world.report(date(last, 1, 1), date(last, 12, 31), program)
        current = world.report(date(this_year, 1, 1), date(this_year, 12, 31), program)
        for first, last_day in (
            (date(last, 1, 1), date(last, 12, 31)),
            (date(this_year, 1, 1), date(this_year, 12, 31)),
        ):
            check(world, first, last_day, (program,))
    finally:
        store.close()

    # Last year: the late student's decision, votes, assessment and checklist.
    assert (then.decisions.totals.ratified, then.decisions.totals.passed) == (1, 1)
    assert then.committee.votes == 2 and then.assessment.interviews.assessments == 1
    assert then.borging.checks == 1
    # From the request on 1 December to the decision on 18 December: 17 whole days.
    assert then.time_to_decision.overall.median_seconds == 17 * 86_400
    (exception,) = then.borging.exception_list
    assert exception.item == "feedback_givers" and exception.student_id == "stud-late"
    assert exception.concluded_on == date(last, 12, 15)
    assert exception.concluded_at.astimezone(AMSTERDAM).date() == today
    (follow_up,) = exception.follow_ups
    assert follow_up.on == date(last, 12, 20)
    members = {m.person_id: m for m in then.committee.members}
    assert members["committee-1"].registered_on == date(last, 9, 1)
    assert (members["committee-1"].ratify, members["committee-2"].ratify) == (1, 1)
    # This year: only the pass that took place as it was recorded.
    assert (current.decisions.totals.ratified, current.committee.votes) == (1, 2)
    assert [x.student_id for x in current.borging.exception_list] == []
    seconds = current.time_to_decision.overall.median_seconds
    assert seconds is not None and 0 < seconds < 600

    # Both days where they differ, the day it took place first.
    page = render_html(then)
    recorded = dutch.short_day(today)
    assert f"15-12-{last} (vastgelegd {recorded})" in page
    assert f"20-12-{last} (vastgelegd {recorded}), committee-1: Besproken met de coach" in page
    assert f"1 september {last} (vastgelegd {dutch.day(today)})" in page
    table = render_csv(then).decode("utf-8-sig").splitlines()
    assert f"examencommissie;SD-AI;;committee-1;lid_sinds;{last}-09-01" in table


def test_the_same_figures_give_the_same_document_id(world: World) -> None:
    first_day, _second, recorded = world.days
    one = world.report(first_day, recorded)
    again = world.report(first_day, recorded)
    half = world.report(first_day, first_day)
    assert one.document_id == again.document_id != half.document_id


def test_a_year_is_the_dutch_calendar_year() -> None:
    year = Period.of_year(2027)
    # New Year's Eve 23:30 UTC is already 00:30 on 1 January in Amsterdam (CET, UTC+1).
    assert year.contains(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert not year.contains(datetime(2027, 12, 31, 23, 30, tzinfo=UTC))
    assert year.start == datetime(2027, 1, 1, tzinfo=AMSTERDAM)
    summer = Period.of_days(datetime(2026, 7, 1).date(), datetime(2026, 7, 31).date())
    assert summer.start.utcoffset() == timedelta(hours=2)  # CEST
    assert summer.contains(datetime(2026, 7, 31, 21, 59, tzinfo=UTC))
    assert not summer.contains(datetime(2026, 7, 31, 22, 0, tzinfo=UTC))
    with pytest.raises(PeriodError):
        Period.of_days(datetime(2026, 7, 2).date(), datetime(2026, 7, 1).date())
    with pytest.raises(PeriodError):
        Period.of_year(1999)


def test_the_90th_percentile_is_the_nearest_rank() -> None:
    assert nearest_rank([5.0], 90) == 5.0
    assert nearest_rank([float(n) for n in range(1, 11)], 90) == 9.0
    assert nearest_rank([float(n) for n in range(1, 12)], 90) == 10.0
    assert nearest_rank([], 90) is None


# ---- the follow-up of a borging exception: who may record it, and when


def test_a_borging_follow_up_is_the_committees_on_a_concluded_attempt(
    app: Bewijsketen, tmp_path: Path
) -> None:
    program = setup_program(app)
    j = Journey(app, program, "stud-1")
    j.to_green_light()
    attempt = j.request_high_stake()
    j.assign(attempt)
    follow_up = c.RecordBorgingFollowUp(
        trajectory_id=j.id, attempt=attempt, item="evidence_variety", action="Besproken"
    )
    committee = Actor("committee-1", Role.COMMITTEE)

    def events() -> int:
        return len(list(app.events.get(j.id)))

    before = events()
    with pytest.raises(RuleViolation) as refused:
        app.execute(follow_up, committee)  # not concluded yet
    assert refused.value.rule == "R13"
    with pytest.raises(InvalidInput) as unknown:
        app.execute(follow_up.model_copy(update={"attempt": 7}), committee)
    assert unknown.value.rule == "R4"
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt)
    before = events()
    with pytest.raises(NotPermitted) as coach:
        app.execute(follow_up, j.coach)
    assert coach.value.rule == "R14"
    with pytest.raises(InvalidInput) as empty:
        app.execute(follow_up.model_copy(update={"action": "  "}), committee)
    assert empty.value.rule == "R1"
    assert events() == before
    j.votes(attempt)
    # A ratified pass closes the trajectory; the committee still records its follow-up.
    assert app.get_trajectory(j.id).closed
    app.execute(follow_up, committee)
    assert events() == before + 4


def test_the_follow_up_and_the_report_name_the_checklists_items() -> None:
    assert list(get_args(c.BorgingItem)) == list(borging.ITEMS)
    assert list(dutch.BORGING_ITEMS) == list(borging.ITEMS) == list(dutch.BORGING_SHORT)
