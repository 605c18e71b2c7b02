"""The dossier as a printable Dutch HTML page: a timeline and the levels per outcome per moment.

Deterministic: the same dossier and checkpoint always give the same bytes (no clock, no
randomness, stable ordering), so that an offline verifier can regenerate the page from the
bundle's events and compare it byte for byte. Pure: no database, no domain.

Times are shown in Europe/Amsterdam. Each step shows the day its happening took place and, where
that differs, when it was recorded: a medium-stake held on 12 March and entered a week later
reads "12 maart 2026 (vastgelegd 19 maart 2026, 09:14)".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from projections.audit import names
from projections.audit.bundle_format import canonical_json

ROLES = {
    "student": "student",
    "coach": "coach",
    "mentor": "studieloopbaanbegeleider",
    "assessor": "beoordelaar",
    "committee": "examencommissie",
    "quality": "kwaliteitszorg",
    "inspector": "inspectie",
    "admin": "beheerder",
}
SOURCES = {
    "self": "zelfreflectie",
    "peer": "medestudent",
    "coach": "coach",
    "practice": "praktijkbegeleider",
    "client": "klant",
}
KINDS = {
    "assignment": "opdracht",
    "reflection": "reflectie",
    "practice": "praktijkbewijs",
    "presentation": "presentatie",
    "report": "verslag",
    "video": "video",
    "product": "product",
}
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
NONE = '<span class="muted">–</span>'
LIGHTS = {"green": "groen", "orange": "oranje", "red": "rood"}
VERDICTS = {"pass": "geslaagd", "fail": "niet geslaagd", "doubt": "twijfel"}
VOTES = {"ratify": "bekrachtigen", "refer_back": "terugverwijzen"}
STAFF = {
    "coach": "coach",
    "mentor": "studieloopbaanbegeleider",
    "assessor": "beoordelaar",
    "committee": "lid examencommissie",
}

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #111; margin: 2em; }
h1 { font-size: 16pt; margin-bottom: 0.2em; }
h2 { font-size: 13pt; border-bottom: 1px solid #888; margin-top: 1.6em; }
h3 { font-size: 11pt; margin-bottom: 0.3em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; }
th, td { border: 1px solid #bbb; padding: 3px 5px; text-align: left; vertical-align: top; }
th { background: #eee; }
td.hash, span.hash { font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; }
.muted { color: #555; }
.below { font-weight: bold; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
dt { font-weight: bold; }
@page {
  size: A4;
  margin: 18mm 15mm 20mm 15mm;
  @bottom-right { content: "Pagina " counter(page) " van " counter(pages); font-size: 8pt; }
}
@media print {
  body { margin: 0; font-size: 9pt; }
  h2 { page-break-after: avoid; }
  tr, .attempt { page-break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _local(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value or ""))
    except ValueError:
        return None
    return moment.astimezone(AMSTERDAM) if moment.tzinfo is not None else None


def when(value: Any) -> str:
    """'2026-12-01T13:05:09+00:00' → '1 december 2026, 14:05' (Europe/Amsterdam).

    Month names from a table, not a locale library: the bytes must not change with a library's
    version, or an offline verifier would no longer regenerate the same page."""
    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return _e(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(AMSTERDAM)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def day(value: Any) -> str:
    """'2026-03-12' → '12 maart 2026' (a calendar day has no time zone)."""
    text = str(value or "")
    try:
        found = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        found = None
    if found is None:
        return _e(text)
    return f"{found.day} {MONTHS[found.month - 1]} {found.year}"


def moment(entry: dict[str, Any]) -> str:
    """The day it took place and, when it was recorded on another day, when that was."""
    on, at = entry.get("on"), entry.get("at")
    local = _local(at)
    if on is None:
        return when(at)
    if local is None or local.date().isoformat() == on:
        return day(on)
    return f"{day(on)} (vastgelegd {when(at)})"


def who(actor: dict[str, Any] | None, person: Callable[[Any], str] | None = None) -> str:
    if not actor:
        return ""
    role = ROLES.get(str(actor.get("role")), str(actor.get("role")))
    name = (person or _id)(actor.get("person_id"))
    return f'{_e(name)} <span class="muted">({_e(role)})</span>'


def _list(values: Any) -> str:
    return ", ".join(str(v) for v in values or [])


Text = Callable[..., str]


def _id(person: Any) -> str:
    return "" if person is None else str(person)


def _people(values: Any, person: Callable[[Any], str]) -> str:
    return ", ".join(person(v) for v in values or [])


def naming(names: Mapping[str, str] | None) -> Callable[[Any], str]:
    """How a person is written: "Name (id)" when the name is known, else the id. The names come
    from the person registry, never from the events (the log holds ids only)."""
    if not names:
        return _id

    def person(value: Any) -> str:
        ident = _id(value)
        name = names.get(ident)
        return f"{name} ({ident})" if name else ident

    return person


# What happened, in Dutch, per event, from the step's plain event data. Keyed by the names of
# `names.py`; a test holds these tables equal to the aggregates' events.
PROGRAM_TEXTS: dict[str, Text] = {
    names.PROGRAM_REGISTERED: lambda d, p=_id: (
        f"Leerprogramma {d.get('code')} geregistreerd: {d.get('title')}"
    ),
    names.VERSION_PUBLISHED: lambda d, p=_id: (
        f"Versie {d.get('number')} van het leerprogramma gepubliceerd"
    ),
    names.STAFF_REGISTERED: lambda d, p=_id: (
        f"{p(d.get('person_id'))} geregistreerd als {STAFF.get(str(d.get('role')), d.get('role'))}"
    ),
    names.STAFF_DEREGISTERED: lambda d, p=_id: (
        f"{p(d.get('person_id'))} afgemeld als {STAFF.get(str(d.get('role')), d.get('role'))}"
    ),
}
TRAJECTORY_TEXTS: dict[str, Text] = {
    names.STARTED: lambda d, p=_id: (
        f"Traject gestart op programmaversie {d.get('program_version')}, "
        f"cohort {d.get('cohort')}, coach {p(d.get('coach_id'))}, "
        f"studieloopbaanbegeleider {p(d.get('mentor_id'))}"
    ),
    names.COACH_REASSIGNED: lambda d, p=_id: f"Coach gewijzigd: {p(d.get('coach_id'))}",
    names.MENTOR_REASSIGNED: lambda d, p=_id: (
        f"Studieloopbaanbegeleider gewijzigd: {p(d.get('mentor_id'))}"
    ),
    names.BASELINE_MEASURED: lambda d, p=_id: f"0-meting {d.get('outcome')}: {d.get('level')}",
    names.EVIDENCE_SUBMITTED: lambda d, p=_id: (
        f"Leerbewijs {d.get('evidence_id')} "
        f"({KINDS.get(str(d.get('kind')), d.get('kind'))}) ingediend voor "
        f"{_list(d.get('outcomes'))}: {d.get('title')}"
        + (
            " — gebruik van AI/externe bronnen verklaard"
            if d.get("ai_use") or d.get("external_sources")
            else ""
        )
    ),
    names.EVIDENCE_WITHDRAWN: lambda d, p=_id: f"Leerbewijs {d.get('evidence_id')} ingetrokken",
    names.FEEDBACK_REQUESTED: lambda d, p=_id: (
        f"Feedback gevraagd aan {p(d.get('requested_from'))} "
        f"({SOURCES.get(str(d.get('source')), d.get('source'))}) op {_list(d.get('outcomes'))}"
    ),
    names.FEEDBACK_GIVEN: lambda d, p=_id: (
        f"Feedback ({SOURCES.get(str(d.get('source')), d.get('source'))}) "
        f"van {p(d.get('giver_id'))} op {_list(d.get('outcomes'))}: {d.get('text')}"
    ),
    names.PROGRESS_CHECKED: lambda d, p=_id: (
        f"Tussenevaluatie: stoplicht {LIGHTS.get(str(d.get('light')), d.get('light'))}"
    ),
    names.MEDIUM_STAKE_HELD: lambda d, p=_id: (
        f"Medium-stake {d.get('number')} ({d.get('moment')}%): "
        + ", ".join(f"{k} {v}" for k, v in sorted((d.get("levels") or {}).items()))
    ),
    names.GREEN_LIGHT_GIVEN: lambda d, p=_id: "Groen licht gegeven voor de high-stake",
    names.GREEN_LIGHT_WITHHELD: lambda d, p=_id: (
        f"Groen licht onthouden; advies: {d.get('advice')}"
    ),
    names.EARLY_HIGH_STAKE_REQUESTED: lambda d, p=_id: "Vervroegde high-stake aangevraagd",
    names.EARLY_HIGH_STAKE_GRANTED: lambda d, p=_id: "Vervroegde high-stake toegestaan",
    names.EARLY_HIGH_STAKE_REFUSED: lambda d, p=_id: "Vervroegde high-stake afgewezen",
    names.HIGH_STAKE_REQUESTED: lambda d, p=_id: (
        f"High-stake poging {d.get('attempt')} aangevraagd met "
        f"{len(d.get('portfolio') or [])} leerbewijzen en leeswijzer"
        + (" (vervroegde route)" if d.get("early") else "")
    ),
    names.ASSESSORS_ASSIGNED: lambda d, p=_id: (
        f"Beoordelaars voor poging {d.get('attempt')}: {_people(d.get('assessor_ids'), p)}"
    ),
    names.JUDGMENT_SUBMITTED: lambda d, p=_id: (
        f"Oordeel over poging {d.get('attempt')} ingediend"
        + (
            " (verzegeld tot alle beoordelaars hebben geoordeeld)"
            if d.get("sealed")
            else f": {VERDICTS.get(str(d.get('verdict')), d.get('verdict'))}"
        )
    ),
    names.CRITERION_INTERVIEW_HELD: lambda d, p=_id: (
        f"Criteriumgericht interview (CGI) gehouden voor poging {d.get('attempt')}"
    ),
    names.FINAL_LEVELS_AGREED: lambda d, p=_id: (
        f"Eindniveaus vastgesteld voor poging {d.get('attempt')}"
    ),
    names.ASSESSMENT_CONCLUDED: lambda d, p=_id: (
        f"Beoordeling van poging {d.get('attempt')} afgerond: "
        + ("geslaagd" if d.get("passed") else "niet geslaagd")
    ),
    names.COMMITTEE_VOTE_CAST: lambda d, p=_id: (
        f"Stem over poging {d.get('attempt')}: {VOTES.get(str(d.get('vote')), d.get('vote'))}"
    ),
    names.DECISION_RATIFIED: lambda d, p=_id: (
        f"Besluit over poging {d.get('attempt')} bekrachtigd door "
        "de examencommissie: " + ("geslaagd" if d.get("passed") else "niet geslaagd")
    ),
    names.DECISION_REFERRED_BACK: lambda d, p=_id: (
        f"Besluit over poging {d.get('attempt')} terugverwezen naar de beoordelaars"
    ),
    names.DEVELOPMENT_PLAN_RECORDED: lambda d, p=_id: (
        f"Ontwikkelplan vastgelegd na poging {d.get('attempt')}"
    ),
    names.CORRECTION_RECORDED: lambda d, p=_id: (
        f"Correctie op gebeurtenis {d.get('corrects_version')}"
    ),
    names.EXHIBITION_PUBLISHED: lambda d, p=_id: f"Expositie gepubliceerd: {d.get('title')}",
    names.BORGING_FOLLOW_UP_RECORDED: lambda d, p=_id: (
        f"Opvolging borging bij poging {d.get('attempt')} vastgelegd: {d.get('action')}"
    ),
}


def summary(step: dict[str, Any], person: Callable[[Any], str] = _id) -> str:
    """What happened, in Dutch, from the step's plain event data."""
    texts = PROGRAM_TEXTS if step["aggregate"] == "Program" else TRAJECTORY_TEXTS
    text = texts.get(step["event"])
    return text(step["data"], person) if text else str(step["event"])


