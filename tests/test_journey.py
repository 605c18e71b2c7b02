"""Whole journeys through the application service, on both stores."""

from __future__ import annotations

from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from domain.values import Decision, Phase, Verdict, Vote


def test_start_to_ratified_pass(app: Bewijsketen) -> None:
    program_id = setup_program(app)
    journey = Journey(app, program_id, "student-1")
    journey.to_green_light()
    attempt = journey.request_high_stake()
    journey.assign(attempt)
    journey.judge(attempt, "assessor-1", "bekwaam")
    journey.judge(attempt, "assessor-2", "professional")
    # Levels differ without doubt: the assessors agree final levels, no CGI is needed.
    journey.agree(attempt, "bekwaam")
    assert journey.conclude(attempt) is True
    assert journey.votes(attempt) is Decision.RATIFIED
    trajectory = app.get_trajectory(journey.id)
    assert trajectory.phase is Phase.CLOSED
    assert trajectory.next_step().step == "closed"
    assert trajectory.attempts[0].concluded_levels == {code: "bekwaam" for code in journey.outcomes}


def test_failure_development_plan_resit_pass(app: Bewijsketen) -> None:
    program_id = setup_program(app)
    journey = Journey(app, program_id, "student-2")
    journey.to_green_light()
    first = journey.request_high_stake()
    journey.assign(first)
    failing = {code: "bekwaam" for code in journey.outcomes} | {"LO3": "vakkundig"}
    journey.judge(first, "assessor-1", failing, Verdict.FAIL)
    journey.judge(first, "assessor-2", failing, Verdict.FAIL)
    assert journey.conclude(first) is False
    assert journey.votes(first) is Decision.RATIFIED
    trajectory = app.get_trajectory(journey.id)
    assert trajectory.phase is Phase.RESIT
    assert trajectory.next_step().step == "development_plan"
    journey.development_plan(first)
    journey.evidence(["LO3"])
    second = journey.request_high_stake()
    assert second == 2
    journey.assign(second, ("assessor-2", "assessor-3"))
    journey.judge(second, "assessor-2", "bekwaam")
    journey.judge(second, "assessor-3", "bekwaam", Verdict.DOUBT)
    journey.interview(second, "assessor-2")
    journey.agree(second, "bekwaam", "assessor-3")
    assert journey.conclude(second, "assessor-3") is True
    assert journey.votes(second, ("committee-1", "committee-3"), Vote.RATIFY) is Decision.RATIFIED
    assert app.get_trajectory(journey.id).phase is Phase.CLOSED


def test_snapshots_and_time_travel(app: Bewijsketen) -> None:
    program_id = setup_program(app)
    journey = Journey(app, program_id, "student-3")
    journey.to_ratified_pass()
    head = app.get_trajectory(journey.id)
    app.take_snapshot(journey.id)
    assert app.get_trajectory(journey.id).__dict__ == head.__dict__
    events = list(app.trajectory_events(journey.id))
    middle = events[len(events) // 2]
    past = app.trajectory_as_of(journey.id, middle.timestamp)
    assert past.version == middle.originator_version
    assert (
        app.get_trajectory(journey.id, version=middle.originator_version).__dict__ == past.__dict__
    )
