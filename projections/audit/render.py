"""The dossier as a printable Dutch HTML page: a timeline and the levels per outcome per moment.

Deterministic: the same dossier and checkpoint always give the same bytes (no clock, no
randomness, stable ordering), so that an offline verifier can regenerate the page from the
bundle's events and compare it byte for byte. Pure: no database, no domain.

Times are shown in Europe/Amsterdam. Each step shows the day its happening took place and, where
that differs, when it was recorded: a medium-stake held on 12 March and entered a week later
reads "12-03-2026 (vastgelegd 19-03-2026 09:14:02)".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from projections.audit import names

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
@media print {
  body { margin: 0; font-size: 9pt; }
  h2 { page-break-after: avoid; }
  tr, .attempt { page-break-inside: avoid; }
  thead { display: table-header-group; }
}
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


ZONE = ZoneInfo("Europe/Amsterdam")


def _local(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value or ""))
    except ValueError:
        return None
    return moment.astimezone(ZONE) if moment.tzinfo is not None else None


def when(value: Any) -> str:
    """'2026-11-23T10:49:04.007323+00:00' → '23-11-2026 11:49:04' (Europe/Amsterdam)."""
    local = _local(value)
    if local is None:
        return _e(value)
    return local.strftime("%d-%m-%Y %H:%M:%S")


def day(value: Any) -> str:
    """'2026-03-12' → '12-03-2026'."""
    text = str(value or "")
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        return _e(text)
    return f"{text[8:10]}-{text[5:7]}-{text[0:4]}"


def moment(entry: dict[str, Any]) -> str:
    """The day it took place and, when it was recorded on another day, when that was."""
    on, at = entry.get("on"), entry.get("at")
    local = _local(at)
    if on is None:
        return when(at)
    if local is None or local.date().isoformat() == on:
        return day(on)
    return f"{day(on)} (vastgelegd {when(at)})"


def who(actor: dict[str, Any] | None) -> str:
    if not actor:
        return ""
    role = ROLES.get(str(actor.get("role")), str(actor.get("role")))
    return f'{_e(actor.get("person_id"))} <span class="muted">({_e(role)})</span>'


def _list(values: Any) -> str:
    return ", ".join(str(v) for v in values or [])


Text = Callable[[dict[str, Any]], str]

# What happened, in Dutch, per event, from the step's plain event data. Keyed by the names of
# `names.py`; a test holds these tables equal to the aggregates' events.
PROGRAM_TEXTS: dict[str, Text] = {
    names.PROGRAM_REGISTERED: lambda d: (
        f"Leerprogramma {d.get('code')} geregistreerd: {d.get('title')}"
    ),
    names.VERSION_PUBLISHED: lambda d: (
        f"Versie {d.get('number')} van het leerprogramma gepubliceerd"
    ),
    names.STAFF_REGISTERED: lambda d: (
        f"{d.get('person_id')} geregistreerd als {STAFF.get(str(d.get('role')), d.get('role'))}"
    ),
    names.STAFF_DEREGISTERED: lambda d: (
        f"{d.get('person_id')} afgemeld als {STAFF.get(str(d.get('role')), d.get('role'))}"
    ),
}
TRAJECTORY_TEXTS: dict[str, Text] = {
    names.STARTED: lambda d: (
        f"Traject gestart op programmaversie {d.get('program_version')}, "
        f"cohort {d.get('cohort')}, coach {d.get('coach_id')}, "
        f"studieloopbaanbegeleider {d.get('mentor_id')}"
    ),
    names.COACH_REASSIGNED: lambda d: f"Coach gewijzigd: {d.get('coach_id')}",
    names.MENTOR_REASSIGNED: lambda d: f"Studieloopbaanbegeleider gewijzigd: {d.get('mentor_id')}",
    names.BASELINE_MEASURED: lambda d: f"0-meting {d.get('outcome')}: {d.get('level')}",
    names.EVIDENCE_SUBMITTED: lambda d: (
        f"Leerbewijs {d.get('evidence_id')} "
        f"({KINDS.get(str(d.get('kind')), d.get('kind'))}) ingediend voor "
        f"{_list(d.get('outcomes'))}: {d.get('title')}"
        + (
            " — gebruik van AI/externe bronnen verklaard"
            if d.get("ai_use") or d.get("external_sources")
            else ""
        )
    ),
    names.EVIDENCE_WITHDRAWN: lambda d: f"Leerbewijs {d.get('evidence_id')} ingetrokken",
    names.FEEDBACK_REQUESTED: lambda d: (
        f"Feedback gevraagd aan {d.get('requested_from')} "
        f"({SOURCES.get(str(d.get('source')), d.get('source'))}) op {_list(d.get('outcomes'))}"
    ),
    names.FEEDBACK_GIVEN: lambda d: (
        f"Feedback ({SOURCES.get(str(d.get('source')), d.get('source'))}) "
        f"van {d.get('giver_id')} op {_list(d.get('outcomes'))}: {d.get('text')}"
    ),
    names.PROGRESS_CHECKED: lambda d: (
        f"Tussenevaluatie: stoplicht {LIGHTS.get(str(d.get('light')), d.get('light'))}"
    ),
    names.MEDIUM_STAKE_HELD: lambda d: (
        f"Medium-stake {d.get('number')} ({d.get('moment')}%): "
        + ", ".join(f"{k} {v}" for k, v in sorted((d.get("levels") or {}).items()))
    ),
    names.GREEN_LIGHT_GIVEN: lambda d: "Groen licht gegeven voor de high-stake",
    names.GREEN_LIGHT_WITHHELD: lambda d: f"Groen licht onthouden; advies: {d.get('advice')}",
    names.EARLY_HIGH_STAKE_REQUESTED: lambda d: "Vervroegde high-stake aangevraagd",
    names.EARLY_HIGH_STAKE_GRANTED: lambda d: "Vervroegde high-stake toegestaan",
    names.EARLY_HIGH_STAKE_REFUSED: lambda d: "Vervroegde high-stake afgewezen",
    names.HIGH_STAKE_REQUESTED: lambda d: (
        f"High-stake poging {d.get('attempt')} aangevraagd met "
        f"{len(d.get('portfolio') or [])} leerbewijzen en leeswijzer"
        + (" (vervroegde route)" if d.get("early") else "")
    ),
    names.ASSESSORS_ASSIGNED: lambda d: (
        f"Beoordelaars voor poging {d.get('attempt')}: {_list(d.get('assessor_ids'))}"
    ),
    names.JUDGMENT_SUBMITTED: lambda d: (
        f"Oordeel over poging {d.get('attempt')} ingediend"
        + (
            " (verzegeld tot alle beoordelaars hebben geoordeeld)"
            if d.get("sealed")
            else f": {VERDICTS.get(str(d.get('verdict')), d.get('verdict'))}"
        )
    ),
    names.CRITERION_INTERVIEW_HELD: lambda d: (
        f"Criteriumgericht interview (CGI) gehouden voor poging {d.get('attempt')}"
    ),
    names.FINAL_LEVELS_AGREED: lambda d: f"Eindniveaus vastgesteld voor poging {d.get('attempt')}",
    names.ASSESSMENT_CONCLUDED: lambda d: (
        f"Beoordeling van poging {d.get('attempt')} afgerond: "
        + ("geslaagd" if d.get("passed") else "niet geslaagd")
    ),
    names.COMMITTEE_VOTE_CAST: lambda d: (
        f"Stem over poging {d.get('attempt')}: {VOTES.get(str(d.get('vote')), d.get('vote'))}"
    ),
    names.DECISION_RATIFIED: lambda d: (
        f"Besluit over poging {d.get('attempt')} bekrachtigd door "
        "de examencommissie: " + ("geslaagd" if d.get("passed") else "niet geslaagd")
    ),
    names.DECISION_REFERRED_BACK: lambda d: (
        f"Besluit over poging {d.get('attempt')} terugverwezen naar de beoordelaars"
    ),
    names.DEVELOPMENT_PLAN_RECORDED: lambda d: (
        f"Ontwikkelplan vastgelegd na poging {d.get('attempt')}"
    ),
    names.CORRECTION_RECORDED: lambda d: f"Correctie op gebeurtenis {d.get('corrects_version')}",
    names.EXHIBITION_PUBLISHED: lambda d: f"Expositie gepubliceerd: {d.get('title')}",
    names.BORGING_FOLLOW_UP_RECORDED: lambda d: (
        f"Opvolging borging bij poging {d.get('attempt')} vastgelegd: {d.get('action')}"
    ),
}


# The tally the domain records as the rationale of a committee's decision, said in Dutch.
TALLY = re.compile(r"(\d+) ratify, (\d+) refer back \(quorum (\d+)\)")


def tally(text: Any) -> Any:
    """'2 ratify, 0 refer back (quorum 2)' → '2 keer bekrachtigen, 0 keer terugverwijzen …'."""
    if not isinstance(text, str):
        return text
    return TALLY.sub(
        lambda m: f"{m[1]} keer bekrachtigen, {m[2]} keer terugverwijzen (quorum {m[3]})", text
    )


def summary(step: dict[str, Any]) -> str:
    """What happened, in Dutch, from the step's plain event data."""
    texts = PROGRAM_TEXTS if step["aggregate"] == "Program" else TRAJECTORY_TEXTS
    text = texts.get(step["event"])
    return text(step["data"]) if text else str(step["event"])