# The committee's tally as the domain records it in a decision's rationale.
TALLY = re.compile(r"^(\d+) ratify, (\d+) refer back \(quorum (\d+)\)$")


def reason(text: Any) -> str:
    """A step's "why" as recorded, with the domain's own wording of a tally put in Dutch."""
    if text is None:
        return ""
    found = TALLY.match(str(text))
    if found is None:
        return str(text)
    ratify, refer, quorum = found.groups()
    return (
        f"{ratify} {'stem' if ratify == '1' else 'stemmen'} voor bekrachtigen, "
        f"{refer} voor terugverwijzen (quorum {quorum})"
    )


def dossier_id(dossier: dict[str, Any]) -> str:
    """Names this dossier exactly: the trajectory, the attempt it covers, and the first 12 hex
    digits of the SHA-256 of its canonical JSON (dossier.json in a bundle)."""
    digest = hashlib.sha256(canonical_json(dossier)).hexdigest()[:12]
    attempt = dossier.get("attempt")
    scope = f"-p{attempt}" if attempt else ""
    return f"{dossier['trajectory']['id']}{scope}-{digest}"


def _timeline(
    dossier: dict[str, Any], person: Callable[[Any], str], proven: Mapping[int, bool] | None
) -> list[str]:
    # Steps are numbered 1, 2, 3 in order; the log position (which counts every event of the
    # whole log) is shown beside it, for checking the proofs.
    check = "<th>Bewezen</th>" if proven is not None else ""
    rows = [
        "<h2>Tijdlijn</h2>",
        "<p>Gebeurd op: de dag waarop het plaatsvond (een gesprek of vergadering kan later zijn "
        "vastgelegd). Vastgelegd: het moment waarop het in het dossier is opgenomen. Tijden in "
        "Europe/Amsterdam.</p>",
        "<table><thead><tr><th>Stap</th><th>Gebeurd op</th><th>Vastgelegd</th><th>Wie</th>"
        f"<th>Wat</th><th>Waarom</th>{check}<th>Logpositie</th></tr></thead><tbody>",
    ]
    for number, step in enumerate(dossier["steps"], start=1):
        status = ""
        if proven is not None:
            ok = proven.get(step["position"])
            label = "ja" if ok else ("nog niet verzegeld" if ok is None else "NEE: klopt niet")
            status = f"<td>{label}</td>"
        rows.append(
            f"<tr><td>{number}</td><td>{day(step.get('on'))}</td><td>{when(step['at'])}</td>"
            f"<td>{who(step['who'], person)}</td><td>{_e(summary(step, person))}</td>"
            f"<td>{_e(reason(step['why']))}</td>{status}"
            f'<td class="muted">{step["position"]}</td></tr>'
        )
    rows.append("</tbody></table>")
    return rows


