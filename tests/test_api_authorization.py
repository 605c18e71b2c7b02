"""Who may call what, by relation: every operation × every kind of caller, generated from the
declarations, and each access problem once found as its own regression test.

The operations come from the app's own routes; what each caller should get comes from the
command's `issued_by` or the read's declared readers (domain/policy.py), applied to the caller's
relations to the world's trajectory. Those relations are written out here by hand, as the
ground truth the policy must compute. A command from someone allowed is sent with an If-Match
that cannot match: it passes the access check and is then refused with 412 (a caller who may
write but not read gets the 404 of every refusal), so the world stays as it is while every
caller is tried.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from api.app import create_app
from api.authorization import DOC, PUBLIC, Operation, operations, with_matrix
from api.settings import Settings
from domain import policy
from domain.policy import Relation
from domain.values import FeedbackSource, Role
from tests.api_support import Api, HttpJourney, api_settings, running_api, setup_program

R = Relation
NOT_PERMITTED = "https://bewijsketen.nl/problems/not-permitted"
NOT_FOUND = "https://bewijsketen.nl/problems/not-found"


@dataclass(frozen=True)
class Caller:
    """A kind of caller and, by hand, what they are to the world's trajectory."""

    label: str
    person: str
    role: Role | None
    relations: frozenset[Relation]

    @property
    def as_(self) -> tuple[str, Role] | None:
        return None if self.role is None else (self.person, self.role)


def caller(label: str, person: str, role: Role | None, *relations: Relation) -> Caller:
    return Caller(label, person, role, frozenset(relations))


CALLERS = (
    caller("anonymous", "", None),
    caller("own student", "student-1", Role.STUDENT, R.STUDENT, R.DATA_SUBJECT),
    caller("fellow student", "student-2", Role.STUDENT, R.PEER),
    caller("student of another program", "student-3", Role.STUDENT),
    caller("coach", "coach-1", Role.COACH, R.COACH, R.PROGRAM_COACH, R.PROGRAM_STAFF),
    caller("former coach", "coach-3", Role.COACH, R.FORMER_COACH, R.PROGRAM_COACH, R.PROGRAM_STAFF),
    caller("another coach of the program", "coach-2", Role.COACH, R.PROGRAM_COACH, R.PROGRAM_STAFF),
    caller("coach on no staff", "coach-9", Role.COACH),
    caller("mentor", "mentor-1", Role.MENTOR, R.MENTOR, R.PROGRAM_STAFF),
    caller("another mentor of the program", "mentor-2", Role.MENTOR, R.PROGRAM_STAFF),
    caller("mentor on no staff", "mentor-9", Role.MENTOR),
    caller("assigned assessor", "assessor-1", Role.ASSESSOR, R.ASSESSOR),
    caller("unassigned assessor", "assessor-3", Role.ASSESSOR),
    caller("committee member", "committee-1", Role.COMMITTEE, R.COMMITTEE),
    caller("another program's committee", "committee-4", Role.COMMITTEE),
    caller("quality officer", "quality-1", Role.QUALITY, R.OVERSIGHT),
    caller("inspector", "inspector-1", Role.INSPECTOR, R.OVERSIGHT),
    caller("program administration", "admin-1", Role.ADMIN, R.ADMINISTRATION),
    caller("supervisor asked for feedback", "supervisor-1", Role.EXTERNAL, R.REQUESTED),
    caller("outsider", "external-9", Role.EXTERNAL),
    caller("privacy officer", "privacy-1", Role.PRIVACY, R.PRIVACY_OFFICER),
)


