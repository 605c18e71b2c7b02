"""Finding things: trajectories by program, cohort, people, phase or a student's name, the
programs, and people's names, each filtered by what the caller may see, in one list shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from api.settings import Settings
from domain.values import Role
from tests.api_support import Api, HttpJourney, api_settings, running_api, setup_program

QUALITY = ("quality-1", Role.QUALITY)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


def trajectories(api: Api, as_: tuple[str, Role], **params: Any) -> dict[str, Any]:
    head = api.state.application.recorder.max_notification_id()
    found: dict[str, Any] = api.get(
        "/trajectories", as_, params={"min_position": head, **params}
    ).json()
    return found


@pytest.fixture
def school(api: Api) -> dict[str, HttpJourney]:
    program_id = setup_program(api)
    api.state.persons.put_many(
        {"student-1": "Zoë de Vries", "student-2": "Daan Jansen", "student-3": "Zoe Bakker"}
    )
    journeys = {
        "student-1": HttpJourney(api, program_id, "student-1", coach_id="coach-1"),
        "student-2": HttpJourney(api, program_id, "student-2", coach_id="coach-1"),
        "student-3": HttpJourney(api, program_id, "student-3", coach_id="coach-2"),
    }
    for journey in journeys.values():
        journey.start()
    journeys["student-2"].evidence(["LO1"])
    return journeys


def test_find_a_trajectory_by_a_students_name(api: Api, school: dict[str, HttpJourney]) -> None:
    page = trajectories(api, QUALITY, q="zoe")
    assert sorted(t["student_name"] for t in page["items"]) == ["Zoe Bakker", "Zoë de Vries"]
    assert page["total"] == 2
    assert {t["id"] for t in page["items"]} == {school["student-1"].id, school["student-3"].id}
    # By number (the person's id) too, and nothing for a name nobody has.
    assert [t["student_id"] for t in trajectories(api, QUALITY, q="student-2")["items"]] == [
        "student-2"
    ]
    assert trajectories(api, QUALITY, q="nobody")["items"] == []


def test_filters_and_pages(api: Api, school: dict[str, HttpJourney]) -> None:
    low = trajectories(api, QUALITY, phase="low_stakes")["items"]
    assert [t["student_id"] for t in low] == ["student-2"]
    by_coach = trajectories(api, QUALITY, coach_id="coach-1")
    assert {t["student_id"] for t in by_coach["items"]} == {"student-1", "student-2"}
    first = trajectories(api, QUALITY, limit=2)
    assert len(first["items"]) == 2 and first["next_offset"] == 2 and first["total"] == 3
    rest = trajectories(api, QUALITY, limit=2, offset=2)
    assert len(rest["items"]) == 1 and rest["next_offset"] is None and rest["total"] == 3
    assert {t["id"] for t in first["items"] + rest["items"]} == {j.id for j in school.values()}


def test_everyone_finds_only_what_they_may_read(api: Api, school: dict[str, HttpJourney]) -> None:
    mine = trajectories(api, ("student-1", Role.STUDENT))["items"]
    assert [t["student_id"] for t in mine] == ["student-1"]
    assert trajectories(api, ("student-1", Role.STUDENT), q="daan")["items"] == []
    coach = trajectories(api, ("coach-2", Role.COACH))["items"]
    assert [t["student_id"] for t in coach] == ["student-3"]
    assert trajectories(api, ("mentor-9", Role.MENTOR))["items"] == []
    api.get("/trajectories", ("external-1", Role.EXTERNAL), 403)


def test_programs_are_listed_by_code(api: Api) -> None:
    setup_program(api, code="ZZ")
    setup_program(api, code="AA")
    page = api.get("/programs", ("student-1", Role.STUDENT)).json()
    assert [p["code"] for p in page["items"]] == ["AA", "ZZ"]
    assert page["total"] == 2 and page["next_offset"] is None
    assert api.get("/programs", QUALITY, params={"limit": 1}).json()["next_offset"] == 1


def test_names_are_for_those_who_may_know_them(api: Api, school: dict[str, HttpJourney]) -> None:
    api.state.persons.put_many({"coach-1": "Mark Visser"})
    student = ("student-1", Role.STUDENT)
    # Staff are known by name to everyone signed in.
    assert api.get("/persons/coach-1", student).json() == {
        "id": "coach-1",
        "name": "Mark Visser",
        "staff": True,
    }
    # A student: to themselves, and to those who may read one of their trajectories.
    assert api.get("/persons/student-1", student).json()["name"] == "Zoë de Vries"
    assert api.get("/persons/student-1", ("coach-1", Role.COACH)).json()["name"] == "Zoë de Vries"
    assert api.get("/persons/student-1", QUALITY).status_code == 200
    hidden = api.get("/persons/student-3", student, 404).json()
    missing = api.get("/persons/student-99", student, 404).json()
    assert hidden["detail"].replace("student-3", "X") == missing["detail"].replace(
        "student-99", "X"
    )
    api.get("/persons/student-3", ("coach-1", Role.COACH), 404)
