"""Dutch words and numbers for the reports: times in Europe/Amsterdam, written the Dutch way.

Formatting goes through Babel's CLDR data for the `nl` locale, so dates, decimals and
percentages follow Dutch convention (1 december 2026, 0,87, 12%).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from projections.reports.period import AMSTERDAM, Period

LOCALE = "nl_NL"
NONE = "–"

BORGING_ITEMS: dict[str, str] = {
    "min_assessors": "ten minste het vereiste aantal verschillende beoordelaars, geen van hen "
    "de student (R10)",
    "independence": "ten minste één beoordelaar is niet de coach van de student (R10)",
    "min_evidence": "het portfolio bevat per leeropbrengst het vereiste aantal leerbewijzen (R9)",
    "evidence_variety": "het portfolio bevat ten minste twee soorten leerbewijs",
    "feedback_givers": "elke leeropbrengst kreeg vóór de aanvraag feedback van ten minste twee "
    "personen",
    "green_light_before_request": "groen licht (of een toegestane vervroegde route) ging aan de "
    "aanvraag vooraf (R7, R8, R9)",
    "ai_use_explained": "de leeswijzer verklaart verklaard gebruik van AI of externe bronnen (R9)",
    "no_compensation": "geslaagd dan en slechts dan als elke leeropbrengst het vereiste niveau "
    "haalt (R13)",
    "quorum": "de examencommissie besloot met een quorum en een meerderheid (R14)",
    "no_referral": "de examencommissie besloot zonder de beoordeling terug te verwijzen naar de "
    "beoordelaars (R14)",
    "portfolio_intact": "na de aanvraag is geen leerbewijs uit het portfolio teruggetrokken (R2)",
    "uncorrected": "geen gebeurtenis van de poging is gecorrigeerd, door de auteur of door de "
    "examencommissie in beroep (R2, R16)",
}
BORGING_SHORT: dict[str, str] = {
    "min_assessors": "aantal beoordelaars",
    "independence": "onafhankelijkheid beoordelaars",
    "min_evidence": "voldoende leerbewijs",
    "evidence_variety": "variatie in leerbewijs",
    "feedback_givers": "feedback van meerdere personen",
    "green_light_before_request": "groen licht vóór de aanvraag",
    "ai_use_explained": "gebruik van AI verklaard",
    "no_compensation": "geen compensatie",
    "quorum": "quorum examencommissie",
    "no_referral": "geen terugverwijzing",
    "portfolio_intact": "portfolio ongewijzigd",
    "uncorrected": "niets gecorrigeerd",
}
DECISIONS = {
    "ratified": "bekrachtigd",
    "referred_back": "terugverwezen",
    "pending": "nog niet besloten",
}
EVIDENCE_KINDS = {
    "assignment": "opdracht",
    "reflection": "reflectie",
    "practice": "praktijkbewijs",
    "presentation": "presentatie",
    "report": "verslag",
    "video": "video",
    "product": "product",
}


def moment(value: datetime | None) -> str:
    """'1 december 2026 om 23:57' (Dutch time)."""
    if value is None:
        return NONE
    local = value.astimezone(AMSTERDAM)
    return format_datetime(local, "d MMMM y 'om' HH:mm", tzinfo=AMSTERDAM, locale=LOCALE)


def day(value: date | datetime | None) -> str:
    """'1 december 2026'."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        value = value.astimezone(AMSTERDAM).date()
    return format_date(value, "d MMMM y", locale=LOCALE)