class World:
    """Two programs; in the first, student-1's trajectory at the high-stake with two assessors,
    its coach changed once (coach-3 was the first) and an open feedback request to a
    workplace supervisor; student-2 studies in the same program, student-3 in the other."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.schema = api.app.openapi()
        self.program_id = setup_program(api)
        self.other_program = setup_program(api, code="OTHER")
        admin = ("admin-1", Role.ADMIN)
        for person, role, program in (
            ("coach-2", "coach", self.program_id),
            ("coach-3", "coach", self.program_id),
            ("mentor-2", "mentor", self.program_id),
            ("committee-4", "committee", self.other_program),
        ):
            body = {"person_id": person, "role": role}
            api.post(f"/programs/{program}/staff", body, admin, None)
        journey = HttpJourney(api, self.program_id, "student-1", coach_id="coach-3")
        journey.to_green_light()
        journey.command("/coach", {"coach_id": "coach-1", "reason": "Team change"}, admin)
        journey.coach = ("coach-1", Role.COACH)
        journey.request_high_stake()
        journey.command(
            "/high-stakes/1/assessors", {"assessor_ids": ["assessor-1", "assessor-2"]}, admin
        )
        journey.command(
            "/feedback-requests",
            {
                "request_id": "rq-1",
                "requested_from": "supervisor-1",
                "source": "practice",
                "outcomes": ["LO1"],
            },
            journey.student,
        )
        self.trajectory_id = journey.id
        HttpJourney(api, self.program_id, "student-2").start()
        HttpJourney(api, self.other_program, "student-3").start()

    def target(self, op: Operation) -> str:
        """What the operation's path names: the world's student, or its trajectory."""
        return "student-1" if "{student_id}" in op.path else self.trajectory_id

    def path(self, op: Operation, trajectory_id: str | None = None) -> str:
        values = {
            "program_id": self.program_id,
            "trajectory_id": trajectory_id or self.trajectory_id,
            "student_id": trajectory_id or "student-1",
            "evidence_id": "ev-1",
            "attempt": "1",
            "number": "1",
            "tree_size": "1",
            "person_id": "coach-1",
            "position": "1",
        }
        return op.path.format_map(values)

    def body(self, op: Operation, variant: str, who: Caller) -> Any:
        spec = self.schema["paths"][op.path][op.method.lower()]
        content = spec.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            return None
        ref = content["schema"]["$ref"].rsplit("/", 1)[-1]
        examples = self.schema["components"]["schemas"][ref].get("examples")
        assert examples, f"{op.name}: the request body {ref} declares no example"
        body = dict(examples[0])
        if variant:
            field, value = variant.split("=", 1)
            body[field] = value
        if op.command is not None and op.command.__name__ == "StartTrajectory":
            body["program_id"] = self.program_id
            if who.role is Role.COACH:
                body["coach_id"] = who.person
        return body

    def call(
        self, op: Operation, variant: str, who: Caller, trajectory_id: str | None = None
    ) -> Any:
        headers = {}
        if op.command is not None and op.command.target_field() is not None:
            headers["If-Match"] = '"999999"'
        return self.api.client.request(
            op.method,
            self.path(op, trajectory_id),
            json=self.body(op, variant, who),
            headers=self.api.headers(who.as_, **headers),
        )


def expectation(op: Operation, variant: str, who: Caller) -> str:
    """What the declarations say this caller gets: allowed, 401, 403 or 404."""
    if op.public:
        return "allowed"
    if who.role is None:
        return "401"
    relations = who.relations | {R.ANYONE}
    if op.command is not None:
        access = op.command.issued_by
        issuers = access.variants[variant] if variant else access.relations
        on_trajectory = op.command.target_field() == "trajectory_id"
        readers = policy.READ_TRAJECTORY if on_trajectory else frozenset({R.ANYONE})
        if relations & issuers:
            # Someone who may write but not read (a fellow student, a requested giver) is told
            # nothing when refused: here by the If-Match that cannot match.
            return "allowed" if relations & readers else "404"
        return "403" if relations & readers else "404"
    assert op.read is not None
    if op.read.over == "student":
        # Of one student: to anyone who may not read it, the student does not exist.
        return "allowed" if relations & op.read.readers else "404"
    if op.read.over == "trajectory":
        if relations & op.read.readers:
            return "allowed"
        # Who may read the trajectory learns nothing new from a refusal of a part of it.
        return "403" if relations & policy.READ_TRAJECTORY else "404"
    roles = {role for relation in op.read.readers for role in relation.roles}
    return "allowed" if who.role in roles else "403"


def cases() -> list[tuple[Operation, str]]:
    app = create_app(Settings(_env_file=None))
    found = []
    for op in operations(app):
        variants = op.command.issued_by.variants if op.command is not None else {"": frozenset()}
        found += [(op, variant) for variant in variants]
    return found


CASES = cases()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("authorization")
    if request.param == "sqlite":
        settings = Settings(data_dir=data_dir, _env_file=None)
    else:
        database = request.getfixturevalue("pg_database")
        settings = Settings(data_dir=data_dir, database_url=database, _env_file=None)
    with running_api(settings) as api:
        yield World(api)


def test_every_route_declares_who_may_call_it() -> None:
    for op, _ in CASES:
        assert op.command is not None or op.read is not None or op.name in PUBLIC, op.name


def test_the_documented_matrix_is_the_declared_one() -> None:
    app = create_app(Settings(_env_file=None))
    text = DOC.read_text(encoding="utf-8")
    assert text == with_matrix(text, app), (
        "docs/authorization.md is out of date: run `python -m api.authorization`"
    )


@pytest.mark.parametrize("who", CALLERS, ids=[c.label for c in CALLERS])
@pytest.mark.parametrize(
    ("op", "variant"), CASES, ids=[f"{op.name} {variant}".strip() for op, variant in CASES]
)
def test_authorization_matrix(world: World, op: Operation, variant: str, who: Caller) -> None:
    expected = expectation(op, variant, who)
    response = world.call(op, variant, who)
    status = response.status_code
    problem = response.json() if status >= 400 else {}
    if expected == "401":
        assert status == 401, response.text
    elif expected == "403":
        assert status == 403, response.text
        assert problem["type"] == NOT_PERMITTED
        if op.command is not None:
            assert problem["rule"] == op.command.rule, problem
    elif expected == "404":
        assert status == 404, response.text
        # Exactly as a trajectory that does not exist.
        unknown = str(uuid.uuid4())
        missing = world.call(op, variant, who, trajectory_id=unknown).json()
        assert problem == {
            k: v.replace(unknown, world.target(op)) if isinstance(v, str) else v
            for k, v in missing.items()
        }
    else:
        hidden = op.command is not None or (op.read is not None and op.read.hidden)
        refused = {401, 403} | ({404} if hidden else set())
        assert status not in refused, response.text


# ---- the access problems once found, each as a regression test


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


def feedback(source: str, giver: str) -> dict[str, Any]:
    return {
        "feedback_id": f"fb-{source}-{giver}",
        "source": source,
        "giver_id": giver,
        "outcomes": ["LO1"],
        "text": "Feedback from someone without a say",
    }


def test_strangers_cannot_write_feedback_onto_a_trajectory(api: Api) -> None:
    program_id = setup_program(api)
    target = HttpJourney(api, program_id, "student-08")
    target.start()
    HttpJourney(api, program_id, "student-02").start()
    before = api.event_count(target.id)
    classmate = ("student-02", Role.STUDENT)
    for source in (FeedbackSource.PRACTICE, FeedbackSource.CLIENT):
        api.post(target.path + "/feedback", feedback(source.value, "student-02"), classmate, 404)
    # Another class's coach, and a mentor on no program's staff, are strangers too.
    for stranger in (("coach-2", Role.COACH), ("mentor-9", Role.MENTOR)):
        for source in FeedbackSource:
            api.post(target.path + "/feedback", feedback(source.value, stranger[0]), stranger, 404)
    assert api.event_count(target.id) == before
    # Peer feedback is what a fellow student of the program may give.
    api.post(target.path + "/feedback", feedback("peer", "student-02"), classmate, 200)


def test_only_program_staff_start_trajectories(api: Api) -> None:
    program_id = setup_program(api)
    body = {
        "program_id": program_id,
        "student_id": "made-up-student",
        "cohort": "2026-A",
        "coach_id": "coach-7",
        "mentor_id": "mentor-1",
    }
    refused = api.post("/trajectories", body, ("coach-7", Role.COACH), 403).json()
    assert refused["rule"] == "R1"
    # A registered coach starts only the trajectories they coach themselves.
    mine = body | {"coach_id": "coach-2"}
    api.post("/trajectories", mine, ("coach-1", Role.COACH), 403)
    api.post("/trajectories", mine, ("coach-2", Role.COACH), 201)
    assert api.get("/read-models/progress", ("quality-1", Role.QUALITY)).status_code == 200


def test_cohort_members_are_only_the_callers_own(api: Api) -> None:
    program_id = setup_program(api)
    for student, coach in (("student-1", "coach-1"), ("student-2", "coach-2")):
        HttpJourney(api, program_id, student, coach_id=coach).start()
    head = api.state.application.recorder.max_notification_id()
    for coach, expected in (("coach-1", ["student-1"]), ("coach-2", ["student-2"])):
        page = api.get(
            "/read-models/cohort-members", (coach, Role.COACH), params={"min_position": head}
        ).json()
        assert [m["student_id"] for m in page["items"]] == expected
    everyone = api.get("/read-models/cohort-members", ("quality-1", Role.QUALITY)).json()
    assert [m["student_id"] for m in everyone["items"]] == ["student-1", "student-2"]
    # A mentor on no program's staff sees nobody.
    nobody = api.get("/read-models/cohort-members", ("mentor-9", Role.MENTOR)).json()
    assert nobody["items"] == []


def test_refusals_and_messages_reveal_nothing(api: Api) -> None:
    program_id = setup_program(api)
    passed = HttpJourney(api, program_id, "student-1")
    passed.to_green_light()
    passed.request_high_stake()
    admin = ("admin-1", Role.ADMIN)
    passed.command(
        "/high-stakes/1/assessors", {"assessor_ids": ["assessor-1", "assessor-2"]}, admin
    )
    judgment = passed.judgment_body(passed.levels("bekwaam"))
    for assessor in ("assessor-1", "assessor-2"):
        passed.command("/high-stakes/1/judgments", judgment, (assessor, Role.ASSESSOR))
    passed.command(
        "/high-stakes/1/conclusion", {"rationale": "All bekwaam"}, ("assessor-1", Role.ASSESSOR)
    )
    for member in ("committee-1", "committee-2"):
        passed.command(
            "/high-stakes/1/votes",
            {"vote": "ratify", "rationale": "Fine"},
            (member, Role.COMMITTEE),
        )
    HttpJourney(api, program_id, "student-2").start()
    classmate = ("student-2", Role.STUDENT)
    unknown = f"/trajectories/{uuid.uuid4()}"

    def same_as_unknown(method: str, suffix: str, body: Any = None) -> None:
        seen = api.client.request(
            method, passed.path + suffix, json=body, headers=api.headers(classmate)
        )
        missing = api.client.request(
            method, unknown + suffix, json=body, headers=api.headers(classmate)
        )
        assert seen.status_code == missing.status_code == 404
        a, b = seen.json(), missing.json()
        assert a["detail"].replace(passed.id, "ID") == b["detail"].replace(unknown[14:], "ID")
        assert {k: v for k, v in a.items() if k not in ("detail", "instance")} == {
            k: v for k, v in b.items() if k not in ("detail", "instance")
        }

    # Evidence onto another's trajectory: 404 as for an unknown one (it was 403).
    same_as_unknown("POST", "/evidence", passed.evidence_body(["LO1"]))
    # Peer feedback onto a trajectory closed by a pass: 404, never "closed by a ratified pass".
    same_as_unknown("POST", "/feedback", feedback("peer", "student-2"))
    # Reads name an existing and an unknown trajectory alike.
    same_as_unknown("GET", "")
    same_as_unknown("GET", "/history")
    same_as_unknown("GET", "/dossier")


def test_a_former_coach_reads_the_trajectory_as_it_stood(api: Api) -> None:
    program_id = setup_program(api)
    journey = HttpJourney(api, program_id, "student-1", coach_id="coach-1")
    journey.start()
    journey.evidence(["LO1"])
    before = api.get(journey.path, journey.coach).json()
    journey.command("/coach", {"coach_id": "coach-2", "reason": "Leave"}, ("admin-1", Role.ADMIN))
    journey.evidence(["LO2"])
    former = api.get(journey.path, ("coach-1", Role.COACH)).json()
    assert former["version"] == before["version"] and former["coach_id"] == "coach-1"
    history = api.get(journey.path + "/history", ("coach-1", Role.COACH)).json()["items"]
    assert [r["version"] for r in history] == list(range(1, before["version"] + 1))
    # Asking for a later version does not get past the end of the term.
    capped = api.get(journey.path, ("coach-1", Role.COACH), params={"version": 4}).json()
    assert capped["version"] == before["version"]
    current = api.get(journey.path, ("coach-2", Role.COACH)).json()
    assert current["version"] == before["version"] + 2
    # Writing is for the current coach only: the former one is refused with the rule.
    check = {"light": "green", "notes": ""}
    assert journey.command("/progress-checks", check, ("coach-1", Role.COACH), 403)["rule"] == "R1"
