"""The authorization matrix of docs/authorization.md, checked for every route × every role.

The operations come from the app's own routes, so a new route without a row in the matrix fails
here. Each (operation, role) sends a real request: the body is the example the operation's
OpenAPI schema declares, the path names a real program, trajectory, attempt and evidence item,
and the token belongs to the persona who would act in that trajectory. A refused role must get
the route's 403 (401 without a token); an allowed role must get past the route's gate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from api.app import create_app
from api.settings import ApiSettings
from domain.config import Settings
from domain.values import Role
from tests.api_support import Api, HttpJourney, api_settings, running_api, setup_program

MATRIX_DOC = Path(__file__).resolve().parent.parent / "docs" / "authorization.md"
ROLES = ["anonymous", *(role.value for role in Role)]
PERSONAS = {
    Role.STUDENT: "student-1",
    Role.COACH: "coach-1",
    Role.MENTOR: "mentor-1",
    Role.ASSESSOR: "assessor-1",
    Role.COMMITTEE: "committee-1",
    Role.QUALITY: "quality-1",
    Role.INSPECTOR: "inspector-1",
    Role.ADMIN: "admin-1",
}
FORBIDDEN = "https://bewijsketen.nl/problems/forbidden"
# Reads whose answer for the world's personas is known: 200. (Other modules' reads may need
# query parameters or caught-up read models; for them only the gate is checked.)
KNOWN_READS = {
    "GET /health",
    "GET /programs/{program_id}",
    "GET /programs/{program_id}/versions/{number}",
    "GET /trajectories/{trajectory_id}",
    "GET /trajectories/{trajectory_id}/history",
}


class PathValues(dict[str, str]):
    """The world's ids by path parameter name; any other parameter is "1"."""

    def __missing__(self, key: str) -> str:
        return "1"


def read_matrix(path: Path = MATRIX_DOC) -> dict[str, dict[str, str]]:
    """Rows of the markdown table: "METHOD /path" → {role column: yes | own | —}."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| operation |"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    rows: dict[str, dict[str, str]] = {}
    for line in lines:
        match = re.match(r"^\| `([A-Z]+ [^`]+)` \|(.*)\|\s*$", line)
        if match:
            cells = [c.strip() for c in match.group(2).split("|")]
            assert len(cells) == len(columns), f"malformed matrix row: {line}"
            rows[match.group(1)] = dict(zip(columns, cells, strict=True))
    return rows


def app_operations() -> list[str]:
    """Every method and path of every API route, hidden ones (not in OpenAPI) included."""
    app = create_app(ApiSettings(_env_file=None))
    return sorted(
        f"{method} {context.path}"
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.original_route.methods or ()
    )


MATRIX = read_matrix()
OPERATIONS = app_operations()


def example_body(schema: dict[str, Any], operation: str) -> Any:
    method, path = operation.split(" ", 1)
    spec = schema["paths"][path][method.lower()]
    content = spec.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
    examples = schema["components"]["schemas"][ref].get("examples")
    assert examples, f"{operation}: the request body {ref} declares no example"
    return examples[0]


class World:
    """A program and a trajectory at its high-stake, for every role's request to act on."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.schema = api.app.openapi()
        self.program_id = setup_program(api)
        journey = HttpJourney(api, self.program_id, PERSONAS[Role.STUDENT])
        journey.to_green_light()
        journey.request_high_stake()
        journey.command(
            "/high-stakes/1/assessors",
            {"assessor_ids": ["assessor-1", "assessor-2"]},
            ("admin-1", Role.ADMIN),
        )
        self.trajectory_id = journey.id

    def call(self, operation: str, role: str) -> Any:
        method, template = operation.split(" ", 1)
        values = PathValues(
            program_id=self.program_id, trajectory_id=self.trajectory_id, evidence_id="ev-1"
        )
        path = template.format_map(values)
        as_ = None if role == "anonymous" else (PERSONAS[Role(role)], Role(role))
        body = example_body(self.schema, operation)
        return self.api.client.request(method, path, json=body, headers=self.api.headers(as_))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("authorization")
    settings = ApiSettings(data_dir=data_dir, database_url=None, _env_file=None)
    with running_api(settings) as api:
        yield World(api)


