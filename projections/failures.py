"""A projection that cannot apply an event: which event, why, and when it is tried again.

The runner never lets one event stop the read models: it finds the first event a projection
cannot apply (halving its batch until the event stands alone), applies everything before it,
marks that projection failed at that event and retries it with a growing pause, while the other
projections go on. The failure is stored beside the positions, so every process (the API, the
workers, `bewijsketen projections status`) reports it, and cleared when the event applies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Notification

from domain.application import Bewijsketen

FIRST_RETRY = 1.0
MAX_RETRY = 60.0
MAX_ERROR_TEXT = 1000


def error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 1] + "…"


def describe(app: Bewijsketen, notification: Notification) -> str:
    """`CorrectionRecorded version 3 of trajectory <id>`, from the stored event alone if it
    cannot even be decoded."""
    kind = notification.topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    return (
        f"{kind} version {notification.originator_version} of "
        f"{notification.originator_id} (position {notification.id})"
    )


@dataclass
class Failure:
    name: str
    position: int  # the event that cannot be applied (its notification id)
    event: str
    error: str
    since: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    attempts: int = 1
    pause: float = FIRST_RETRY
    retry_at: float = field(default_factory=lambda: time.monotonic() + FIRST_RETRY)

    def again(self, error: str) -> None:
        self.attempts += 1
        self.error = error
        self.pause = min(self.pause * 2, MAX_RETRY)
        self.retry_at = time.monotonic() + self.pause

    @property
    def due(self) -> bool:
        return time.monotonic() >= self.retry_at

    def report(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event": self.event,
            "error": self.error,
            "since": self.since,
            "attempts": self.attempts,
        }


class PoisonEvent(RuntimeError):
    """An event that a projection cannot apply, named."""

    def __init__(self, name: str, position: int, event: str, error: str) -> None:
        super().__init__(f"{name}: cannot apply {event}: {error}")
        self.name = name
        self.position = position
        self.event = event
        self.error = error
