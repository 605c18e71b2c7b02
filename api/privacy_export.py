"""The access export as a zip: `export.json` (everything, opened) and `export.html` (the same in
readable Dutch, times in Europe/Amsterdam), made for one student and recorded in the privacy
ledger (who made it, when, how many events, the SHA-256 of the zip).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from domain import commands as c
from domain import policy
from domain.privacy import export
from domain.privacy.ledger import PrivacyRecord
from domain.values import Actor
from projections.audit import render

TEMPLATE = "privacy_export.html"
_env = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)
# The dossier's role names and the two its table lacks (the pages use these too).
ROLES = {**render.ROLES, "privacy": "privacyfunctionaris", "external": "externe feedbackgever"}
CLASSES = {"formative": "formatief", "exam": "examen"}
# What each privacy record says, in Dutch (a test holds it equal to the ledger's events).
RECORDS = {
    PrivacyRecord.ErasureRequested.__name__: "Verzoek om verwijdering vastgelegd",
    PrivacyRecord.DataShredded.__name__: "Gegevens vernietigd (sleutels gewist)",
    PrivacyRecord.AccessExported.__name__: "Inzage-export gemaakt",
}


@dataclass(frozen=True)
class MadeExport:
    content: bytes
    sha256: str
    events: int
    record_id: Any


def _summary(entry: dict[str, Any]) -> str:
    if entry["aggregate"] == PrivacyRecord.__name__:
        data = entry["data"]
        classes = ", ".join(CLASSES.get(x, x) for x in data.get("classes", []))
        text = RECORDS.get(entry["event"], entry["event"])
        return f"{text}" + (f" ({classes})" if classes else "")
    step = {"aggregate": entry["aggregate"], "event": entry["event"], "data": entry["data"]}
    return render.summary(step)


def _texts(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every value of an event's data as (field, text) rows, nested names joined by dots."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, item in value.items():
            rows += _texts(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [(prefix, ", ".join("" if v is None else str(v) for v in value))]
        rows = []
        for index, item in enumerate(value):
            rows += _texts(item, f"{prefix}.{index}")
        return rows
    if value is None or value == "":
        return []
    return [(prefix, str(value))]


def render_html(data: dict[str, Any]) -> str:
    return _env.get_template(TEMPLATE).render(
        export=data,
        when=render.when,
        day=render.day,
        summary=_summary,
        texts=_texts,
        role=lambda r: ROLES.get(str(r), str(r)),
        klass=lambda r: CLASSES.get(str(r), str(r)),
    )


def zip_export(data: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
        archive.writestr("export.json", text)
        archive.writestr("export.html", render_html(data))
    return buffer.getvalue()


def make_export(app: Any, persons: Any, actor: Actor, student_id: str) -> MadeExport:
    """The student's export, if the actor may have it (NotFound as for a student who does not
    exist otherwise, and for one of whom nothing is stored), recorded in the ledger."""
    policy.student_access(actor, student_id, policy.READS["privacy_export"], app.directory)
    entry = persons.entry(student_id) if persons is not None else None
    data = export.collect(app, student_id, {"id": student_id, **entry} if entry else None)
    if not export.known(data):
        raise policy.not_found("student", student_id)
    content = zip_export(data)
    digest = hashlib.sha256(content).hexdigest()
    count = export.event_count(data)
    record = c.RecordAccessExport(student_id=student_id, events=count, sha256=digest)
    result = app.execute(record, actor)
    return MadeExport(content, digest, count, result.aggregate_id)
