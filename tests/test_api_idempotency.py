"""Idempotency-Key and If-Match over HTTP, on both stores: a repeat returns the first answer and
writes nothing, also when the same request arrives from several threads at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from api.settings import Settings
from domain.journey import SOFTWARE_DEVELOPER
from domain.values import Role
from tests.api_support import ADMIN, Api, HttpJourney, api_settings, running_api, setup_program

THREADS = 8


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


@pytest.fixture
def journey(api: Api) -> HttpJourney:
    journey = HttpJourney(api, setup_program(api), "student-1")
    journey.start()
    return journey


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def same_answer(first: Any, repeat: Any) -> None:
    assert repeat.status_code == first.status_code
    assert repeat.json() == first.json()
    assert repeat.headers["ETag"] == first.headers["ETag"]
    assert repeat.headers.get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first.headers


def test_a_repeat_returns_the_first_answer_and_writes_nothing(
    api: Api, journey: HttpJourney
) -> None:
    body = journey.evidence_body(["LO1"])
    first = api.post(journey.path + "/evidence", body, journey.student, 200, key("ev-once"))
    events = api.event_count(journey.id)
    # Other commands in between do not change the answer to the repeat.
    journey.evidence(["LO2"])
    # Key order and spelled-out defaults do not make it another request.
    reordered = dict(reversed(list(body.items()))) | {"ai_use": False, "criteria": []}
    repeat = api.post(journey.path + "/evidence", reordered, journey.student, 200, key("ev-once"))
    same_answer(first, repeat)
    assert api.event_count(journey.id) == events + 1  # only the LO2 evidence was added


def test_the_same_key_with_another_body_or_actor_is_refused(api: Api, journey: HttpJourney) -> None:
    body = journey.feedback_body("self", "student-1", ["LO1"])
    api.post(journey.path + "/feedback", body, journey.student, 200, key("fb-1"))
    events = api.event_count(journey.id)
    changed = body | {"text": "Something else"}
    refused = api.post(journey.path + "/feedback", changed, journey.student, 422, key("fb-1"))
    assert refused.json()["type"].endswith("/idempotency-key-reused")
    assert refused.headers["content-type"] == "application/problem+json"
    # The actor is part of the request: the coach cannot replay the student's answer.
    coach_body = journey.feedback_body("coach", "coach-1", ["LO1"]) | {
        "feedback_id": body["feedback_id"]
    }
    api.post(journey.path + "/feedback", coach_body, journey.coach, 422, key("fb-1"))
    assert api.event_count(journey.id) == events


def test_creates_replay_and_plain_repeats_conflict(api: Api) -> None:
    first = api.post("/programs", {"code": "P1", "title": "One"}, ADMIN, 201, key("p1"))
    repeat = api.post("/programs", {"code": "P1", "title": "One"}, ADMIN, 201, key("p1"))
    same_answer(first, repeat)
    assert first.headers["Location"] == repeat.headers["Location"]
    conflict = api.post("/programs", {"code": "P1", "title": "One"}, ADMIN, 409)
    assert conflict.json()["type"].endswith("/already-exists")

    program_id = first.json()["id"]
    path = f"/programs/{program_id}/versions"
    published = api.post(path, SOFTWARE_DEVELOPER, ADMIN, 201, key("v1"))
    same_answer(published, api.post(path, SOFTWARE_DEVELOPER, ADMIN, 201, key("v1")))
    assert published.json()["number"] == 1
    for person, role in (("coach-1", "coach"), ("mentor-1", "mentor")):
        staff = {"person_id": person, "role": role}
        registered = api.post(f"/programs/{program_id}/staff", staff, ADMIN, 200, key(person))
        replay = api.post(f"/programs/{program_id}/staff", staff, ADMIN, 200, key(person))
        same_answer(registered, replay)
    assert api.event_count(program_id) == 4

    start = {
        "program_id": program_id,
        "student_id": "s-1",
        "cohort": "2026-A",
        "coach_id": "coach-1",
        "mentor_id": "mentor-1",
    }
    coach = ("coach-1", Role.COACH)
    started = api.post("/trajectories", start, coach, 201, key("start-s-1"))
    same_answer(started, api.post("/trajectories", start, coach, 201, key("start-s-1")))
    api.post("/trajectories", start, coach, 409)
    assert api.event_count(started.json()["id"]) == 1


def test_replays_keep_the_value_of_the_first_answer(api: Api, journey: HttpJourney) -> None:
    journey.evidence_for_all()
    levels = {
        "portfolio": journey.evidence_ids[:2],
        "levels": journey.levels("vakkundig"),
        "rationale": "Against the rubric",
    }
    first = api.post(journey.path + "/medium-stakes", levels, journey.coach, 200, key("ms-1"))
    assert first.json()["number"] == 1
    journey.medium_stake("bekwaam")
    same_answer(
        first, api.post(journey.path + "/medium-stakes", levels, journey.coach, 200, key("ms-1"))
    )


def concurrently(n: int, request: Callable[[], Any]) -> list[Any]:
    """Sends the same request from n threads released at the same moment."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = request()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_repeats_are_written_once(api: Api, journey: HttpJourney) -> None:
    body = journey.feedback_body("self", "student-1", ["LO3"])
    before = api.event_count(journey.id)
    answers = concurrently(
        THREADS,
        lambda: api.post(journey.path + "/feedback", body, journey.student, None, key("race")),
    )
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    assert api.event_count(journey.id) == before + 1
    given = [
        f
        for f in api.get(journey.path, journey.student).json()["feedback"]
        if f["feedback_id"] == body["feedback_id"]
    ]
    assert len(given) == 1