def _levels_table(dossier: dict[str, Any], person: Callable[[Any], str]) -> list[str]:
    """Levels per outcome (rows) per moment (columns): baseline, medium-stakes, each attempt."""
    outcomes = dossier["outcomes"]
    pass_level = dossier["program"]["rules_applied"].get("rubric", {}).get("pass_level")
    columns: list[tuple[str, Any]] = [("0-meting", ("baseline",))]
    stakes = sorted({(m["number"], m["moment"]) for o in outcomes for m in o["medium_stakes"]})
    columns += [(f"Medium-stake {n} ({m}%)", ("ms", n)) for n, m in stakes]
    for attempt in dossier["attempts"]:
        n = attempt["number"]
        assessors = sorted(
            {j["assessor_id"] for o in outcomes for j in o["judgments"] if j["attempt"] == n}
        )
        columns += [(f"Poging {n}: {person(a)}", ("judge", n, a)) for a in assessors]
        columns.append((f"Poging {n}: eindniveau", ("final", n)))
        columns.append((f"Poging {n}: conclusie", ("concluded", n)))

    def cell(outcome: dict[str, Any], key: tuple[Any, ...]) -> str:
        value: Any = None
        if key[0] == "baseline":
            value = (outcome["baseline"] or {}).get("level")
        elif key[0] == "ms":
            value = next(
                (m["level"] for m in outcome["medium_stakes"] if m["number"] == key[1]), None
            )
        elif key[0] == "judge":
            found = [
                j
                for j in outcome["judgments"]
                if j["attempt"] == key[1] and j["assessor_id"] == key[2]
            ]
            if found and found[-1]["sealed"]:
                return '<td class="muted">verzegeld</td>'
            value = found[-1]["level"] if found else None
        elif key[0] == "final":
            value = next(
                (f["level"] for f in reversed(outcome["final_levels"]) if f["attempt"] == key[1]),
                None,
            )
        elif key[0] == "concluded":
            found_c = [c for c in outcome["concluded"] if c["attempt"] == key[1]]
            if found_c:
                css = ' class="below"' if found_c[-1]["below_pass_level"] else ""
                return f"<td{css}>{_e(found_c[-1]['level'])}</td>"
        return f"<td>{_e(value)}</td>" if value is not None else f"<td>{NONE}</td>"

    rows = [
        "<h2>Niveaus per leeropbrengst per moment</h2>",
        f"<p>Cesuur: <strong>{_e(pass_level)}</strong>. Geslaagd als elke leeropbrengst ten "
        "minste de cesuur haalt; er is geen compensatie. Vetgedrukt: onder de cesuur.</p>",
        "<table><thead><tr><th>Leeropbrengst</th>"
        + "".join(f"<th>{_e(title)}</th>" for title, _ in columns)
        + "</tr></thead><tbody>",
    ]
    for outcome in outcomes:
        rows.append(
            f"<tr><td><strong>{_e(outcome['code'])}</strong> {_e(outcome['title'])}</td>"
            + "".join(cell(outcome, key) for _, key in columns)
            + "</tr>"
        )
    rows.append("</tbody></table>")
    return rows


