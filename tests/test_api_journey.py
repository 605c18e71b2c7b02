"""A whole trajectory through HTTP only, on SQLite and on PostgreSQL: from start to a ratified
pass, with doubt, a criterion interview, sealed scores, time travel and the history."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest

from api.settings import Settings
from domain import commands as c
from domain.application import build_application
from domain.values import Actor, FeedbackSource, Role
from tests.api_support import Api, HttpJourney, api_settings, running_api, setup_program

ASSESSOR_1 = ("assessor-1", Role.ASSESSOR)
ASSESSOR_2 = ("assessor-2", Role.ASSESSOR)
INSPECTOR = ("inspector-1", Role.INSPECTOR)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


def judgments(api: Api, journey: HttpJourney, viewer: tuple[str, Role]) -> list[dict[str, object]]:
    view = api.get(journey.path, viewer).json()
    result: list[dict[str, object]] = view["attempts"][0]["judgments"]
    return result


def test_journey_to_ratified_pass_over_http(api: Api) -> None:
    program_id = setup_program(api)
    journey = HttpJourney(api, program_id, "student-1")
    started = journey.start()
    assert api.get(journey.path, journey.student).json()["phase"] == "orientation"
    assert started["version"] == 1

    journey.evidence_for_all()
    for code in journey.outcomes:
        journey.feedback("self", journey.student, [code])
        journey.feedback("coach", journey.coach, [code])
    HttpJourney(api, program_id, "student-2").start()  # a fellow student of the program
    journey.feedback("peer", ("student-2", Role.STUDENT), journey.outcomes[:2])
    journey.command(
        "/feedback-requests",
        {
            "request_id": "rq-1",
            "requested_from": "coach-1",
            "source": "coach",
            "outcomes": ["LO4"],
            "question": "Are my tests enough?",
        },
        journey.student,
    )
    answer = journey.feedback_body("coach", "coach-1", ["LO4"]) | {"request_id": "rq-1"}
    journey.command("/feedback", answer, journey.coach)
    journey.command("/progress-checks", {"light": "green", "notes": ""}, journey.mentor)

    first = journey.medium_stake("vakkundig")
    second = journey.medium_stake("bekwaam")
    assert (first["number"], second["number"]) == (1, 2)
    journey.command("/green-light", {"decision": "give", "rationale": "Ready"}, journey.coach)
    attempt = journey.request_high_stake()
    assert attempt == 1
    hs = f"/high-stakes/{attempt}"
    journey.command(
        hs + "/assessors",
        {"assessor_ids": ["assessor-1", "assessor-2"]},
        ("committee-3", Role.COMMITTEE),
    )

    journey.command(hs + "/judgments", journey.judgment_body(journey.levels("bekwaam")), ASSESSOR_1)
    # R11: until both have judged, the other assessor (and everyone else) sees it sealed.
    for viewer in (ASSESSOR_2, INSPECTOR, journey.student):
        seen = [
            (j["assessor_id"], j["sealed"], j["levels"], j["verdict"])
            for j in judgments(api, journey, viewer)
        ]
        assert seen == [("assessor-1", True, None, None)]
    own = judgments(api, journey, ASSESSOR_1)[0]
    assert own["sealed"] is False and own["verdict"] == "pass"

    doubtful = journey.judgment_body(journey.levels("bekwaam", LO4="vakkundig"), verdict="doubt")
    journey.command(hs + "/judgments", doubtful, ASSESSOR_2)
    assert not any(j["sealed"] for j in judgments(api, journey, INSPECTOR))
    view = api.get(journey.path, journey.coach).json()
    assert view["next_step"]["step"] == "criterion_interview"

    # R12: no conclusion before the CGI.
    refused = api.post(journey.path + hs + "/conclusion", {"rationale": "x"}, ASSESSOR_1, 409)
    assert refused.json()["rule"] == "R12"
    journey.command(hs + "/criterion-interviews", {"notes": "Asked about LO4 tests"}, ASSESSOR_1)
    journey.command(
        hs + "/final-levels",
        {"levels": journey.levels("bekwaam"), "rationale": "Agreed after the CGI"},
        ASSESSOR_2,
    )
    concluded = journey.command(hs + "/conclusion", {"rationale": "All bekwaam"}, ASSESSOR_1)
    assert concluded["passed"] is True

    vote = {"vote": "ratify", "rationale": "Procedure followed"}
    assert journey.command(hs + "/votes", vote, ("committee-1", Role.COMMITTEE))["decision"] is None
    last = journey.command(hs + "/votes", vote, ("committee-2", Role.COMMITTEE))
    assert last["decision"] == "ratified"

    final = api.get(journey.path, journey.student)
    view = final.json()
    assert view["phase"] == "closed" and view["closed"] is True
    assert view["attempts"][0]["decision"] == "ratified"
    assert view["attempts"][0]["concluded_levels"] == journey.levels("bekwaam")
    # The ETag is the version the last command answered with.
    assert final.headers["ETag"] == f'"{last["version"]}"' and view["version"] == last["version"]
    # Positions grow with every command: read-your-writes can wait for them.
    assert journey.positions == sorted(journey.positions)
    assert len(set(journey.positions)) == len(journey.positions)
    assert api.state.application.recorder.max_notification_id() == journey.positions[-1]

    # R16: a closed trajectory takes no more evidence.
    closed = api.post(
        journey.path + "/evidence", journey.evidence_body(["LO1"]), journey.student, 409
    )
    assert closed.json()["rule"] == "R16"


def test_history_time_travel_and_etags(api: Api) -> None:
    program_id = setup_program(api)
    journey = HttpJourney(api, program_id, "student-7")
    journey.start()
    journey.evidence(["LO1"])
    journey.evidence(["LO2"])
    journey.command("/progress-checks", {"light": "red", "notes": "Too little"}, journey.mentor)

    history = api.get(journey.path + "/history", INSPECTOR).json()["items"]
    assert [row["event_type"] for row in history] == [
        "Started",
        "EvidenceSubmitted",
        "EvidenceSubmitted",
        "ProgressChecked",
    ]
    assert [row["version"] for row in history] == [1, 2, 3, 4]
    assert history[3]["actor_id"] == "mentor-1" and history[3]["actor_role"] == "mentor"

    by_version = api.get(journey.path, INSPECTOR, params={"version": 2}).json()
    assert by_version["version"] == 2 and len(by_version["evidence"]) == 1
    as_of = api.get(journey.path, INSPECTOR, params={"as_of": history[2]["timestamp"]}).json()
    assert as_of["version"] == 3 and len(as_of["evidence"]) == 2
    assert api.get(journey.path, INSPECTOR, 404, params={"version": 99}).json()["status"] == 404
    before = "2000-01-01T00:00:00"
    api.get(journey.path, INSPECTOR, 404, params={"as_of": before})
    api.get(journey.path, INSPECTOR, 422, params={"as_of": history[2]["timestamp"], "version": 2})

    current = api.get(journey.path, journey.coach)
    tag = current.headers["ETag"]
    assert tag == '"4"'
    not_modified = api.get(journey.path, journey.coach, 304, headers={"If-None-Match": tag})
    assert not_modified.content == b""
    api.get(journey.path, journey.coach, 200, headers={"If-None-Match": '"3"'})

    program = api.get(f"/programs/{program_id}", journey.student).json()
    assert program["code"] == "SD-AI" and program["versions"] == [1]
    version = api.get(f"/programs/{program_id}/versions/1", journey.student).json()
    assert [o["code"] for o in version["definition"]["outcomes"]] == journey.outcomes
    api.get(f"/programs/{program_id}/versions/2", journey.student, 404)


def test_reads_see_writes_made_elsewhere(api: Api, settings: Settings) -> None:
    """GET answers from memory, caught up with the store on every request: a write by another
    process (here: a second application on the same store) shows at once."""
    program_id = setup_program(api)
    journey = HttpJourney(api, program_id, "student-8")
    journey.start()
    assert api.get(journey.path, INSPECTOR).json()["version"] == 1
    elsewhere = build_application(settings.store)
    try:
        student = Actor("student-8", Role.STUDENT)
        for n in range(3):
            written = c.GiveFeedback(
                trajectory_id=uuid.UUID(journey.id),
                feedback_id=f"far-{n}",
                source=FeedbackSource.SELF,
                giver_id="student-8",
                outcomes=["LO1"],
                text="Written by another process",
            )
            elsewhere.execute(written, student)
            view = api.get(journey.path, INSPECTOR).json()
            assert view["version"] == 2 + n
            assert [f["feedback_id"] for f in view["feedback"]] == [
                f"far-{i}" for i in range(n + 1)
            ]
    finally:
        elsewhere.close()
    # The API's own writes are read back at once too (read-your-writes).
    journey.feedback("self", journey.student, ["LO2"])
    assert api.get(journey.path, journey.student).json()["version"] == 5


def test_concurrent_reads_and_writes_stay_consistent(settings: Settings) -> None:
    """Readers in many threads, a read cache smaller than the trajectories read (so entries
    are evicted and rebuilt all the time), writers in between: every view is whole."""
    tiny = api_settings(settings).model_copy(update={"read_cache": 1})
    with running_api(tiny) as api:
        program_id = setup_program(api)
        journeys = [HttpJourney(api, program_id, f"student-{n}") for n in (21, 22, 23)]
        for journey in journeys:
            journey.start()
        stop = threading.Event()
        seen: list[tuple[int, int]] = []

        def read(journey: HttpJourney) -> None:
            while not stop.is_set():
                view = api.get(journey.path, INSPECTOR).json()
                seen.append((view["version"], 1 + len(view["evidence"]) + len(view["feedback"])))

        readers = [threading.Thread(target=read, args=(j,)) for j in journeys * 2]
        for reader in readers:
            reader.start()
        try:
            for _ in range(4):
                for journey in journeys:
                    journey.evidence(["LO1"])
                    journey.feedback("self", journey.student, ["LO1"])
        finally:
            stop.set()
            for reader in readers:
                reader.join()
        assert seen and all(version == events for version, events in seen)
        for journey in journeys:
            assert api.get(journey.path, INSPECTOR).json()["version"] == 9
