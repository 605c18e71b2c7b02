"""The demo class: a school year, through every rule, in every read model; determinism; CLI."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain import moments
from domain.application import Bewijsketen, build_application
from domain.demo import SchoolYear, play_demo, seed_demo
from domain.demo.copy import in_memory
from domain.errors import AlreadyExists
from domain.history import history
from domain.persons import PersonRegistry
from domain.trajectory import Trajectory
from domain.values import Decision, EarlyRoute, FeedbackSource, GreenLight, Phase, Role, Verdict
from projections.models import all_models
from projections.models.borging import FOLLOW_UP, GUARANTEED, ITEMS
from projections.queries import ReadQueries
from projections.rebuild import rebuild
from projections.store import open_store
from tests.test_projections_support import assert_progress_matches_aggregates, read_config

DAY = moments.today() - timedelta(days=3)  # one "today" for the tests that compare two runs


def fingerprint(app: Bewijsketen) -> list[tuple[str, int, str, dict[str, object]]]:
    """Everything stored except the moment each event was written, sealed values opened (each
    is sealed with a fresh nonce, under each store's own keys)."""
    rows = []
    for n in app.recorder.select_notifications(start=1, limit=10**9):
        event = vars(app.mapper.to_domain_event(n)).copy()
        for name in ("originator_id", "originator_version", "timestamp"):
            event.pop(name)
        state = json.loads(app.mapper.transcoder.encode(event))
        rows.append((str(n.originator_id), n.originator_version, n.topic, state))
    return rows


def events_of(app: Bewijsketen, trajectory_id: uuid.UUID) -> list[Any]:
    return list(app.trajectory_events(trajectory_id))


def by_scenario(app: Bewijsketen, summary: Any) -> dict[str, Trajectory]:
    return {summary.scenarios[s]: app.get_trajectory(t) for s, t in summary.trajectories.items()}


def test_the_demo_class_lives_through_a_whole_school_year(app: Bewijsketen) -> None:
    before = datetime.now(UTC)
    summary = seed_demo(app, students=25, seed=7)
    after = datetime.now(UTC)
    year = summary.year
    assert len(summary.trajectories) == 25 and year.start.month == 9
    t = by_scenario(app, summary)

    # Every phase, with students still under way at the demo's "today".
    phases = Counter(x.phase for x in t.values())
    assert set(phases) == set(Phase)
    assert sum(n for p, n in phases.items() if p is not Phase.CLOSED) >= 8

    # Orientation and a baseline for every outcome in September, for everyone.
    for trajectory in t.values():
        baselines = [
            e for e in events_of(app, trajectory.id) if isinstance(e, Trajectory.BaselineMeasured)
        ]
        assert {e.outcome for e in baselines} == set(trajectory.definition.outcome_codes)
        assert all(e.occurred_on.month == 9 for e in baselines)
        assert trajectory.start_day == year.start

    # Progress checks with every light; feedback from all five sources.
    lights = {p.light for x in t.values() for p in x.progress_checks}
    assert len(lights) == 3
    sources = {f.source for x in t.values() for f in x.feedback}
    assert sources == set(FeedbackSource)

    # Medium-stakes at 50% and 70%, green lights given and withheld with advice.
    assert {m.moment for x in t.values() for m in x.medium_stakes} == {50, 70}
    assert t["withheld_open"].green_light is GreenLight.WITHHELD
    withheld = [
        e
        for e in events_of(app, t["withheld_open"].id)
        if isinstance(e, Trajectory.GreenLightWithheld)
    ]
    assert len(withheld) == 1 and withheld[0].advice.strip() and withheld[0].rationale.strip()
    assert t["withheld_open"].green_light_note == withheld[0].advice
    given_after_withholding = [
        type(e)
        for e in events_of(app, t["withheld_then_given"].id)
        if isinstance(e, Trajectory.GreenLightGiven | Trajectory.GreenLightWithheld)
    ]
    assert given_after_withholding == [Trajectory.GreenLightWithheld, Trajectory.GreenLightGiven]

    # The early route granted and refused.
    assert t["early_granted"].early_route is EarlyRoute.GRANTED and t["early_granted"].closed
    assert t["early_granted"].attempts[0].early
    assert t["early_refused"].early_route is EarlyRoute.REFUSED and t["early_refused"].closed

    # High-stakes with agreement, doubt and disagreement; CGIs where needed.
    def verdicts(name: str) -> set[Verdict]:
        return {j.verdict for j in t[name].attempts[0].judgments.values()}

    assert verdicts("passed") == {Verdict.PASS} and not t["passed"].attempts[0].interview_held
    assert Verdict.DOUBT in verdicts("doubt_cgi") and t["doubt_cgi"].attempts[0].interview_held
    for name in ("disagreement_pass", "disagreement_fail"):
        assert verdicts(name) == {Verdict.PASS, Verdict.FAIL}
        assert t[name].attempts[0].interview_held
    assert t["disagreement_pass"].closed and t["disagreement_fail"].phase is Phase.RESIT

    # Passes and fails; development plans and resits.
    resit = t["failed_resit_passed"]
    assert [a.passed for a in resit.attempts] == [False, True] and resit.closed
    assert resit.attempts[0].development_plan and resit.attempts[0].decision is Decision.RATIFIED
    judging = t["failed_resit_judging"]
    assert len(judging.attempts) == 2 and judging.phase is Phase.HIGH_STAKE
    assert len(judging.attempts[1].judgments) == 1

    # A referral back by the committee, and its second round.
    referred = events_of(app, t["referred_back"].id)
    kinds = [type(e) for e in referred]
    assert kinds.count(Trajectory.AssessmentConcluded) == 2
    assert kinds.index(Trajectory.DecisionReferredBack) < kinds.index(Trajectory.DecisionRatified)
    assert t["referred_back"].closed

    # A correction by its author and a committee correction on appeal after the pass.
    corrections = {
        name: [(c["role"], c["by"]) for c in x.corrections]
        for name, x in t.items()
        if x.corrections
    }
    assert corrections["correction"][0][0] == Role.MENTOR.value
    assert corrections["assessor_correction"][0][0] == Role.ASSESSOR.value
    assert corrections["appeal"][0][0] == Role.COMMITTEE.value and t["appeal"].closed

    # Exhibitions, and evidence withdrawn from a decided attempt's portfolio.
    assert sum(len(x.exhibitions) for x in t.values()) >= 4
    first_portfolio = set(resit.attempts[0].portfolio)
    assert any(e.withdrawn and e.evidence_id in first_portfolio for e in resit.evidence.values())

    # The access policy: peer feedback by fellow students of the program, practice and client
    # feedback recorded on the giver's behalf or by the one asked, answering the request.
    students = set(summary.trajectories)
    for trajectory in t.values():
        for f in trajectory.feedback:
            if f.source is FeedbackSource.PEER:
                assert f.recorded_by == f.giver_id and f.giver_id in students
                assert f.giver_id != trajectory.student_id
            if f.source in (FeedbackSource.PRACTICE, FeedbackSource.CLIENT):
                related = {trajectory.student_id, trajectory.coach_id, trajectory.mentor_id}
                assert f.recorded_by in related or (
                    f.recorded_by == f.giver_id and f.request_id is not None
                )
    answered = [
        f for x in t.values() for f in x.feedback if f.request_id and f.recorded_by == f.giver_id
    ]
    assert answered and all(f.giver_id.startswith("extern-") for f in answered)

    # Happened-at days spread over the year, never after today; recorded times are real.
    everything = [e for x in t.values() for e in events_of(app, x.id)]
    days = [moments.occurred_on(e) for e in everything]
    assert min(days) == year.start and max(days) <= moments.today()
    assert len({(d.year, d.month) for d in days}) >= 10
    assert all(before <= e.timestamp <= after for e in everything)
    assert sum(moments.recorded_later(e) for e in everything) > len(everything) * 0.9


def test_every_read_model_and_borging_exception_shows_something(
    app: Bewijsketen, settings: Settings
) -> None:
    summary = seed_demo(app, students=25, seed=7)
    store = open_store(read_config(settings))
    try:
        rebuild(app, store, all_models())
        for model in all_models():
            for table in model.tables:
                found = store.query(f"SELECT count(*) AS n FROM {store.live.q(table.name)}")
                assert int(found[0]["n"]) > 0, f"{model.name}: {table.name} is empty"

        exceptions = store.query(
            f"SELECT item, count(*) AS n FROM {store.live.q('borging_exceptions')} GROUP BY item"
        )
        kinds = {row["item"]: int(row["n"]) for row in exceptions}
        # Every exception the rules allow occurs; those the rules guarantee never do, and the
        # checklist holds them true for every attempt.
        assert set(FOLLOW_UP) == set(kinds), kinds
        assert set(FOLLOW_UP) | GUARANTEED == set(ITEMS)
        checks = store.query(f"SELECT * FROM {store.live.q('borging_checks')}")
        for item in GUARANTEED - {"quorum"}:
            assert all(row[item] for row in checks), item
        decided = [row for row in checks if row["decision"] != "pending"]
        assert decided and all(row["quorum"] for row in decided)

        phases = store.query(
            f"SELECT DISTINCT phase FROM {store.live.q('cohort_counts')} WHERE students > 0"
        )
        assert {row["phase"] for row in phases} == {p.value for p in Phase}

        queries = ReadQueries(store)
        (cohort,) = queries.cohorts(queries.where(), 10, 0, inactive_days=14).items
        assert cohort["students"] == 25 and cohort["cohort"] == summary.classes[0].cohort
        assert all(cohort["upcoming"][k] > 0 for k in ("medium_stake_1", "medium_stake_2"))
        assert cohort["upcoming"]["high_stake"] >= 3
        risky = queries.members(queries.where(), 50, 0, 14, at_risk=True).items
        reasons = {r for m in risky for r in m["at_risk_reasons"]}
        assert "no activity for 14 days" in reasons and "latest traffic light is red" in reasons
        # Recorded minutes ago, but nothing happened since September: inactive all the same.
        ill = next(s for s, kind in summary.scenarios.items() if kind == "orientation_ill")
        assert [m["at_risk_reasons"] for m in risky if m["student_id"] == ill] == [
            ["no activity for 14 days"]
        ]
        workload = queries.workload(queries.where(), False, 50, 0).items
        assert sum(w["to_judge"] for w in workload) >= 2 and sum(w["judged"] for w in workload)
        assert assert_progress_matches_aggregates(app, store) == 25
    finally:
        store.close()


def test_two_classes_in_two_programs(app: Bewijsketen) -> None:
    summary = seed_demo(app, students=25, seed=3, classes=3)
    assert [c.program_code for c in summary.classes] == ["SD-AI", "BURG-DS", "SD-AI"]
    assert len({c.cohort for c in summary.classes}) == 3 and len(summary.trajectories) == 75
    for school_class in summary.classes:
        program = app.get_program(school_class.program_id)
        for student in school_class.students:
            trajectory = app.get_trajectory(summary.trajectories[student])
            assert trajectory.program_id == program.id and trajectory.cohort == school_class.cohort
            peers = {f.giver_id for f in trajectory.feedback if f.source is FeedbackSource.PEER}
            assert peers <= set(school_class.students)
    burg = app.get_program(summary.classes[1].program_id)
    definition = burg.definition(burg.latest_version or 1)
    assert len(definition.outcomes) == 3 and "Burgerschap" in definition.title


def test_the_texts_are_dutch_and_differ_per_student(app: Bewijsketen) -> None:
    summary = seed_demo(app, students=25, seed=7)
    written_by_the_domain = (Trajectory.DecisionRatified, Trajectory.DecisionReferredBack)
    texts: list[str] = []
    for trajectory_id in summary.trajectories.values():
        for e in events_of(app, trajectory_id):
            if isinstance(e, written_by_the_domain):
                continue
            for name in ("text", "notes", "rationale", "advice", "plan", "reason", "title"):
                value = getattr(e, name, None)
                if isinstance(value, str) and value:
                    texts.append(value)
            texts += list(getattr(e, "level_rationales", {}).values())
    english = re.compile(r"\b(the|and|with|Evidence|Good step|Discussed|shows)\b")
    assert not [x for x in texts if english.search(x)], "English text in the demo"
    dutch = re.compile(r"\b(de|het|een|en|van|ik|je|we|bij)\b")
    assert sum(1 for x in texts if dutch.search(x)) > 0.95 * len(texts)
    assert len(texts) > 500 and len(set(texts)) > len(texts) / 4
    # The same step reads differently from student to student.
    first_stakes = [
        next(e.feedback for e in events_of(app, t) if isinstance(e, Trajectory.MediumStakeHeld))
        for s, t in summary.trajectories.items()
        if app.get_trajectory(t).medium_stakes
    ]
    assert len(set(first_stakes)) > len(first_stakes) / 2
    program = app.get_program(summary.program_id)
    titles = [o.title for o in program.definition(1).outcomes]
    assert not [title for title in titles if english.search(title)]
    assert sum(1 for title in titles if dutch.search(title)) >= len(titles) - 1


def test_same_seed_same_class(tmp_path: Path) -> None:
    def seeded(name: str, seed: int) -> list[tuple[str, int, str, dict[str, object]]]:
        app = build_application(Settings(data_dir=tmp_path / name, _env_file=None).store)
        seed_demo(app, students=25, seed=seed, today=DAY)
        rows = fingerprint(app)
        app.close()
        return rows

    first, again, other = seeded("a", 7), seeded("b", 7), seeded("c", 8)
    assert first == again
    assert first != other


def test_the_store_receives_exactly_the_events_execute_recorded(app: Bewijsketen) -> None:
    """Playing on the application itself and seeding through the in-memory twin store the same
    events; and the seeded store goes on like any other."""
    direct = in_memory()
    try:
        play_demo(direct, students=25, seed=5, today=DAY)
        seed_demo(app, students=25, seed=5, today=DAY)
        assert fingerprint(app) == fingerprint(direct)
    finally:
        direct.close()
    before = app.recorder.max_notification_id()
    with pytest.raises(AlreadyExists):
        seed_demo(app, students=2, seed=1)
    assert app.recorder.max_notification_id() == before


def test_history_shows_both_days_and_keeps_judgments_sealed(app: Bewijsketen) -> None:
    summary = seed_demo(app, students=25, seed=7)
    student = next(s for s, kind in summary.scenarios.items() if kind == "failed_resit_judging")
    rows = history(app.trajectory_events(summary.trajectories[student]))
    assert [r.version for r in rows] == list(range(1, len(rows) + 1))
    judged = [r for r in rows if r.event_type == "JudgmentSubmitted"]
    assert judged and all("sealed" in r.summary and "bekwaam" not in r.summary for r in judged)
    assert all(r.actor_id and r.actor_role for r in rows)
    assert rows[0].occurred_on == summary.year.start and rows[0].recorded_later
    assert [r.occurred_on for r in rows] == sorted(r.occurred_on for r in rows)


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "220")
    return tmp_path / "var"