def _rules(dossier: dict[str, Any]) -> list[str]:
    program = dossier["program"]
    rubric = program["rules_applied"].get("rubric", {})
    settings = program["rules_applied"].get("settings", {})
    moments = settings.get("medium_stake_moments") or []
    items = [
        ("Programma", f"{program.get('code') or ''} {program.get('title') or ''}".strip()),
        ("Programmaversie", program.get("version")),
        (
            "Gepubliceerd",
            moment({"on": program.get("published_on"), "at": program.get("published_at")}),
        ),
        ("Niveaus (laag → hoog)", " → ".join(rubric.get("levels", []))),
        ("Cesuur", rubric.get("pass_level")),
        ("Niveau voor de vervroegde route", rubric.get("early_level")),
        (
            "Deel van de leeropbrengsten voor de vervroegde route",
            f"meer dan {settings.get('early_fraction')}",
        ),
        ("Medium-stake momenten", " en ".join(f"{m}%" for m in moments)),
        ("Leerbewijzen per leeropbrengst (minimaal)", settings.get("min_evidence_per_outcome")),
        ("Beoordelaars (minimaal)", settings.get("min_assessors")),
        (
            "Onafhankelijke beoordelaar vereist",
            "ja" if settings.get("assessor_independence") else "nee",
        ),
        ("Quorum examencommissie", settings.get("committee_quorum")),
    ]
    out = ["<h2>Regels van de programmaversie</h2>", "<dl>"]
    out += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items]
    out.append("</dl>")
    return out