def short_day(value: date | datetime | None) -> str:
    """'01-12-2026'."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        value = value.astimezone(AMSTERDAM).date()
    return format_date(value, "dd-MM-y", locale=LOCALE)


def took_place(on: date | None, at: datetime | None, short: bool = True) -> str:
    """The day something took place and, when it was recorded on another day, that day too:
    '18-12-2025 (vastgelegd 05-01-2026)', as the dossier shows its steps."""
    shown = short_day if short else day
    if on is None:
        return shown(at)
    if at is None or at.astimezone(AMSTERDAM).date() == on:
        return shown(on)
    return f"{shown(on)} (vastgelegd {shown(at)})"


def period(p: Period) -> str:
    if p.year is not None:
        return f"kalenderjaar {p.year}"
    if p.start.astimezone(AMSTERDAM).time() != p.start.astimezone(AMSTERDAM).time().min or (
        p.end.astimezone(AMSTERDAM).time() != p.end.astimezone(AMSTERDAM).time().min
    ):
        return f"{moment(p.start)} tot {moment(p.end)}"
    return f"{day(p.first_day)} tot en met {day(p.last_day)}"


def number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return NONE
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=LOCALE)


def percent(value: float | None) -> str:
    if value is None:
        return NONE
    return format_percent(value, format="#,##0.0%", locale=LOCALE)


def duration(seconds: float | None) -> str:
    """A duration in days, hours or minutes, whichever reads best: '12,5 dagen', '3,2 uur'."""
    if seconds is None:
        return NONE
    if seconds >= 86_400:
        days = seconds / 86_400
        return f"{number(days, 1)} {'dag' if round(days, 1) == 1 else 'dagen'}"
    if seconds >= 3_600:
        return f"{number(seconds / 3_600, 1)} uur"
    if seconds >= 60:
        minutes = seconds / 60
        return f"{number(minutes, 0)} {'minuut' if round(minutes) == 1 else 'minuten'}"
    return f"{number(seconds, 0)} seconden"


def yes_no(value: bool) -> str:
    return "ja" if value else "nee"


def _codes(values: Any) -> str:
    return ", ".join(str(v) for v in values or []) or NONE


def finding(item: str, facts: dict[str, Any]) -> str:
    """What a borging exception found, in Dutch, from the facts the item was decided on."""
    if item == "min_assessors":
        return (
            f"beoordelaars: {_codes(facts.get('assessors'))}; vereist: "
            f"{facts.get('required', NONE)} verschillende, niet de student"
        )
    if item == "independence":
        return f"alle beoordelaars zijn de coach ({facts.get('coach_id') or NONE})"
    if item == "min_evidence":
        required = facts.get("required", 0)
        short = [
            f"{code} ({n} van {required})"
            for code, n in sorted((facts.get("per_outcome") or {}).items())
            if int(n) < int(required)
        ]
        return "te weinig leerbewijs voor " + (", ".join(short) or NONE)
    if item == "evidence_variety":
        kinds = [EVIDENCE_KINDS.get(str(k), str(k)) for k in facts.get("kinds") or []]
        return f"{len(kinds)} soort(en) leerbewijs: {', '.join(kinds) or NONE}"
    if item == "feedback_givers":
        required = facts.get("required", 2)
        few = [
            code
            for code, n in sorted((facts.get("per_outcome") or {}).items())
            if int(n) < int(required)
        ]
        return f"feedback van minder dan {required} personen op {', '.join(few) or NONE}"
    if item == "green_light_before_request":
        return "geen groen licht en geen toegestane vervroegde route vóór de aanvraag"
    if item == "ai_use_explained":
        return (
            "de leeswijzer verklaart het gebruik van AI of externe bronnen niet in "
            f"{_codes(facts.get('declared'))}"
        )
    if item == "no_compensation":
        return (
            "het vastgelegde resultaat volgt niet uit de niveaus (onder het vereiste niveau: "
            f"{_codes(facts.get('below_pass_level'))})"
        )
    if item == "quorum":
        status = DECISIONS.get(str(facts.get("status")), NONE)
        return (
            f"{status} met {facts.get('ratify', 0)} stem(men) voor bekrachtigen en "
            f"{facts.get('refer_back', 0)} voor terugverwijzen (quorum {facts.get('quorum')})"
        )
    return NONE
