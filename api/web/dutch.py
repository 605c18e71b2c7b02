"""How the pages say things: dates the Dutch way in Europe/Amsterdam (Babel), and the Dutch
words for the domain's values. The words of the dossier (`projections.audit.render`) are used
wherever the same value appears, so a page and a dossier never name a thing differently."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_month_names

from api.privacy_export import ROLES as EXPORT_ROLES
from projections.audit import render

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOCALE = "nl_NL"

ROLES = EXPORT_ROLES
ROLE_AS = {
    "student": "als student",
    "coach": "als coach",
    "mentor": "als studieloopbaanbegeleider",
    "assessor": "als beoordelaar",
    "committee": "als lid van de examencommissie",
    "quality": "als kwaliteitszorg",
    "inspector": "als inspecteur",
    "admin": "als beheerder",
    "privacy": "als privacyfunctionaris",
    "external": "als externe feedbackgever",
}
PHASES = {
    "orientation": "start en oriëntatie",
    "low_stakes": "low-stakes",
    "medium_stakes": "medium-stakes",
    "high_stake": "high-stake",
    "resit": "herkansing",
    "closed": "afgesloten",
}
STEPS = {
    "closed": "afgesloten",
    "development_plan": "ontwikkelplan vastleggen",
    "medium_stake_1": "eerste medium-stake",
    "medium_stake_2": "tweede medium-stake",
    "early_route_decision": "besluit over de vervroegde route",
    "green_light": "groen licht",
    "high_stake_request": "high-stake aanvragen",
    "high_stake_resit": "herkansing aanvragen",
    "assign_assessors": "beoordelaars toewijzen",
    "judgments": "oordelen van de beoordelaars",
    "criterion_interview": "criteriumgericht interview",
    "final_levels": "eindniveaus vaststellen",
    "conclusion": "conclusie",
    "committee_decision": "besluit van de examencommissie",
}
LIGHTS = render.LIGHTS
VERDICTS = render.VERDICTS
VOTES = render.VOTES
SOURCES = render.SOURCES
KINDS = render.KINDS
DECISIONS = {
    "ratified": "bekrachtigd",
    "referred_back": "terugverwezen",
    "pending": "in afwachting",
}
# Why a class of a student's data may be erased now (`domain.privacy.retention.Due.because`).
DUE_BECAUSE = {
    "period": "bewaartermijn verstreken",
    "request": "verzoek om verwijdering",
}
ITEMS = {
    "min_assessors": "voldoende beoordelaars (R10)",
    "independence": "onafhankelijke beoordelaar (R10)",
    "min_evidence": "genoeg leerbewijs per leeropbrengst (R9)",
    "evidence_variety": "verschillende soorten leerbewijs",
    "feedback_givers": "feedback van ten minste twee personen",
    "green_light_before_request": "groen licht vóór de aanvraag (R7, R8, R9)",
    "ai_use_explained": "gebruik van AI uitgelegd in de leeswijzer (R9)",
    "no_compensation": "geen compensatie (R13)",
    "quorum": "quorum van de examencommissie (R14)",
}


def moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        found = value
    else:
        try:
            found = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


# Babel's Dutch month names (CLDR), read once: formatting a date with Babel's pattern engine on
# every table cell cost more than the rest of a page.
MONTHS = tuple(get_month_names("wide", locale=LOCALE)[m] for m in range(1, 13))


def when(value: Any) -> str:
    """'1 december 2026, 14:05', in Amsterdam time (Babel's "d MMMM y, HH:mm")."""
    found = moment(value)
    if found is None:
        return "–"
    local = found.astimezone(AMSTERDAM)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def when_by_babel(value: Any) -> str:
    """The same through Babel's own pattern (tests hold `when` to it)."""
    found = moment(value)
    assert found is not None
    return format_datetime(found, "d MMMM y, HH:mm", tzinfo=AMSTERDAM, locale=LOCALE)


def day(value: Any) -> str:
    found = moment(value)
    if found is None:
        return "–"
    return format_date(found.astimezone(AMSTERDAM).date(), "d MMMM y", locale=LOCALE)


def step(value: str | None) -> str:
    if not value:
        return "–"
    base, _, rest = value.partition(" ")
    label = STEPS.get(base, base.replace("_", " "))
    return f"{label} {rest}".strip()


def word(table: dict[str, str], value: Any) -> str:
    if value is None:
        return "–"
    return table.get(str(value), str(value))


def number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace(".", ",")


def percent(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{round(value * 100)}%"


# What `domain.rules.next_step` says is missing, in Dutch (tests/test_web_dutch.py walks every
# message the rules can produce).
MISSING: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), text)
    for pattern, text in (
        (r"no evidence yet for (?P<code>.+)", "nog geen leerbewijs voor {code}"),
        (r"record a development plan before a resit", "leg eerst een ontwikkelplan vast"),
        (r"the coach has not yet decided the request", "de coach besliste nog niet"),
        (
            r"a green light is given only after the second medium-stake",
            "groen licht volgt pas na de tweede medium-stake",
        ),
        (
            r"the coach advised to gather more evidence",
            "de coach adviseerde meer leerbewijs te verzamelen",
        ),
        (r"the coach has not yet given the green light", "de coach gaf nog geen groen licht"),
        (
            r"(?P<code>\S+) has (?P<n>\d+) of (?P<m>\d+) evidence items",
            "{code} heeft {n} van de {m} leerbewijzen",
        ),
        (r"(?P<n>\d+) assessors must be assigned", "er moeten {n} beoordelaars komen"),
        (
            r"(?P<n>\d+) assessor judgment\(s\) outstanding",
            "nog {n} oordeel of oordelen van beoordelaars",
        ),
        (r"doubt or disagreement requires a CGI", "twijfel of verschil vraagt een CGI"),
        (
            r"the assessors must agree the final levels",
            "de beoordelaars stellen eerst de eindniveaus vast",
        ),
        (
            r"(?P<n>\d+) of (?P<m>\d+) committee votes cast",
            "{n} van de {m} stemmen van de examencommissie uitgebracht",
        ),
    )
)


def missing(item: str) -> str:
    """One item of what blocks the next step, in Dutch, after its rule."""
    from api.refusals import rule_title

    rule, _, message = item.partition(": ")
    for pattern, text in MISSING:
        found = pattern.match(message)
        if found:
            return f"{rule_title(rule) or rule}: {text.format(**found.groupdict())}"
    return rule_title(rule) or rule