def _timeline(dossier: dict[str, Any]) -> list[str]:
    rows = [
        "<h2>Tijdlijn</h2>",
        "<p>Gebeurd op: de dag waarop het plaatsvond (een gesprek of vergadering kan later zijn "
        "vastgelegd). Vastgelegd: het moment waarop het in het dossier is opgenomen. Tijden in "
        "Europe/Amsterdam.</p>",
        "<table><thead><tr><th>Positie</th><th>Gebeurd op</th><th>Vastgelegd</th><th>Wie</th>"
        "<th>Wat</th><th>Waarom</th></tr></thead><tbody>",
    ]
    for step in dossier["steps"]:
        rows.append(
            f"<tr><td>{step['position']}</td><td>{day(step.get('on'))}</td>"
            f"<td>{when(step['at'])}</td><td>{who(step['who'])}</td>"
            f"<td>{_e(summary(step))}</td><td>{_e(tally(step['why']))}</td></tr>"
        )
    rows.append("</tbody></table>")
    return rows


def _levels_table(dossier: dict[str, Any]) -> list[str]:
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
        columns += [(f"Poging {n}: {a}", ("judge", n, a)) for a in assessors]
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


def _per_outcome(dossier: dict[str, Any]) -> list[str]:
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
                    f"<tr><td>{_e(fb['giver_id'])}</td>"
                    f"<td>{_e(SOURCES.get(str(fb['source']), fb['source']))}</td>"
                    f"<td>{moment(fb)}</td><td>{_e(fb['text'])}</td></tr>"
                )
            out.append("</tbody></table>")
    return out


