"""What the read models say about known journeys: progress, cohorts and borging, both stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from domain.values import Decision, EvidenceKind, FeedbackSource, TrafficLight, Verdict, Vote
from projections.models import all_models
from projections.queries import ReadQueries
from projections.runner import Runner
from projections.store import ReadStore, open_store
from tests.test_projections_support import assert_equal_dumps, dump, read_config, rebuilt


@pytest.fixture
def read(app: Bewijsketen, settings: Settings) -> Iterator[tuple[Runner, ReadStore]]:
    config = read_config(settings)
    store = open_store(config)
    runner = Runner(app, store, all_models(), config)
    runner.ensure()
    yield runner, store
    store.close()


def rows(store: ReadStore, table: str, **where: Any) -> list[dict[str, Any]]:
    found = store.query(f"SELECT * FROM {store.live.q(table)}")
    return [r for r in found if all(str(r[k]) == str(v) for k, v in where.items())]


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def concluded(journey: Journey, levels: str = "bekwaam") -> int:
    attempt = journey.request_high_stake()
    journey.assign(attempt)
    journey.judge(attempt, "assessor-1", levels)
    journey.judge(attempt, "assessor-2", levels)
    journey.conclude(attempt)
    return attempt


def test_progress_per_outcome_and_light_history(
    app: Bewijsketen, read: tuple[Runner, ReadStore]
) -> None:
    runner, store = read
    program_id = setup_program(app)
    j = Journey(app, program_id, "student-1")
    j.start()
    app.execute(
        j.on(c.MeasureBaseline, outcome="LO1", level="beginnend", rationale="Start"), j.student
    )
    j.evidence(["LO1", "LO2"])
    j.evidence(["LO1"])
    j.feedback(FeedbackSource.SELF, "student-1", ["LO1"])
    Journey(app, program_id, "student-2").start()  # a fellow student of the program
    j.feedback(FeedbackSource.PEER, "student-2", ["LO1"])
    j.feedback(FeedbackSource.PEER, "student-2", ["LO1"])
    app.execute(
        j.on(
            c.GiveFeedback,
            feedback_id="fb-c",
            source=FeedbackSource.COACH,
            giver_id="coach-1",
            outcomes=[],
            criteria=["LO2.1"],
            text="On a criterion of LO2",
        ),
        j.coach,
    )
    j.progress_check(TrafficLight.ORANGE, "Plan more")
    j.progress_check(TrafficLight.GREEN)
    runner.catch_up()
    (row,) = rows(store, "progress_trajectories", trajectory_id=j.id)
    assert (row["phase"], row["latest_light"], row["evidence_items"]) == ("low_stakes", "green", 2)
    assert row["next_step"].startswith("medium_stake_1")
    assert as_json(row["missing"]) == [f"R6: no evidence yet for LO{i}" for i in (3, 4, 5)]
    outcomes = {r["outcome"]: r for r in rows(store, "progress_outcomes", trajectory_id=j.id)}
    lo1, lo2 = outcomes["LO1"], outcomes["LO2"]
    assert (lo1["latest_level"], lo1["level_source"], lo1["evidence_count"]) == (
        "beginnend",
        "baseline",
        2,
    )
    assert (lo1["feedback_givers"], lo1["feedback_self"], lo1["feedback_peer"]) == (2, 1, 2)
    # Feedback on a criterion counts for the outcome the criterion belongs to.
    assert (lo2["feedback_givers"], lo2["feedback_coach"], lo2["evidence_count"]) == (1, 1, 1)
    lights = sorted(rows(store, "progress_lights", trajectory_id=j.id), key=lambda r: r["seq"])
    assert [(r["seq"], r["light"], r["checked_by"]) for r in lights] == [
        (1, "orange", "mentor-1"),
        (2, "green", "mentor-1"),
    ]
    # Later levels replace earlier ones, and say where they come from.
    j.evidence_for_all()
    j.medium_stake("vakkundig")
    runner.catch_up()
    lo1 = rows(store, "progress_outcomes", trajectory_id=j.id, outcome="LO1")[0]
    assert (lo1["latest_level"], lo1["level_source"], lo1["baseline_level"]) == (
        "vakkundig",
        "medium_stake_1",
        "beginnend",
    )


def test_cohort_overview_counts_risk_readiness_and_workload(
    app: Bewijsketen, settings: Settings, read: tuple[Runner, ReadStore]
) -> None:
    runner, store = read
    program_id = setup_program(app)
    ready = Journey(app, program_id, "student-ready")
    ready.to_green_light()
    red = Journey(app, program_id, "student-red")
    red.start()
    red.progress_check(TrafficLight.RED, "Several things")
    judging = Journey(app, program_id, "student-judging")
    judging.to_green_light()
    attempt = judging.request_high_stake()
    judging.assign(attempt)
    judging.judge(attempt, "assessor-1", "bekwaam")
    other_cohort = Journey(app, program_id, "student-b", cohort="2026-B")
    other_cohort.start()
    runner.catch_up()

    queries = ReadQueries(store)
    where = queries.where().eq("program_id", program_id).eq("cohort", "2026-A")
    (summary,) = queries.cohorts(where, 10, 0, inactive_days=14).items
    assert summary["students"] == 3
    assert summary["by_phase"] == {"medium_stakes": 1, "low_stakes": 1, "high_stake": 1}
    assert summary["by_light"] == {"none": 2, "red": 1}
    assert (summary["at_risk"], summary["ready_for_high_stake"]) == (1, 1)
    assert summary["upcoming"] == {"medium_stake_1": 1, "medium_stake_2": 0, "high_stake": 1}

    members = queries.members(queries.where().eq("cohort", "2026-A"), 10, 0, 14, at_risk=True)
    assert [(m["student_id"], m["at_risk_reasons"]) for m in members.items] == [
        ("student-red", ["latest traffic light is red"])
    ]
    # All activity is recent: even a one-day window finds nobody inactive, only the red light.
    assert queries.members(queries.where(), 10, 0, 1, at_risk=True).items[0]["student_id"] == (
        "student-red"
    )
    everything = queries.workload(queries.where(), False, 10, 0).items
    workload = {w["assessor_id"]: w for w in everything}
    assert workload["assessor-1"]["judged"] == 1 and workload["assessor-1"]["to_judge"] == 0
    assert workload["assessor-2"]["to_judge"] == 1
    in_cohort = queries.workload(queries.where().eq("cohort", "2026-B"), True, 10, 0).items
    assert in_cohort == []
    assert_equal_dumps(dump(store), rebuilt(app, settings))


def test_borging_checklists_and_exceptions(
    app: Bewijsketen, settings: Settings, read: tuple[Runner, ReadStore]
) -> None:
    runner, store = read
    program_id = setup_program(app)
    fine = Journey(app, program_id, "student-fine")
    fine.to_ratified_pass()

    # Only self-reflection as feedback, and every evidence item of one kind.
    narrow = Journey(app, program_id, "student-narrow")
    narrow.start()
    for _ in range(2):
        for code in narrow.outcomes:
            narrow.evidence([code], kind=EvidenceKind.REPORT)
    for code in narrow.outcomes:
        narrow.feedback(FeedbackSource.SELF, "student-narrow", [code])
    narrow.medium_stake("vakkundig")
    narrow.medium_stake("bekwaam")
    narrow.green_light()
    concluded(narrow)  # the committee has not voted yet

    # Declared AI use, explained in the reading guide; the committee refers it back.
    ai = Journey(app, program_id, "student-ai")
    ai.start()
    ai.evidence_for_all(ai_first=True)
    for code in ai.outcomes:
        ai.feedback(FeedbackSource.SELF, "student-ai", [code])
        ai.feedback(FeedbackSource.COACH, "coach-1", [code])
    ai.medium_stake("vakkundig")
    ai.medium_stake("bekwaam")
    ai.green_light()
    attempt = ai.request_high_stake(ai_explanation="Drafts were written with an assistant")
    ai.assign(attempt)
    ai.judge(attempt, "assessor-1", "bekwaam")
    ai.judge(
        attempt,
        "assessor-2",
        {c: "bekwaam" for c in ai.outcomes} | {"LO3": "vakkundig"},
        Verdict.DOUBT,
    )
    ai.interview(attempt)
    ai.agree(attempt, "bekwaam")
    ai.conclude(attempt)
    assert ai.votes(attempt, vote=Vote.REFER_BACK) is Decision.REFERRED_BACK
    runner.catch_up()

    checks = {r["student_id"]: r for r in rows(store, "borging_checks")}
    assert (
        bool(checks["student-fine"]["all_ok"]) and checks["student-fine"]["decision"] == "ratified"
    )
    n = checks["student-narrow"]
    assert (n["decision"], bool(n["quorum"]), bool(n["feedback_givers"])) == (
        "pending",
        False,
        False,
    )
    assert not n["evidence_variety"] and n["exceptions"] == 2
    evidence = as_json(n["evidence"])
    assert evidence["evidence_variety"]["kinds"] == ["report"]
    assert evidence["feedback_givers"]["per_outcome"] == {f"LO{i}": 1 for i in range(1, 6)}
    a = checks["student-ai"]
    assert (a["decision"], bool(a["quorum"]), bool(a["ai_use_explained"])) == (
        "referred_back",
        True,
        True,
    )
    assert as_json(a["evidence"])["ai_use_explained"]["declared"] == ["ev-1"]

    queries = ReadQueries(store)
    exceptions = queries.borging_exceptions(queries.where().eq("program_id", program_id), 50, 0)
    assert sorted((e["student_id"], e["item"]) for e in exceptions.items) == [
        ("student-ai", "no_referral"),
        ("student-narrow", "evidence_variety"),
        ("student-narrow", "feedback_givers"),
    ]
    referral = next(e for e in exceptions.items if e["item"] == "no_referral")
    assert "referred back in round 1" in referral["detail"] and "2 refer back" in referral["detail"]
    assert not a["no_referral"] and a["exceptions"] == 1
    later = queries.where().since("concluded_at", _after(n["concluded_at"]))
    assert queries.borging_exceptions(later, 50, 0).items == []
    assert_equal_dumps(dump(store), rebuilt(app, settings))


def _after(moment: Any) -> datetime:
    value = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    return value + timedelta(seconds=1)
