"""The report's figures as CSV, one figure per line, for spreadsheets and BI tools.

Columns: onderdeel (section), programma (code, or 'alle'), cohort, sleutel (what the figure is
about within the section: a pair of assessors, a checklist item, a member, a reason), kengetal
(the figure's name) and waarde. Semicolon-separated, decimal comma, UTF-8 with a byte-order mark:
what a Dutch spreadsheet opens without questions. Empty where a figure is undefined.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from typing import Any

from projections.reports.figures import AnnualReport

HEADER = ("onderdeel", "programma", "cohort", "sleutel", "kengetal", "waarde")
ALL = "alle"
# The figures' Dutch names, by the field names of projections/reports/figures.py.
NAMES: dict[str, str] = {
    "decisions": "besluiten",
    "ratified": "bekrachtigd",
    "passed": "geslaagd",
    "not_passed": "niet_geslaagd",
    "referred_back": "terugverwezen",
    "first_attempt_passed": "eerste_poging_geslaagd",
    "first_attempt_not_passed": "eerste_poging_niet_geslaagd",
    "resit_passed": "herkansing_geslaagd",
    "resit_not_passed": "herkansing_niet_geslaagd",
    "early_route_requested": "vervroegde_route_aangevraagd",
    "early_route_granted": "vervroegde_route_toegestaan",
    "early_route_refused": "vervroegde_route_afgewezen",
    "assessments": "beoordelingen",
    "needed": "cgi_nodig",
    "held": "cgi_gehouden",
    "needed_and_held": "cgi_nodig_en_gehouden",
    "doubt": "cgi_wegens_twijfel",
    "disagreement": "cgi_wegens_onenigheid",
    "doubt_and_disagreement": "cgi_om_beide_redenen",
    "comparisons": "vergelijkingen",
    "exact": "gelijk_niveau",
    "exact_rate": "exacte_overeenstemming",
    "kappa_quadratic": "gewogen_kappa_kwadratisch",
    "independent": "niet_alleen_de_coach",
    "coach_assessor": "coach_was_beoordelaar",
    "checks": "checklists",
    "all_ok": "alles_voldaan",
    "holds": "voldaan",
    "rate": "percentage_voldaan",
    "exceptions": "uitzonderingen",
    "followed_up": "opgevolgd",
    "corrections": "correcties",
    "committee_corrections": "correcties_examencommissie",
    "votes": "stemmen",
    "ratify": "stemmen_bekrachtigen",
    "refer_back": "stemmen_terugverwijzen",
    "registered_on": "lid_sinds",
    "registered_at": "lid_sinds_vastgelegd",
    "deregistered_on": "afgemeld",
    "deregistered_at": "afgemeld_vastgelegd",
    "median_seconds": "mediaan_seconden",
    "p90_seconds": "percentiel_90_seconden",
}


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(round(value, 6)).replace(".", ",")
    return str(value)


def rows(report: AnnualReport) -> Iterator[tuple[str, str, str, str, str, str]]:
    codes: dict[uuid.UUID, str] = {p.program_id: p.code for p in report.programs}

    def out(section: str, program: str, cohort: str, key: str, figures: dict[str, Any]) -> Any:
        for name, value in figures.items():
            yield (section, program, cohort, key, NAMES[name], _value(value))

    d = report.decisions
    yield from out("besluiten", ALL, "", "", d.totals.model_dump())
    for p in d.by_program:
        yield from out(
            "besluiten", codes[p.program_id], "", "", p.model_dump(exclude={"program_id"})
        )
    for cd in d.by_cohort:
        figures = cd.model_dump(exclude={"program_id", "cohort"})
        yield from out("besluiten", codes[cd.program_id], cd.cohort, "", figures)
    a = report.assessment
    yield from out("cgi", ALL, "", "", a.interviews.model_dump())
    yield from out("onafhankelijkheid", ALL, "", "", a.independence.model_dump())
    for pa in a.by_program:
        code = codes[pa.program_id]
        yield from out("cgi", code, "", "", pa.interviews.model_dump())
        yield from out("overeenstemming", code, "", "", pa.agreement.model_dump())
        yield from out("onafhankelijkheid", code, "", "", pa.independence.model_dump())
    for pair in a.pairs:
        key = f"{pair.assessor_a} + {pair.assessor_b}"
        figures = pair.model_dump(exclude={"program_id", "assessor_a", "assessor_b"})
        yield from out("overeenstemming", codes[pair.program_id], "", key, figures)
    b = report.borging
    yield from out(
        "borging",
        ALL,
        "",
        "",
        {
            "checks": b.checks,
            "all_ok": b.all_ok,
            "exceptions": b.exceptions,
            "followed_up": b.followed_up,
        },
    )
    for item in b.items:
        yield from out("borging", ALL, "", item.item, item.model_dump(exclude={"item"}))
    c = report.corrections
    yield from out(
        "correcties",
        ALL,
        "",
        "",
        {"corrections": c.corrections, "committee_corrections": c.committee_corrections},
    )
    for pc in c.by_program:
        yield from out(
            "correcties", codes[pc.program_id], "", "", pc.model_dump(exclude={"program_id"})
        )
    for reason in c.reasons:
        name = "committee_corrections" if reason.committee else "corrections"
        yield ("correcties", ALL, "", reason.reason, NAMES[name], _value(reason.count))
    m = report.committee
    yield from out(
        "examencommissie",
        ALL,
        "",
        "",
        {"votes": m.votes, "ratify": m.ratify, "refer_back": m.refer_back},
    )
    for member in m.members:
        # The days the term began and ended, and when each was recorded.
        figures = {
            "registered_on": member.registered_on.isoformat(),
            "registered_at": member.registered_at.isoformat(),
            "deregistered_on": member.deregistered_on.isoformat()
            if member.deregistered_on
            else None,
            "deregistered_at": member.deregistered_at.isoformat()
            if member.deregistered_at
            else None,
            "ratify": member.ratify,
            "refer_back": member.refer_back,
        }
        yield from out("examencommissie", codes[member.program_id], "", member.person_id, figures)
    t = report.time_to_decision
    yield from out("doorlooptijd", ALL, "", "", t.overall.model_dump())
    for pt in t.by_program:
        yield from out(
            "doorlooptijd", codes[pt.program_id], "", "", pt.model_dump(exclude={"program_id"})
        )


def render_csv(report: AnnualReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows(report))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