def _decisions(dossier: dict[str, Any]) -> list[str]:
    out = ["<h2>Besluitvorming</h2>"]
    if dossier["green_light"]:
        gl = dossier["green_light"][-1]
        text = "gegeven" if gl["given"] else f"onthouden (advies: {gl['advice']})"
        out.append(
            f"<p>Groen licht: {_e(text)} door {who(gl['by'])} op {moment(gl)}; "
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
            out.append(f"<li>Beoordelaars: {_e(_list(a['assessors']['assessor_ids']))}</li>")
        for j in a["judgments"]:
            if j["sealed"]:
                out.append(f"<li>Oordeel van {_e(j['assessor_id'])} ({moment(j)}): verzegeld</li>")
            else:
                out.append(
                    f"<li>Oordeel van {_e(j['assessor_id'])} ({moment(j)}): "
                    f"{_e(VERDICTS.get(str(j['verdict']), j['verdict']))} — "
                    f"{_e(j['rationale'])}</li>"
                )
        for i in a["interviews"]:
            out.append(f"<li>CGI door {who(i['by'])} op {moment(i)}: {_e(i['notes'])}</li>")
        for f in a["final_levels"]:
            out.append(
                f"<li>Eindniveaus vastgesteld door {who(f['by'])} op {moment(f)}: "
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
                f"<li>Stem van {who(v['by'])} (ronde {_e(v['round'])}, {moment(v)}): "
                f"{_e(VOTES.get(str(v['vote']), v['vote']))} — {_e(v['rationale'])}</li>"
            )
        for d in a["decisions"]:
            label = "bekrachtigd" if d["decision"] == "ratified" else "terugverwezen"
            out.append(
                f"<li><strong>Besluit {label}</strong> op {moment(d)}: "
                f"{_e(tally(d['rationale']))}</li>"
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


def render_html(dossier: dict[str, Any], checkpoint: dict[str, Any] | None) -> bytes:
    t = dossier["trajectory"]
    program = dossier["program"]
    code = program.get("code") or ""
    title = f"Besluitdossier {t['student_id']} — {code} versie {program['version']}"
    decided = [
        d for a in dossier["attempts"] for d in a["decisions"] if d["decision"] == "ratified"
    ]
    outcome = (
        ("geslaagd" if decided[-1]["passed"] else "niet geslaagd")
        if decided
        else "nog geen besluit"
    )
    scope = f"poging {dossier['attempt']}" if dossier["attempt"] else "het hele traject"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="nl"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<dl>",
        f"<dt>Student</dt><dd>{_e(t['student_id'])}</dd>",
        f"<dt>Cohort</dt><dd>{_e(t['cohort'])}</dd>",
        f"<dt>Coach</dt><dd>{_e(t['coach_id'])}</dd>",
        f"<dt>Studieloopbaanbegeleider</dt><dd>{_e(t['mentor_id'])}</dd>",
        f'<dt>Traject</dt><dd class="hash">{_e(t["id"])}</dd>',
        f"<dt>Gestart</dt><dd>{moment({'on': t.get('started_on'), 'at': t['started_at']})}</dd>",
        f"<dt>Dossier over</dt><dd>{scope}</dd>",
        f"<dt>Besluit</dt><dd><strong>{_e(outcome)}</strong></dd>",
        "</dl>",
    ]
    parts += _rules(dossier)
    parts += _levels_table(dossier)
    parts += _decisions(dossier)
    parts += _timeline(dossier)
    parts += _per_outcome(dossier)
    parts += _verification(checkpoint, dossier)
    parts.append("</body></html>")
    return ("\n".join(parts) + "\n").encode()
