"""The period a report covers: a calendar year or a range of days, in Europe/Amsterdam.

A period is half-open, [start, end): a year runs from 1 January 00:00 to the next 1 January
00:00 Dutch time (so the New Year's night in UTC belongs to the right year), a range of days
from the first day's midnight to the midnight after the last day. The report selects on the
period's days, `first_day` to `last_day`: a fact counts on the day it took place
(projections/reports/annual.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FIRST_YEAR, LAST_YEAR = 2000, 2999


class PeriodError(ValueError):
    """The period asked for is not one: an end before its start, a year out of range."""


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, aware
    end: datetime  # exclusive, aware
    first_day: date
    last_day: date
    year: int | None = None

    @classmethod
    def of_year(cls, year: int) -> Period:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise PeriodError(f"the year must lie between {FIRST_YEAR} and {LAST_YEAR}")
        return cls(
            datetime(year, 1, 1, tzinfo=AMSTERDAM),
            datetime(year + 1, 1, 1, tzinfo=AMSTERDAM),
            date(year, 1, 1),
            date(year, 12, 31),
            year,
        )

    @classmethod
    def of_days(cls, first: date, last: date) -> Period:
        if last < first:
            raise PeriodError("the period ends before it starts")
        if first.year < FIRST_YEAR or last.year > LAST_YEAR:
            raise PeriodError(f"the period must lie between {FIRST_YEAR} and {LAST_YEAR}")
        start = datetime.combine(first, time(), tzinfo=AMSTERDAM)
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=AMSTERDAM)
        whole_year = first == date(first.year, 1, 1) and last == date(first.year, 12, 31)
        return cls(start, end, first, last, first.year if whole_year else None)

    @classmethod
    def between(cls, start: datetime, end: datetime) -> Period:
        """Any two moments (aware). The report counts whole days (the day each fact took
        place), so this period covers every day the moments fall on."""
        if start.tzinfo is None or end.tzinfo is None:
            raise PeriodError("a period's moments need a time zone")
        if end <= start:
            raise PeriodError("the period ends before it starts")
        first = start.astimezone(AMSTERDAM).date()
        last = (end - timedelta(microseconds=1)).astimezone(AMSTERDAM).date()
        return cls(start, end, first, last)

    @classmethod
    def current_year(cls, now: datetime | None = None) -> Period:
        moment = (now or datetime.now(AMSTERDAM)).astimezone(AMSTERDAM)
        return cls.of_year(moment.year)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end