def _per_outcome(dossier: dict[str, Any], person: Callable[[Any], str]) -> list[str]:
    out = ["<h2>Leerbewijzen en feedback per leeropbrengst</h2>"]
    for o in dossier["outcomes"]:
        out.append(f"<h3>{_e(o['code'])} — {_e(o['title'])}</h3>")
        out.append(
            "<table><thead><tr><th>Leerbewijs</th><th>Soort</th><th>Ingediend</th>"
            "<th>SHA-256 van de inhoud</th><th>Status</th></tr></thead><tbody>"
        )
        for ev in o["evidence"]:
            status = (
                "ingetrokken: " + str(ev["withdrawn"]["reason"]) if ev["withdrawn"] else "geldig"
            )
            declared = (
                " (AI/externe bronnen verklaard)" if ev["ai_use"] or ev["external_sources"] else ""
            )
            out.append(
                f"<tr><td>{_e(ev['evidence_id'])}: {_e(ev['title'])}{_e(declared)}<br>"
                f'<span class="muted">{_e(ev["uri"])}</span></td>'
                f"<td>{_e(KINDS.get(str(ev['kind']), ev['kind']))}</td><td>{moment(ev)}</td>"
                f'<td class="hash">{_e(ev["sha256"])}</td><td>{_e(status)}</td></tr>'
            )
        out.append("</tbody></table>")
        if o["feedback"]:
            out.append(
                "<table><thead><tr><th>Feedback van</th><th>Bron</th><th>Wanneer</th>"
                "<th>Feedback</th></tr></thead><tbody>"
            )
            for fb in o["feedback"]:
                out.append(
                    f"<tr><td>{_e(person(fb['giver_id']))}</td>"
                    f"<td>{_e(SOURCES.get(str(fb['source']), fb['source']))}</td>"
                    f"<td>{moment(fb)}</td><td>{_e(fb['text'])}</td></tr>"
                )
            out.append("</tbody></table>")
    return out


