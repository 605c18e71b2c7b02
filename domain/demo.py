"""A deterministic demo class: one program, one cohort, trajectories in every phase.

Everything is written through the application service, so the demo obeys every rule. The same
seed gives the same commands (ids and content); only the event timestamps differ between runs.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from domain import commands as c
from domain.application import Bewijsketen
from domain.journey import Journey, Staff, setup_program
from domain.persons import PersonRegistry
from domain.values import EvidenceKind, FeedbackSource, Role, TrafficLight, Verdict

FIRST_NAMES = (
    "Sanne",
    "Daan",
    "Noor",
    "Milan",
    "Yara",
    "Luuk",
    "Fenna",
    "Sem",
    "Lotte",
    "Bram",
    "Ayla",
    "Thijs",
    "Imane",
    "Jesse",
    "Zoë",
    "Mohammed",
    "Iris",
    "Stijn",
    "Nina",
    "Ruben",
    "Esra",
    "Joep",
    "Femke",
    "Kerem",
    "Lieke",
    "Tygo",
    "Mila",
    "Omar",
    "Julia",
    "Niels",
)
LAST_NAMES = (
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Dijk",
    "Yilmaz",
    "El Amrani",
    "Kok",
    "Dekker",
    "Brouwer",
)

# What each demo student's trajectory shows; the list repeats over the class.
SCENARIOS = (
    "passed",
    "passed_ai",
    "failed_resit",
    "early_route",
    "doubt_cgi",
    "red_light",
    "green_light",
    "medium_stakes",
    "low_stakes",
    "orientation",
    "passed",
    "high_stake_judging",
)


@dataclass(frozen=True)
class DemoSummary:
    program_id: uuid.UUID
    trajectories: dict[str, uuid.UUID]
    scenarios: dict[str, str]
    personas: dict[Role, str]
    events: int


@dataclass
class _Cast:
    staff: Staff = field(default_factory=Staff)
    quality: str = "quality-1"
    inspector: str = "inspector-1"


def seed_demo(
    app: Bewijsketen,
    students: int = 25,
    seed: int = 7,
    persons: PersonRegistry | None = None,
    progress: Callable[[int], None] | None = None,
) -> DemoSummary:
    """Seeds the demo class; `progress` is called with 1 after each student."""
    rng = random.Random(seed)
    cast = _Cast()
    program_id = setup_program(app, code="SD-AI", staff=cast.staff)
    student_ids = [f"student-{i:02d}" for i in range(1, students + 1)]
    if persons is not None:
        _register_names(persons, rng, cast, student_ids)
    trajectories, scenarios = seed_cohort(
        app, program_id, "2026-A", student_ids, rng, cast.staff.coaches, progress
    )
    head = app.recorder.max_notification_id() or 0
    personas = {
        Role.STUDENT: student_ids[0],
        Role.COACH: cast.staff.coaches[0],
        Role.MENTOR: cast.staff.mentors[0],
        Role.ASSESSOR: cast.staff.assessors[0],
        Role.COMMITTEE: cast.staff.committee[0],
        Role.QUALITY: cast.quality,
        Role.INSPECTOR: cast.inspector,
        Role.ADMIN: "admin-1",
    }
    return DemoSummary(program_id, trajectories, scenarios, personas, head)


def seed_cohort(
    app: Bewijsketen,
    program_id: uuid.UUID,
    cohort: str,
    student_ids: list[str],
    rng: random.Random,
    coaches: list[str],
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, uuid.UUID], dict[str, str]]:
    """One class: each student plays the next scenario of the list, through every rule."""
    trajectories: dict[str, uuid.UUID] = {}
    scenarios: dict[str, str] = {}
    journeys = [
        Journey(app, program_id, student_id, cohort=cohort, coach_id=coaches[i % len(coaches)])
        for i, student_id in enumerate(student_ids)
    ]
    # The whole class starts first: fellow students give each other peer feedback.
    for journey in journeys:
        journey.start()
    for index, (student_id, journey) in enumerate(zip(student_ids, journeys, strict=True)):
        scenario = SCENARIOS[index % len(SCENARIOS)]
        _play(journey, scenario, rng, student_ids)
        trajectories[student_id] = journey.id
        scenarios[student_id] = scenario
        if progress is not None:
            progress(1)
    return trajectories, scenarios


def _register_names(
    persons: PersonRegistry, rng: random.Random, cast: _Cast, student_ids: list[str]
) -> None:
    def name() -> str:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    staff = cast.staff
    everyone = [
        *student_ids,
        *staff.coaches,
        *staff.mentors,
        *staff.assessors,
        *staff.committee,
        cast.quality,
        cast.inspector,
        "admin-1",
    ]
    persons.put_many({person: name() for person in everyone})


def _low_stakes(
    journey: Journey, rng: random.Random, classmates: list[str], rounds: int = 2
) -> None:
    kinds = list(EvidenceKind)
    for r in range(rounds):
        for code in journey.outcomes:
            journey.evidence([code], kind=kinds[(r + rng.randrange(len(kinds))) % len(kinds)])
    peer = rng.choice([c for c in classmates if c != journey.student.person_id])
    for code in journey.outcomes:
        journey.feedback(
            FeedbackSource.SELF,
            journey.student.person_id,
            [code],
            "What went well and what I will do differently",
        )
        journey.feedback(
            FeedbackSource.COACH,
            journey.coach.person_id,
            [code],
            "Clear progress; make the reasoning behind choices explicit",
        )
    journey.feedback(FeedbackSource.PEER, peer, journey.outcomes[:2], "Nice demo, unclear tests")
    journey.feedback(
        FeedbackSource.PRACTICE,
        "practice-supervisor-1",
        journey.outcomes[2:4],
        "Works independently at the internship",
    )


def _levels(journey: Journey, rng: random.Random, low: int, high: int) -> dict[str, str]:
    return {code: journey.levels[rng.randint(low, high)] for code in journey.outcomes}


def _play(journey: Journey, scenario: str, rng: random.Random, classmates: list[str]) -> None:
    if scenario == "orientation":
        journey.run(
            journey.on(
                c.MeasureBaseline,
                outcome=journey.outcomes[0],
                level=journey.levels[1],
                rationale="Baseline conversation",
            ),
            journey.coach,
        )
        return
    _low_stakes(journey, rng, classmates, rounds=1 if scenario == "low_stakes" else 2)
    light = (
        TrafficLight.RED
        if scenario == "red_light"
        else rng.choice([TrafficLight.GREEN, TrafficLight.GREEN, TrafficLight.ORANGE])
    )
    journey.progress_check(
        light,
        ""
        if light is TrafficLight.GREEN
        else "Several outcomes lack evidence; plan made with the mentor",
    )
    if scenario in ("low_stakes", "red_light"):
        return
    if scenario == "early_route":
        journey.medium_stake({code: journey.level("vakkundig") for code in journey.outcomes})
        journey.run(
            journey.on(
                c.RequestEarlyHighStake,
                motivation="Ready early: enough evidence on every outcome",
            ),
            journey.student,
        )
        journey.run(
            journey.on(c.DecideEarlyHighStake, grant=True, rationale="Strong interim portfolio"),
            journey.coach,
        )
        attempt = journey.request_high_stake()
        journey.assign(attempt, ("assessor-1", "assessor-3"))
        return
    journey.medium_stake(_levels(journey, rng, 2, 3))
    if scenario == "medium_stakes":
        return
    journey.medium_stake(_levels(journey, rng, 3, 4))
    journey.green_light()
    if scenario == "green_light":
        return
    if scenario == "passed_ai":
        journey.evidence(
            [journey.outcomes[0]],
            kind=EvidenceKind.REPORT,
            ai_use=True,
            title="Report drafted with an AI assistant",
        )
    attempt = journey.request_high_stake(
        ai_explanation="Chapter 2 of the report was drafted with an AI assistant and rewritten; "
        "the prompts are in the appendix"
        if scenario == "passed_ai"
        else ""
    )
    journey.assign(attempt)
    if scenario == "high_stake_judging":
        journey.judge(attempt, "assessor-1", "bekwaam")
        return
    if scenario == "failed_resit":
        failing = {code: "bekwaam" for code in journey.outcomes} | {
            journey.outcomes[2]: "vakkundig"
        }
        journey.judge(attempt, "assessor-1", failing, Verdict.FAIL)
        journey.judge(attempt, "assessor-2", failing, Verdict.FAIL)
        journey.conclude(attempt)
        journey.votes(attempt)
        journey.development_plan(attempt)
        journey.evidence([journey.outcomes[2]], kind=EvidenceKind.PRACTICE)
        second = journey.request_high_stake()
        journey.assign(second, ("assessor-2", "assessor-3"))
        return
    if scenario == "doubt_cgi":
        journey.judge(attempt, "assessor-1", "bekwaam")
        journey.judge(
            attempt,
            "assessor-2",
            {code: "bekwaam" for code in journey.outcomes} | {journey.outcomes[3]: "vakkundig"},
            Verdict.DOUBT,
        )
        journey.interview(attempt)
        journey.agree(attempt, "bekwaam")
    else:
        levels = _levels(journey, rng, 4, 5)
        journey.judge(attempt, "assessor-1", levels)
        journey.judge(attempt, "assessor-2", levels)
    journey.conclude(attempt)
    journey.votes(attempt)
