"""The demo: classes of students played through a school year, every step through `execute`.

`play_demo` plays the classes on the application it is given: every command is decided by the
aggregates under every rule and the access policy (peer feedback by fellow students, practice
and client feedback on the giver's behalf or by the one asked), and each happening says the day
it took place (spread over the school year, up to "today"); the time each event is recorded is
real. `seed_demo` plays the same on an in-memory application and then writes the events it
recorded, unchanged, to the given application's store in a few transactions: one transaction
per command would spend most of the seeding waiting for the disk.

The same seed (and the same "today") gives the same classes: ids, texts and days.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from domain import moments
from domain.application import Bewijsketen
from domain.demo.calendar import SchoolYear
from domain.demo.copy import copy_events, in_memory
from domain.demo.people import (
    ADMIN,
    INSPECTOR,
    PRIVACY,
    QUALITY,
    Cast,
    names_for,
    program_cast,
)
from domain.demo.programs import PROGRAMS, SD, ProgramMaterial
from domain.demo.scenarios import SCENARIOS
from domain.demo.student import Setting, Student
from domain.demo.texts import Writer
from domain.errors import AlreadyExists
from domain.journey import Journey, Staff, setup_program
from domain.persons import PersonRegistry
from domain.program import Program
from domain.values import Role

__all__ = [
    "SCENARIOS",
    "ClassSummary",
    "DemoSummary",
    "SchoolYear",
    "play_demo",
    "seed_cohort",
    "seed_demo",
]


@dataclass(frozen=True)
class ClassSummary:
    cohort: str
    program_code: str
    program_id: uuid.UUID
    students: tuple[str, ...]


@dataclass(frozen=True)
class DemoSummary:
    program_id: uuid.UUID  # the first class's program
    trajectories: dict[str, uuid.UUID]
    scenarios: dict[str, str]
    personas: dict[Role, str]
    events: int
    year: SchoolYear
    classes: tuple[ClassSummary, ...]


def seed_demo(
    app: Bewijsketen,
    students: int = 25,
    seed: int = 7,
    classes: int = 1,
    persons: PersonRegistry | None = None,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> DemoSummary:
    """Plays the demo on an in-memory application, then writes its events into `app`'s store.

    Refuses (AlreadyExists) a store that already holds one of the demo's programs."""
    for material in _materials(classes):
        program_id = Program.create_id(material.code)
        if next(iter(app.events.get(program_id, lte=1)), None) is not None:
            raise AlreadyExists("program", program_id)
    twin = in_memory(app.keys)
    try:
        summary = play_demo(twin, students, seed, classes, persons, progress, today)
        copy_events(twin, app)
    finally:
        twin.close()
    head = app.recorder.max_notification_id() or 0
    return DemoSummary(
        summary.program_id,
        summary.trajectories,
        summary.scenarios,
        summary.personas,
        head,
        summary.year,
        summary.classes,
    )


def _materials(classes: int) -> tuple[ProgramMaterial, ...]:
    return PROGRAMS[: min(len(PROGRAMS), max(1, classes))]