def _decisions(dossier: dict[str, Any], person: Callable[[Any], str]) -> list[str]:
    out = ["<h2>Besluitvorming</h2>"]
    if dossier["green_light"]:
        gl = dossier["green_light"][-1]
        text = "gegeven" if gl["given"] else f"onthouden (advies: {gl['advice']})"
        out.append(
            f"<p>Groen licht: {_e(text)} door {who(gl['by'], person)} op {moment(gl)}; "
            f"toelichting: {_e(gl['rationale'])}</p>"
        )
    for a in dossier["attempts"]:
        out.append(
            f'<div class="attempt"><h3>Poging {a["number"]}'
            f"{' (vervroegde route)' if a['early'] else ''}</h3><ul>"
        )
        out.append(
            f"<li>Aangevraagd op {moment({'on': a['requested_on'], 'at': a['requested_at']})} "
            f"met {len(a['portfolio'])} "
            "leerbewijzen; leeswijzer "
            f'<span class="hash">{_e(a["reading_guide"]["sha256"])}</span></li>'
        )
        if a["assessors"]:
            assessors = _people(a["assessors"]["assessor_ids"], person)
            out.append(f"<li>Beoordelaars: {_e(assessors)}</li>")
        for j in a["judgments"]:
            if j["sealed"]:
                out.append(
                    f"<li>Oordeel van {_e(person(j['assessor_id']))} ({moment(j)}): verzegeld</li>"
                )
            else:
                out.append(
                    f"<li>Oordeel van {_e(person(j['assessor_id']))} ({moment(j)}): "
                    f"{_e(VERDICTS.get(str(j['verdict']), j['verdict']))} — "
                    f"{_e(j['rationale'])}</li>"
                )
        for i in a["interviews"]:
            out.append(f"<li>CGI door {who(i['by'], person)} op {moment(i)}: {_e(i['notes'])}</li>")
        for f in a["final_levels"]:
            out.append(
                f"<li>Eindniveaus vastgesteld door {who(f['by'], person)} op {moment(f)}: "
                f"{_e(f['rationale'])}</li>"
            )
        for c in a["conclusions"]:
            result = "geslaagd" if c["passed"] else "niet geslaagd"
            out.append(
                f"<li>Conclusie ({moment(c)}, programmaversie {_e(c['program_version'])}): "
                f"<strong>{result}</strong>; {_e(c['rationale'])}</li>"
            )
        for v in a["votes"]:
            out.append(
                f"<li>Stem van {who(v['by'], person)} (ronde {_e(v['round'])}, "
                f"{moment(v)}): {_e(VOTES.get(str(v['vote']), v['vote']))} — "
                f"{_e(v['rationale'])}</li>"
            )
        for d in a["decisions"]:
            label = "bekrachtigd" if d["decision"] == "ratified" else "terugverwezen"
            out.append(
                f"<li><strong>Besluit {label}</strong> op {moment(d)}: "
                f"{_e(reason(d['rationale']))}</li>"
            )
        if a.get("development_plan"):
            plan = a["development_plan"]
            out.append(f"<li>Ontwikkelplan ({moment(plan)}): {_e(plan['plan'])}</li>")
        out.append("</ul></div>")
    return out


