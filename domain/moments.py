"""When something happened, apart from when it was recorded.

Every event is recorded at a moment of the store's own (`timestamp`, UTC, never back-dated).
Some events also say on which day the thing they record took place: a conversation held last
week, a committee meeting's vote, practice feedback given at the workplace and recorded later.
That day (`occurred_on`, a calendar day in Europe/Amsterdam) is data of the command; an event
without it took place on the day it was recorded.

Days are taken in Europe/Amsterdam, where the schools are: an event recorded at 23:30 UTC on
1 December was recorded on 2 December there.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Amsterdam")


def today() -> date:
    """Today's date in Europe/Amsterdam."""
    return datetime.now(ZONE).date()


def day_of(moment: datetime) -> date:
    """The calendar day (Europe/Amsterdam) of a moment."""
    return moment.astimezone(ZONE).date()


def occurred_on(event: Any) -> date:
    """The day an event says its happening took place, or else the day it was recorded."""
    own = getattr(event, "occurred_on", None)
    return own if isinstance(own, date) else day_of(event.timestamp)


def recorded_later(event: Any) -> bool:
    """Whether the event was recorded on a later day than the one it took place on."""
    return occurred_on(event) != day_of(event.timestamp)
