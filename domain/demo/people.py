"""Who plays in the demo: students, staff and people outside the school, with made-up names.

Names live in the person registry only (`domain.persons`); the events carry ids and roles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from domain.journey import Staff

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
    "Hiba",
    "Gijs",
    "Anouk",
    "Bilal",
    "Roos",
    "Wessel",
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
    "van Leeuwen",
    "Koster",
    "Öztürk",
    "Postma",
    "Wijnands",
    "Haddou",
)

QUALITY = "quality-1"
INSPECTOR = "inspector-1"
ADMIN = "admin-1"
PRIVACY = "privacy-1"


@dataclass
class Cast:
    """The staff of one program, and the people outside the school its students work with."""

    staff: Staff
    # Practice supervisors (praktijkbegeleiders) and clients (opdrachtgevers), by id.
    supervisors: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)


def program_cast(index: int, mentors: list[str]) -> Cast:
    """The cast of the demo's first (index 0) or second program."""
    if index == 0:
        staff = Staff(
            coaches=["coach-1", "coach-2"],
            mentors=mentors,
            assessors=["assessor-1", "assessor-2", "assessor-3", "assessor-4"],
            committee=["committee-1", "committee-2", "committee-3"],
        )
        prefix = "sd"
    else:
        staff = Staff(
            coaches=["coach-3", "coach-4"],
            mentors=mentors,
            assessors=["assessor-5", "assessor-6", "assessor-7"],
            # One exam committee serves the team's programs.
            committee=["committee-1", "committee-2", "committee-3"],
        )
        prefix = "bg"
    return Cast(
        staff,
        supervisors=[f"extern-{prefix}-pb-{i:02d}" for i in range(1, 9)],
        clients=[f"extern-{prefix}-klant-{i:02d}" for i in range(1, 9)],
    )


def names_for(people: list[str], rng: random.Random) -> dict[str, str]:
    """A made-up display name for each person, drawn from `rng`, no two alike."""
    combinations = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    chosen = rng.sample(combinations, min(len(people), len(combinations)))
    return {
        p: chosen[i] if i < len(chosen) else f"{rng.choice(combinations)} ({i})"
        for i, p in enumerate(people)
    }
