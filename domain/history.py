"""A trajectory's history as rows a person can read: version, time, actor, event, summary.

Each event says itself what happened (`summary`, declared with the event in its aggregate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class HistoryRow:
    version: int
    timestamp: datetime
    actor_id: str
    actor_role: str
    event_type: str
    summary: str


def event_type(domain_event: Any) -> str:
    return type(domain_event).__name__


def history(events: Iterable[Any]) -> list[HistoryRow]:
    return [
        HistoryRow(
            version=e.originator_version,
            timestamp=e.timestamp,
            actor_id=e.actor.person_id,
            actor_role=e.actor.role.value,
            event_type=event_type(e),
            summary=e.summary(),
        )
        for e in events
    ]
