"""The read-model endpoints over HTTP: read-your-writes, who sees what, /projections and /health.

The API runs with its embedded runner (on both stores), or without one, as when separate
`bewijsketen project` workers apply the log.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from api.settings import Settings
from domain.values import Role
from projections.models import all_models
from projections.runner import Runner
from projections.service import ProjectionService
from tests.api_support import Api, HttpJourney, api_settings, running_api, setup_program

QUALITY = ("quality-1", Role.QUALITY)
NAMES = [m.name for m in all_models()]


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


def test_read_your_writes_and_who_sees_what(api: Api) -> None:
    program_id = setup_program(api)
    mine = HttpJourney(api, program_id, "student-1", coach_id="coach-1")
    mine.to_green_light()
    other = HttpJourney(api, program_id, "student-2", coach_id="coach-2")
    other.start()
    position = other.positions[-1]

    answer = api.get("/read-models/progress", mine.student, params={"min_position": position})
    page = answer.json()
    assert page["stale"] is False and page["position"] >= position
    assert int(answer.headers["X-Projection-Position"]) == page["position"]
    assert [row["student_id"] for row in page["items"]] == ["student-1"]
    assert page["items"][0]["next_step"] == "high_stake_request"

    detail = api.get(f"/read-models/progress/{mine.id}", mine.student).json()
    assert [o["outcome"] for o in detail["outcomes"]] == mine.outcomes
    assert all(o["evidence_count"] == 2 and o["feedback_givers"] == 2 for o in detail["outcomes"])
    assert detail["trajectory"]["missing"] == []
    api.get(f"/read-models/progress/{other.id}", mine.student, 404)
    api.get(f"/read-models/progress/{other.id}", ("coach-1", Role.COACH), 404)
    api.get(f"/read-models/progress/{other.id}", ("coach-2", Role.COACH), 200)

    coach_page = api.get("/read-models/progress", ("coach-2", Role.COACH)).json()
    assert [row["student_id"] for row in coach_page["items"]] == ["student-2"]
    everyone = api.get("/read-models/progress", QUALITY, params={"limit": 1}).json()
    assert len(everyone["items"]) == 1 and everyone["next_offset"] == 1
    # An assessor reads the progress of the trajectories they assess: none yet.
    assert api.get("/read-models/progress", ("assessor-1", Role.ASSESSOR)).json()["items"] == []
    api.get("/read-models/cohorts", mine.student, 403)
    api.get("/read-models/borging/checks", ("coach-1", Role.COACH), 403)

    cohorts = api.get("/read-models/cohorts", ("mentor-1", Role.MENTOR)).json()["items"]
    assert [(c["cohort"], c["students"], c["ready_for_high_stake"]) for c in cohorts] == [
        ("2026-A", 2, 1)
    ]
    ready = api.get(
        "/read-models/cohort-members", ("coach-1", Role.COACH), params={"ready": "true"}
    ).json()
    assert [m["student_id"] for m in ready["items"]] == ["student-1"]


def test_a_position_beyond_the_log_is_answered_at_once_as_stale(api: Api) -> None:
    program_id = setup_program(api)
    journey = HttpJourney(api, program_id, "student-1")
    journey.start()
    began = time.monotonic()
    answer = api.get("/read-models/cohorts", QUALITY, params={"min_position": 10**12})
    assert time.monotonic() - began < 5
    assert answer.json()["stale"] is True
    assert answer.headers["X-Projection-Stale"] == "true"


def test_projections_and_health_report_positions_and_lag(api: Api) -> None:
    program_id = setup_program(api)
    journey = HttpJourney(api, program_id, "student-1")
    journey.start()
    api.get("/read-models/progress", QUALITY, params={"min_position": journey.positions[-1]})
    report = api.get("/projections", ("student-1", Role.STUDENT)).json()
    assert [p["name"] for p in report["projections"]] == NAMES
    assert report["runner"] == "embedded" and report["running"] is True
    progress = report["projections"][0]
    assert progress["position"] >= journey.positions[-1]
    assert (progress["lag_events"] == 0) == (progress["position"] == report["head"])
    health = api.get("/health", QUALITY).json()
    assert [p["name"] for p in health["services"]["projections"]["projections"]] == NAMES
    api.get("/projections", None, 401)


def test_filters_are_validated_not_failed(api: Api) -> None:
    # A time that cannot be converted to UTC, and text a database would refuse, are 422s.
    api.get(
        "/read-models/borging/checks", QUALITY, 422, params={"from": "9999-12-31T23:59:59-14:00"}
    )
    api.get("/read-models/progress", QUALITY, 422, params={"cohort": "a\x00b"})
    api.get("/read-models/progress", QUALITY, 422, params={"limit": 0})
    api.get("/read-models/borging/exceptions", QUALITY, 422, params={"to": "0.5"})
    page = api.get(
        "/read-models/borging/exceptions",
        QUALITY,
        params={"from": "2020-01-01T00:00:00", "item": "quorum"},
    ).json()
    assert page["items"] == []


@pytest.fixture
def external(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """The API without its own runner: separate workers apply the log."""
    monkeypatch.setenv("BEWIJSKETEN_READ_WAIT_MAX", "0.3")
    base = api_settings(settings)
    with running_api(
        Settings(**(base.model_dump() | {"embedded_projections": False}), _env_file=None)
    ) as api:
        yield api


def test_without_a_runner_queries_wait_then_say_they_are_stale(external: Api) -> None:
    program_id = setup_program(external)
    journey = HttpJourney(external, program_id, "student-1")
    journey.start()
    position = journey.positions[-1]
    stale = external.get("/read-models/progress", QUALITY, params={"min_position": position})
    assert stale.json()["stale"] is True and stale.json()["items"] == []
    service = external.state.services["projections"]
    assert isinstance(service, ProjectionService) and not service.running
    # A worker (here: a runner in this process) applies the log; the same query is now fresh.
    Runner(service.app, service.store, service.models, service.config).catch_up()
    fresh = external.get("/read-models/progress", QUALITY, params={"min_position": position})
    assert fresh.json()["stale"] is False
    assert [r["student_id"] for r in fresh.json()["items"]] == ["student-1"]
    assert external.get("/projections", QUALITY).json()["runner"] == "external"