def _verification(checkpoint: dict[str, Any] | None, dossier: dict[str, Any]) -> list[str]:
    out = ["<h2>Verificatie</h2>"]
    if checkpoint is None:
        out.append(
            "<p>Er is nog geen ondertekend controlepunt: de gebeurtenissen zijn niet bewezen.</p>"
        )
        return out
    if checkpoint.get("format") == "bewijsketen-checkpoint/1":
        return out + _verification_v1(checkpoint, dossier)
    out.append(
        "<p>Elke gebeurtenis hierboven is een blad in het verzegelde logboek (Merkle-boom volgens "
        "RFC 9162). De map <code>proofs/</code> bevat per gebeurtenis het bewijs van opname "
        "(c2sp.org/tlog-proof) in de boom van het ondertekende controlepunt hieronder "
        "(<code>checkpoint.txt</code>, c2sp.org/tlog-checkpoint), dat onafhankelijke getuigen "
        "mede ondertekenen; <code>bewijsketen audit verify-export</code> controleert alles "
        "zonder database.</p><dl>"
    )
    for label, value in (
        ("Logboek", checkpoint.get("origin")),
        ("Boomgrootte", checkpoint.get("tree_size")),
        ("Wortelhash", checkpoint.get("root_hash")),
        ("Ondertekend op", when(checkpoint.get("issued_at"))),
        ("Sleutel-id", checkpoint.get("key_id")),
        ("Handtekeningen van getuigen", checkpoint.get("cosignatures", 0)),
        ("Aantal gebeurtenissen in dit dossier", len(dossier["steps"])),
    ):
        out.append(f'<dt>{_e(label)}</dt><dd class="hash">{_e(value)}</dd>')
    out.append("</dl>")
    return out


def _verification_v1(checkpoint: dict[str, Any], dossier: dict[str, Any]) -> list[str]:
    """The section as bundles of the first format (before C2SP checkpoints) rendered it."""
    out = [
        "<p>Elke gebeurtenis hierboven is een blad in het verzegelde logboek (Merkle-boom volgens "
        "RFC 9162). Het bestand <code>proofs.json</code> bevat per gebeurtenis het bewijs van "
        "opname in de boom van het ondertekende controlepunt hieronder; <code>bewijsketen audit "
        "verify-export</code> controleert alles zonder database.</p><dl>"
    ]
    for label, value in (
        ("Logboek", checkpoint.get("origin")),
        ("Boomgrootte", checkpoint.get("tree_size")),
        ("Wortelhash", checkpoint.get("root_hash")),
        ("Ondertekend op", when(checkpoint.get("issued_at"))),
        ("Sleutel-id (SHA-256 van de publieke sleutel)", checkpoint.get("key_id")),
        ("Aantal gebeurtenissen in dit dossier", len(dossier["steps"])),
    ):
        out.append(f'<dt>{_e(label)}</dt><dd class="hash">{_e(value)}</dd>')
    out.append("</dl>")
    return out