def test_every_matrix_row_is_a_route() -> None:
    stale = sorted(set(MATRIX) - set(OPERATIONS))
    assert not stale, f"docs/authorization.md has rows for routes that do not exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_authorization_matrix(world: World, operation: str, role: str) -> None:
    row = MATRIX.get(operation)
    assert row is not None, f"{operation} has no row in docs/authorization.md"
    permission = row[role]
    assert permission in ("yes", "own", "—"), f"{operation}: unknown cell {permission!r}"
    response = world.call(operation, role)
    problem = response.json() if response.status_code >= 400 else {}
    if permission == "—":
        expected = 401 if role == "anonymous" else 403
        assert response.status_code == expected, response.text
        assert response.headers["content-type"] == "application/problem+json"
        if expected == 403:
            assert problem["type"] == FORBIDDEN
        return
    assert response.status_code != 401, response.text
    assert problem.get("type") != FORBIDDEN, response.text
    if operation in KNOWN_READS:
        # Every persona may read the world's program and trajectory (the student: their own).
        assert response.status_code == 200, response.text


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


def test_a_student_reads_only_their_own_trajectories(api: Api) -> None:
    program_id = setup_program(api)
    mine = HttpJourney(api, program_id, "student-1")
    mine.start()
    other = HttpJourney(api, program_id, "student-2")
    other.start()
    api.get(mine.path, mine.student, 200)
    api.get(mine.path + "/history", mine.student, 200)
    api.get(mine.path, mine.student, 200, params={"version": 1})
    for suffix, params in (
        ("", None),
        ("/history", None),
        ("", {"version": 1}),
        ("", {"as_of": "2999-01-01T00:00:00Z"}),
    ):
        refused = api.get(other.path + suffix, mine.student, 404, params=params)
        assert refused.json()["type"].endswith("/not-found")
    for reader in (("quality-1", Role.QUALITY), ("inspector-1", Role.INSPECTOR)):
        api.get(other.path, reader, 200)
        api.get(other.path + "/history", reader, 200)


def test_the_domain_checks_the_person_behind_the_role(api: Api) -> None:
    program_id = setup_program(api)
    journey = HttpJourney(api, program_id, "student-1", coach_id="coach-1")
    journey.start()
    journey.evidence_for_all()
    journey.medium_stake("vakkundig")
    journey.medium_stake("bekwaam")

    def refused(suffix: str, body: dict[str, Any], as_: tuple[str, Role], rule: str) -> None:
        problem = api.post(journey.path + suffix, body, as_, 403).json()
        assert problem["type"].endswith("/not-permitted") and problem["rule"] == rule

    # Only the trajectory's own coach gives the green light (R7); coach-2 is a coach too.
    refused(
        "/green-light", {"decision": "give", "rationale": "Ready"}, ("coach-2", Role.COACH), "R7"
    )
    # Evidence is the trajectory's own student's (R1).
    refused("/evidence", journey.evidence_body(["LO1"]), ("student-2", Role.STUDENT), "R1")
    journey.command("/green-light", {"decision": "give", "rationale": "Ready"}, journey.coach)
    journey.request_high_stake()
    journey.command(
        "/high-stakes/1/assessors",
        {"assessor_ids": ["assessor-1", "assessor-2"]},
        ("committee-1", Role.COMMITTEE),
    )
    # Only assessors assigned to the attempt judge (R11): assessor-3 is registered, not assigned.
    judgment = journey.judgment_body(journey.levels("bekwaam"))
    refused("/high-stakes/1/judgments", judgment, ("assessor-3", Role.ASSESSOR), "R11")
    journey.command("/high-stakes/1/judgments", judgment, ("assessor-1", Role.ASSESSOR))
    journey.command("/high-stakes/1/judgments", judgment, ("assessor-2", Role.ASSESSOR))
    journey.command(
        "/high-stakes/1/conclusion", {"rationale": "All bekwaam"}, ("assessor-1", Role.ASSESSOR)
    )
    # Only members of the program's committee vote (R14).
    vote = {"vote": "ratify", "rationale": "Fine"}
    refused("/high-stakes/1/votes", vote, ("committee-9", Role.COMMITTEE), "R14")
    assert journey.command("/high-stakes/1/votes", vote, ("committee-1", Role.COMMITTEE))