def test_concurrent_creates_are_written_once(api: Api) -> None:
    program_id = setup_program(api)
    start = {
        "program_id": program_id,
        "student_id": "s-9",
        "cohort": "2026-A",
        "coach_id": "coach-1",
        "mentor_id": "mentor-1",
    }
    answers = concurrently(
        THREADS,
        lambda: api.post("/trajectories", start, ("coach-1", Role.COACH), None, key("s-9")),
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.text for a in answers}) == 1
    assert api.event_count(answers[0].json()["id"]) == 1


def test_if_match_guards_against_lost_updates(api: Api, journey: HttpJourney) -> None:
    current = api.get(journey.path, journey.student).headers["ETag"]
    body = journey.evidence_body(["LO1"])
    guarded = {"If-Match": current, "Idempotency-Key": "guarded"}
    ok = api.post(journey.path + "/evidence", body, journey.student, 200, guarded)
    assert ok.json()["version"] == 2 and ok.headers["ETag"] == '"2"'
    stale = api.post(
        journey.path + "/evidence",
        journey.evidence_body(["LO2"]),
        journey.student,
        412,
        {"If-Match": current},
    )
    assert stale.json()["current_version"] == 2
    assert stale.json()["type"].endswith("/version-mismatch")
    # Weak and bare forms name the same version; `*` matches any.
    for header in ('W/"2"', "2"):
        refused = api.post(
            journey.path + "/evidence",
            journey.evidence_body(["LO2"]),
            journey.student,
            412,
            {"If-Match": header.replace("2", "1")},
        )
        assert refused.json()["current_version"] == 2
    api.post(
        journey.path + "/evidence",
        journey.evidence_body(["LO2"]),
        journey.student,
        200,
        {"If-Match": "*"},
    )
    api.post(
        journey.path + "/evidence",
        journey.evidence_body(["LO2"]),
        journey.student,
        422,
        {"If-Match": "yesterday"},
    )
    # A repeat of a request that succeeded is answered as before, despite its stale If-Match.
    same_answer(ok, api.post(journey.path + "/evidence", body, journey.student, 200, guarded))
