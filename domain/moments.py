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

from domain.commands import EARLIEST_DAY
from domain.errors import InvalidInput

ZONE = ZoneInfo("Europe/Amsterdam")


class Occurring:
    """Mixed into the events that say on which day their happening took place (`occurred_on`),
    when it was recorded later.

    Version 2 of the events added the field; a version 1 event, stored before, took place on
    the day it was recorded, which is what `occurred_on = None` says."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("occurred_on", None)


def check_day(day: date | None) -> date | None:
    """R1: the day a command says its happening took place is not after today and not before
    anything in the record (`domain.commands.EARLIEST_DAY`). None: as it is recorded."""
    if day is None:
        return None
    now = today()
    if day > now:
        raise InvalidInput(
            "R1",
            f"occurred_on {day.isoformat()} lies in the future (today is {now.isoformat()} in "
            "Europe/Amsterdam); the day something took place is recorded after it",
        )
    if day < EARLIEST_DAY:
        raise InvalidInput(
            "R1",
            f"occurred_on {day.isoformat()} lies before {EARLIEST_DAY.isoformat()}, before "
            "anything in the record",
        )
    return day


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
