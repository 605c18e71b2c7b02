"""The access export (AVG art. 15): everything stored about one student, opened.

Every event of every trajectory of the student, with every value opened with the student's keys
(what others wrote about them too: feedback, judgments, votes, notes), the person registry's
entry, the status of each of their data keys, and the privacy records about them. A value whose
key is shredded reads as the placeholder, as everywhere.

Built here as plain JSON-ready data; the API layer writes it as JSON and as a Dutch page, in one
zip (`api/privacy_export.py`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from domain import moments
from domain.privacy import retention

FORMAT = "bewijsketen-access-export/1"
# What every event has besides its data: told apart in the export.
BASE = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "actor", "command"}
)


def plain(value: Any) -> Any:
    """A value as JSON: ids and moments as text, enums by their value, records as objects."""
    if isinstance(value, Enum):
        return plain(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def event_entry(event: Any) -> dict[str, Any]:
    data = {k: plain(v) for k, v in vars(event).items() if k not in BASE}
    return {
        "aggregate": type(event).__qualname__.split(".")[0],
        "event": type(event).__name__,
        "version": event.originator_version,
        "recorded_at": plain(event.timestamp),
        "occurred_on": plain(moments.occurred_on(event)),
        "actor": plain(event.actor),
        "summary": event.summary(),
        "data": data,
    }


def collect(
    app: Any,
    student_id: str,
    person: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Everything stored about the student, opened, as JSON-ready data. `person` is the person
    registry's entry (None when there is none, or it was forgotten)."""
    trajectory_ids = retention.student_trajectories(app).get(student_id, [])
    trajectories = []
    for trajectory_id in trajectory_ids:
        events = [event_entry(e) for e in app.events.get(trajectory_id)]
        started = events[0]["data"] if events else {}
        trajectories.append(
            {
                "trajectory_id": str(trajectory_id),
                "program_id": started.get("program_id"),
                "program_version": started.get("program_version"),
                "cohort": started.get("cohort"),
                "events": events,
            }
        )
    ledger = retention.read_ledger(app).get(student_id, retention.StudentLedger())
    keys = getattr(app, "keys", None)
    return {
        "format": FORMAT,
        "student_id": student_id,
        "made_at": (now or datetime.now(UTC)).isoformat(),
        "person": dict(person) if person is not None else None,
        "keys": [
            {
                "key_id": k.key_id,
                "retention": k.retention.value,
                "created_at": plain(k.created_at),
                "shredded_at": plain(k.shredded_at),
            }
            for k in (keys.keys_of(student_id) if keys is not None else ())
        ],
        "trajectories": trajectories,
        "privacy_records": [event_entry(e) for e in ledger.records],
    }


def event_count(export: Mapping[str, Any]) -> int:
    return sum(len(t["events"]) for t in export["trajectories"]) + len(export["privacy_records"])


def known(export: Mapping[str, Any]) -> bool:
    """Whether anything at all is stored about the student."""
    return bool(export["trajectories"] or export["privacy_records"] or export["person"])


def texts(export: Mapping[str, Any]) -> Iterable[str]:
    """Every text in the export's events (for checks that nothing was left out)."""

    def walk(value: Any) -> Iterable[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            for item in value.values():
                yield from walk(item)
        elif isinstance(value, list):
            for item in value:
                yield from walk(item)

    for trajectory in export["trajectories"]:
        for entry in trajectory["events"]:
            yield from walk(entry["data"])
