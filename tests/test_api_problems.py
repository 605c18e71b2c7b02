"""Every error is an RFC 9457 problem document with the right status; odd input is a 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.problems import problem_table
from api.settings import Settings
from api.state import AppState
from domain.values import Role
from tests.api_support import ADMIN, Api, HttpJourney, api_settings, running_api, setup_program

PROBLEM_JSON = "application/problem+json"
QUALITY = ("quality-1", Role.QUALITY)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


@pytest.fixture
def journey(api: Api) -> HttpJourney:
    journey = HttpJourney(api, setup_program(api), "student-1")
    journey.start()
    return journey


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://bewijsketen.nl/problems/")
    assert body["title"] and "instance" in body
    return body


def test_credentials(api: Api, journey: HttpJourney) -> None:
    no_token = problem(api.client.get(journey.path), 401)
    assert no_token["type"].endswith("/unauthorized")
    assert api.client.get(journey.path).headers["WWW-Authenticate"].startswith("Bearer")
    for bad in ("nonsense", "bwk_" + "A" * 43, "bwk_" + "é" * 43, "bwk_\x01"):
        # Headers travel as bytes, not always ASCII.
        header = [(b"Authorization", f"Bearer {bad}".encode("latin-1"))]
        problem(api.client.get(journey.path, headers=header), 401)
    problem(api.client.get(journey.path, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401)


def test_rule_refusals_name_the_rule(api: Api, journey: HttpJourney) -> None:
    # R7: no green light before the second medium-stake (a rule: 409).
    refused = problem(
        api.post(
            journey.path + "/green-light",
            {"decision": "give", "rationale": "x"},
            journey.coach,
            None,
        ),
        409,
    )
    assert refused["rule"] == "R7" and refused["type"].endswith("/rule-violation")
    # R4: an outcome the program version does not have (invalid input: 422).
    invalid = problem(
        api.post(
            journey.path + "/evidence", journey.evidence_body(["LO99"]), journey.student, None
        ),
        422,
    )
    assert invalid["rule"] == "R4" and invalid["type"].endswith("/invalid-input")
    # R1: an empty rationale is invalid input too, and says which rule wants it.
    empty = problem(
        api.post(
            journey.path + "/progress-checks", {"light": "red", "notes": " "}, journey.mentor, None
        ),
        422,
    )
    assert empty["rule"] == "R1"
    # A program named in the body that does not exist is an invalid reference, not a 404.
    start = {
        "program_id": "00000000-0000-0000-0000-000000000000",
        "student_id": "s",
        "cohort": "c",
        "coach_id": "coach-1",
        "mentor_id": "mentor-1",
    }
    problem(api.post("/trajectories", start, ("coach-1", Role.COACH), None), 422)


def test_unknown_ids_are_404(api: Api, journey: HttpJourney) -> None:
    unknown = "/trajectories/00000000-0000-0000-0000-000000000001"
    problem(api.get(unknown, ADMIN, None), 404)
    problem(api.get(unknown + "/history", ADMIN, None), 404)
    problem(
        api.post(unknown + "/evidence", journey.evidence_body(["LO1"]), journey.student, None), 404
    )
    problem(api.get("/programs/00000000-0000-0000-0000-000000000001", ADMIN, None), 404)
    problem(api.get("/no/such/path", ADMIN, None), 404)


ODD_QUERIES: list[tuple[str, dict[str, str] | None]] = [
    ("/trajectories/not-a-uuid", None),
    ("/trajectories/{id}", {"version": str(10**30)}),
    ("/trajectories/{id}", {"version": "-1"}),
    ("/trajectories/{id}", {"as_of": "yesterday"}),
    ("/trajectories/{id}", {"as_of": "0.5"}),
    ("/trajectories/{id}", {"as_of": "2026-01-01"}),
    ("/trajectories/{id}", {"as_of": "0001-01-01T00:00:00+01:00"}),
    ("/programs/{program}/versions/99999999999999999999", None),
]
ODD_BODY_CHANGES: list[dict[str, Any]] = [
    {"kind": "essay"},  # not an enum value
    {"sha256": "ABC"},  # not a SHA-256
    {"title": "\ud800"},  # a lone surrogate cannot be stored as UTF-8
    {"outcomes": ["\udfff"]},
    {"actor": {"person_id": "coach-1", "role": "coach"}},  # the actor is never in the body
    {"evidence_id": "a/b"},  # ids appear in paths
    {"title": "x" * 100_000},
    {"outcomes": "LO1"},
]


def test_odd_query_input_is_422(api: Api, journey: HttpJourney) -> None:
    for path, params in ODD_QUERIES:
        url = path.format(id=journey.id, program=journey.program_id)
        problem(api.get(url, ADMIN, None, params=params), 422)


def test_odd_body_input_is_422_and_writes_nothing(api: Api, journey: HttpJourney) -> None:
    events = api.event_count(journey.id)
    for change in ODD_BODY_CHANGES:
        body = journey.evidence_body(["LO1"]) | change
        problem(api.post(journey.path + "/evidence", body, journey.student, None), 422)
    assert api.event_count(journey.id) == events


def test_malformed_bodies(api: Api, journey: HttpJourney) -> None:
    headers = api.headers(journey.student) | {"content-type": "application/json"}
    url = journey.path + "/evidence"
    broken = problem(api.client.post(url, content=b"{not json", headers=headers), 400)
    assert broken["type"].endswith("/malformed-body")
    too_deep = problem(
        api.client.post(url, content=b"[" * 100_000 + b"]" * 100_000, headers=headers), 422
    )
    assert too_deep["type"].endswith("/body-too-deep")
    nan = json.dumps(journey.evidence_body(["LO1"])).replace('"LO1"', "NaN")
    problem(api.client.post(url, content=nan.encode(), headers=headers), 422)
    deep: Any = "x"
    for _ in range(200):
        deep = {"d": deep}
    correction = {"corrects_version": 1, "reason": "r", "details": deep}
    response = api.post(journey.path + "/corrections", correction, ADMIN, None)
    assert response.status_code < 500


def test_huge_numbers_in_bodies_and_headers(api: Api, journey: HttpJourney) -> None:
    correction = {"corrects_version": 10**40, "reason": "typo", "details": {}}
    problem(api.post(journey.path + "/corrections", correction, ADMIN, None), 422)
    problem(
        api.post(
            journey.path + "/evidence",
            journey.evidence_body(["LO1"]),
            journey.student,
            None,
            {"If-Match": '"' + "9" * 40 + '"'},
        ),
        422,
    )
    assessor = ("assessor-1", Role.ASSESSOR)
    problem(api.post(journey.path + "/high-stakes/99999999999/judgments", {}, assessor, None), 422)


def test_health_reports_the_store_and_the_services(api: Api) -> None:
    class Reporting:
        def start(self) -> None: ...

        def stop(self) -> None: ...

        def status(self) -> dict[str, Any]:
            return {"lag": 3, "running": True}

    class Silent:
        def start(self) -> None: ...

        def stop(self) -> None: ...

    class Failing(Silent):
        def status(self) -> dict[str, Any]:
            raise RuntimeError("boom")

    state: AppState = api.state
    state.services.update(reporting=Reporting(), silent=Silent(), failing=Failing())
    # Anonymous callers learn up or down, nothing more.
    assert api.client.get("/health").json() == {"status": "ok"}
    health = api.get("/health", QUALITY).json()
    assert health["status"] == "ok"
    assert health["store"] == ("postgres" if state.settings.uses_postgres else "sqlite")
    assert health["services"]["reporting"] == {"lag": 3, "running": True}
    assert "silent" not in health["services"]
    assert health["services"]["failing"] == {"error": "RuntimeError: boom"}
    assert health["position"] == state.application.recorder.max_notification_id()
    for name in ("reporting", "silent", "failing"):
        state.services.pop(name)


def test_openapi_declares_problems_and_docs_work(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and status != "503":
                    assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
            if operation.get("security"):
                assert "401" in operation["responses"], (method, path)
            if method == "post" and path.startswith(("/programs", "/trajectories")):
                names = {p["name"] for p in operation.get("parameters", [])}
                assert "Idempotency-Key" in names, path
    assert schema["paths"]["/trajectories/{trajectory_id}"]["get"]["security"]
    assert "security" not in schema["paths"]["/health"]["get"]
    assert api.client.get("/docs").status_code == 200


def test_every_problem_type_has_one_status_and_the_documented_one() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    assert problem_table() in doc, "docs/api.md lists other problem types than api/problems.py"
