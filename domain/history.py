"""A trajectory's history as rows a person can read: version, time, actor, event, summary.

Each event says itself what happened (`summary`, declared with the event in its aggregate).
Each row has the moment it was recorded (`timestamp`, the store's own) and the day it took place
(`occurred_on`): the day the command said, for a conversation or meeting recorded later, or else
the day it was recorded (`domain.moments`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain import moments


@dataclass(frozen=True)
class HistoryRow:
    version: int
    timestamp: datetime
    occurred_on: date
    recorded_later: bool
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
            occurred_on=moments.occurred_on(e),
            recorded_later=moments.recorded_later(e),
            actor_id=e.actor.person_id,
            actor_role=e.actor.role.value,
            event_type=event_type(e),
            summary=e.summary(),
        )
        for e in events
    ]
