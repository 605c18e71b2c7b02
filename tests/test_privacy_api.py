"""The privacy routes over HTTP: the due list for the privacy officer, the access export for the
student and the privacy officer (404 for anyone else, as for an unknown student), and erasure
requests; refusals are problem documents naming the rule, and write nothing."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from io import BytesIO

import pytest

from api.settings import Settings
from domain.values import Role
from tests.api_support import Api, HttpJourney, api_settings, running_api, setup_program

OFFICER = ("privacy-1", Role.PRIVACY)
STUDENT = ("student-1", Role.STUDENT)
ERASURE = "/privacy/students/student-1/erasure-requests"
EXPORT = "/privacy/students/{}/export"
NOT_FOUND = "https://bewijsketen.nl/problems/not-found"


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


@pytest.fixture
def journey(api: Api) -> HttpJourney:
    journey = HttpJourney(api, setup_program(api), "student-1")
    journey.to_green_light()
    HttpJourney(api, journey.program_id, "student-2").start()
    return journey


def head(api: Api) -> int:
    return int(api.state.application.recorder.max_notification_id() or 0)


def test_the_privacy_officer_sees_what_is_due(api: Api, journey: HttpJourney) -> None:
    empty = api.get("/privacy/due", OFFICER).json()
    assert empty["due"] == [] and empty["waiting"] == []
    refused = api.get("/privacy/due", ("coach-1", Role.COACH), 403).json()
    assert refused["type"].endswith("/not-permitted")
    api.get("/privacy/due", None, 401)

    body = {"classes": "all", "reason": "Verzoek van de student"}
    made = api.post(ERASURE, body, STUDENT, 201).json()
    report = api.get("/privacy/due", OFFICER).json()
    # Formative is due at once on request; the exam record is kept while the trajectory runs.
    assert [(d["student_id"], d["retention"], d["because"]) for d in report["due"]] == [
        ("student-1", "formative", "request")
    ]
    assert report["due"][0]["request_id"] == made["id"]
    assert report["due"][0]["trajectory_ids"] == [journey.id]
    (waiting,) = report["waiting"]
    assert waiting["request_id"] == made["id"] and waiting["student_id"] == "student-1"


def test_an_erasure_request_is_the_students_own_or_the_officers(
    api: Api, journey: HttpJourney
) -> None:
    before = head(api)
    body = {"classes": "formative", "reason": "Verzoek van de student"}
    refused = api.post(ERASURE, body, ("student-2", Role.STUDENT), 403).json()
    assert refused["rule"] == "P1" and refused["detail_nl"]
    api.post(ERASURE, body, ("coach-1", Role.COACH), 403)
    # Bad input: a clear 422, nothing written.
    api.post(ERASURE, {"classes": "everything", "reason": "x"}, OFFICER, 422)
    api.post(ERASURE, {"classes": "all", "reason": ""}, OFFICER, 422)
    api.post("/privacy/students/%20/erasure-requests", body, OFFICER, 422)
    assert head(api) == before
    first = api.post(ERASURE, body, OFFICER, 201, headers={"Idempotency-Key": "rq-7"})
    again = api.post(ERASURE, body, OFFICER, 201, headers={"Idempotency-Key": "rq-7"})
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert head(api) == before + 1


def test_the_access_export_over_http(api: Api, journey: HttpJourney) -> None:
    response = api.get(EXPORT.format("student-1"), STUDENT)
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    with zipfile.ZipFile(BytesIO(response.content)) as archive:
        data = json.loads(archive.read("export.json"))
        page = archive.read("export.html").decode()
    (trajectory,) = data["trajectories"]
    assert trajectory["trajectory_id"] == journey.id
    assert len(trajectory["events"]) == api.event_count(journey.id)
    assert '<html lang="nl">' in page
    api.get(EXPORT.format("student-1"), OFFICER)
    # Anyone else: 404, word for word as for a student of whom nothing is stored.
    for who in (
        ("student-2", Role.STUDENT),
        ("coach-1", Role.COACH),
        ("quality-1", Role.QUALITY),
        ("admin-1", Role.ADMIN),
    ):
        before = head(api)
        seen = api.get(EXPORT.format("student-1"), who, 404).json()
        missing = api.get(EXPORT.format("student-77"), who, 404).json()
        assert seen["type"] == missing["type"] == NOT_FOUND
        assert seen["detail"].replace("student-1", "X") == missing["detail"].replace(
            "student-77", "X"
        )
        assert head(api) == before
    api.get(EXPORT.format("student-77"), OFFICER, 404)
    api.get(EXPORT.format("student-1"), None, 401)