def test_cli_demo_and_trajectory_show(cli_env: Path) -> None:
    runner = CliRunner()
    seeded = runner.invoke(cli, ["demo", "--classes", "2"])
    assert seeded.exit_code == 0, seeded.output
    year = SchoolYear.ending_before(moments.today())
    assert year.cohort("A") in seeded.output and year.cohort("B") in seeded.output
    assert "failed_resit_passed" in seeded.output and "BURG-DS" in seeded.output
    assert re.search(r"seeded in \d+\.\d s", seeded.output)
    names = PersonRegistry.in_data_dir(cli_env).all()
    assert names["student-01"] and names["student-01"] != "student-01"
    assert len(set(names.values())) == len(names)

    app = build_application(Settings(data_dir=cli_env, _env_file=None).store)
    started = [
        str(n.originator_id)
        for n in app.recorder.select_notifications(start=1, limit=10**6)
        if n.topic.endswith("Trajectory.Started")
    ]
    trajectory_id = started[0]
    version = app.get_trajectory(uuid.UUID(trajectory_id)).version
    app.close()
    shown = runner.invoke(cli, ["trajectory", "show", trajectory_id])
    assert shown.exit_code == 0, shown.output
    assert "History" in shown.output and "Started" in shown.output
    assert "took place" in shown.output and year.start.isoformat() in shown.output
    past = runner.invoke(cli, ["trajectory", "show", trajectory_id, "--version", "1"])
    assert past.exit_code == 0 and "(version 1)" in past.output
    head = runner.invoke(cli, ["trajectory", "show", trajectory_id])
    assert f"(version {version})" in head.output
    again = runner.invoke(cli, ["demo"])
    assert again.exit_code == 1 and "already holds" in again.output
    missing = runner.invoke(cli, ["trajectory", "show", "00000000-0000-0000-0000-000000000000"])
    assert missing.exit_code == 1 and "not found" in missing.output