def decision_line(dossier: dict[str, Any]) -> str:
    """The decision at the top of the dossier: that of the latest attempt. While a resit is
    under way, the earlier attempt's ratified result is history, not the decision."""
    attempts = dossier["attempts"]
    if not attempts:
        return "nog geen besluit: er is geen high-stake aangevraagd"
    latest = attempts[-1]
    ratified = [d for d in latest["decisions"] if d["decision"] == "ratified"]
    if ratified:
        result = "geslaagd" if ratified[-1]["passed"] else "niet geslaagd"
        return f"poging {latest['number']}: {result} (bekrachtigd op {moment(ratified[-1])})"
    text = f"nog geen besluit over poging {latest['number']}"
    earlier = [
        (a["number"], d)
        for a in attempts[:-1]
        for d in a["decisions"]
        if d["decision"] == "ratified"
    ]
    if earlier:
        number, d = earlier[-1]
        result = "geslaagd" if d["passed"] else "niet geslaagd"
        text += f" (poging {number}: {result}, bekrachtigd op {moment(d)})"
    return text


def sections(
    dossier: dict[str, Any],
    checkpoint: dict[str, Any] | None,
    names: Mapping[str, str] | None = None,
    proven: Mapping[int, bool] | None = None,
) -> list[str]:
    """The dossier's body, section by section (the web page shows the same within its frame).

    `names` (person id → display name) adds names beside the ids; `proven` (log position →
    whether its inclusion proof checked) adds the verification status of every step."""
    person = naming(names)
    t = dossier["trajectory"]
    scope = f"poging {dossier['attempt']}" if dossier["attempt"] else "het hele traject"
    parts = [
        "<dl>",
        f"<dt>Student</dt><dd>{_e(person(t['student_id']))}</dd>",
        f"<dt>Cohort</dt><dd>{_e(t['cohort'])}</dd>",
        f"<dt>Coach</dt><dd>{_e(person(t['coach_id']))}</dd>",
        f"<dt>Studieloopbaanbegeleider</dt><dd>{_e(person(t['mentor_id']))}</dd>",
        f'<dt>Traject</dt><dd class="hash">{_e(t["id"])}</dd>',
        f'<dt>Dossier-id</dt><dd class="hash">{_e(dossier_id(dossier))}</dd>',
        f"<dt>Gestart</dt><dd>{moment({'on': t.get('started_on'), 'at': t['started_at']})}</dd>",
        f"<dt>Dossier over</dt><dd>{scope}</dd>",
        f"<dt>Besluit</dt><dd><strong>{_e(decision_line(dossier))}</strong></dd>",
        "</dl>",
    ]
    parts += _rules(dossier)
    parts += _levels_table(dossier, person)
    parts += _decisions(dossier, person)
    parts += _timeline(dossier, person, proven)
    parts += _per_outcome(dossier, person)
    parts += _verification(checkpoint, dossier)
    return parts


def title_of(dossier: dict[str, Any], names: Mapping[str, str] | None = None) -> str:
    t = dossier["trajectory"]
    program = dossier["program"]
    code = program.get("code") or ""
    student = naming(names)(t["student_id"])
    return f"Besluitdossier {student} — {code} versie {program['version']}"


def render_html(
    dossier: dict[str, Any],
    checkpoint: dict[str, Any] | None,
    names: Mapping[str, str] | None = None,
    proven: Mapping[int, bool] | None = None,
) -> bytes:
    """The whole page. A bundle's dossier.html is this without names or proof status, so that
    the verifier can make it again from the bundle alone."""
    title = title_of(dossier, names)
    # The dossier's id on every printed page.
    footer = (
        '@page { @bottom-left { content: "Dossier ' + dossier_id(dossier) + '"; font-size: 8pt; } }'
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nl"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{CSS}{footer}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        *sections(dossier, checkpoint, names, proven),
        "</body></html>",
    ]
    return ("\n".join(parts) + "\n").encode()