def play_demo(
    app: Bewijsketen,
    students: int = 25,
    seed: int = 7,
    classes: int = 1,
    persons: PersonRegistry | None = None,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> DemoSummary:
    """Plays `classes` classes of `students` through the school year on `app`; with two or
    more classes, they alternate between the demo's two programs. `progress` is called with 1
    after each student."""
    year = SchoolYear.ending_before(today or moments.today())
    rng = random.Random(seed)
    materials = _materials(classes)
    mentors = {
        m.code: [f"mentor-{k + 1}" for k in range(classes) if k % len(materials) == i]
        for i, m in enumerate(materials)
    }
    casts: dict[str, Cast] = {}
    program_ids: dict[str, uuid.UUID] = {}
    for index, material in enumerate(materials):
        cast = program_cast(index, mentors[material.code])
        casts[material.code] = cast
        program_ids[material.code] = setup_program(
            app, material.code, material.definition, cast.staff, material.title, year.prepared
        )
    trajectories: dict[str, uuid.UUID] = {}
    scenarios: dict[str, str] = {}
    played: list[ClassSummary] = []
    for k in range(classes):
        material = materials[k % len(materials)]
        cohort = year.cohort(chr(ord("A") + k % 26) + ("" if k < 26 else str(k // 26)))
        student_ids = [f"student-{k * students + i:02d}" for i in range(1, students + 1)]
        found = play_class(
            app,
            program_ids[material.code],
            material,
            cohort,
            student_ids,
            rng,
            Setting(year, casts[material.code], tuple(student_ids)),
            f"mentor-{k + 1}",
            progress,
        )
        for student_id, (trajectory_id, scenario) in found.items():
            trajectories[student_id] = trajectory_id
            scenarios[student_id] = scenario
        played.append(
            ClassSummary(cohort, material.code, program_ids[material.code], tuple(student_ids))
        )
    first = casts[SD.code].staff
    if persons is not None:
        everyone = [*trajectories]
        for cast in casts.values():
            staff = cast.staff
            everyone += [*staff.coaches, *staff.mentors, *staff.assessors, *staff.committee]
            everyone += [*cast.supervisors, *cast.clients]
        everyone += [QUALITY, INSPECTOR, ADMIN, PRIVACY]
        persons.put_many(names_for(list(dict.fromkeys(everyone)), random.Random(seed + 1)))
    personas = {
        Role.STUDENT: played[0].students[0],
        Role.COACH: first.coaches[0],
        Role.MENTOR: first.mentors[0],
        Role.ASSESSOR: first.assessors[0],
        Role.COMMITTEE: first.committee[0],
        Role.QUALITY: QUALITY,
        Role.INSPECTOR: INSPECTOR,
        Role.ADMIN: ADMIN,
        Role.PRIVACY: PRIVACY,
    }
    head = app.recorder.max_notification_id() or 0
    return DemoSummary(
        program_ids[SD.code], trajectories, scenarios, personas, head, year, tuple(played)
    )


def play_class(
    app: Bewijsketen,
    program_id: uuid.UUID,
    material: ProgramMaterial,
    cohort: str,
    student_ids: list[str],
    rng: random.Random,
    setting: Setting,
    mentor: str,
    progress: Callable[[int], None] | None = None,
) -> dict[str, tuple[uuid.UUID, str]]:
    """One class: everyone starts on the year's first day (fellow students give each other peer
    feedback), then each student plays the next scenario of the list."""
    coaches = setting.cast.staff.coaches
    journeys = [
        Journey(app, program_id, sid, cohort=cohort, coach_id=coaches[i % 2], mentor_id=mentor)
        for i, sid in enumerate(student_ids)
    ]
    for journey in journeys:
        journey.at(setting.year.start).start()
    names = list(SCENARIOS)
    found: dict[str, tuple[uuid.UUID, str]] = {}
    for index, journey in enumerate(journeys):
        scenario = names[index % len(names)]
        student = Student(
            journey,
            setting,
            Writer(material, random.Random(rng.random())),
            random.Random(rng.random()),
        )
        SCENARIOS[scenario](student)
        found[journey.student.person_id] = (journey.id, scenario)
        if progress is not None:
            progress(1)
    return found


def seed_cohort(
    app: Bewijsketen,
    program_id: uuid.UUID,
    cohort: str,
    student_ids: list[str],
    rng: random.Random,
    coaches: list[str],
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, uuid.UUID], dict[str, str]]:
    """One class of the first program's scenarios, on a program set up with
    `domain.journey.setup_program` (assessor-1..4, committee-1..3 and mentor-1 registered)."""
    cast = program_cast(0, ["mentor-1"])
    cast = Cast(
        Staff(
            coaches=list(coaches),
            mentors=["mentor-1"],
            assessors=cast.staff.assessors,
            committee=cast.staff.committee,
        ),
        cast.supervisors,
        cast.clients,
    )
    year = SchoolYear.ending_before(moments.today())
    found = play_class(
        app,
        program_id,
        SD,
        cohort,
        student_ids,
        rng,
        Setting(year, cast, tuple(student_ids)),
        "mentor-1",
        progress,
    )
    return (
        {s: t for s, (t, _) in found.items()},
        {s: scenario for s, (_, scenario) in found.items()},
    )
