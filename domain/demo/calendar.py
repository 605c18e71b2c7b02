"""The demo's school year: the days its happenings took place.

The class plays the most recent school year that has ended by the demo's "today": orientation in
the first weeks of September, low-stakes in the autumn, the first medium-stake (50%) in February,
the second (70%) in April, the high-stakes in May and June, the committee's meetings in June and
July. Students who are still under way (resits, a referral's second round, those who fell
behind) carry on after the summer, up to "today". Every day lies between the year's first day
and today, so the domain never refuses one (R1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WEEKS = 45  # the school year's weeks, from the first Monday of September to mid July
THURSDAY = 3


def first_monday_of_september(year: int) -> date:
    first = date(year, 9, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _weekday_on_or_before(day: date) -> date:
    return day - timedelta(days=max(0, day.weekday() - 4))


@dataclass(frozen=True)
class SchoolYear:
    start: date  # the first school day: the first Monday of September
    today: date  # the demo's "today"

    @classmethod
    def ending_before(cls, today: date) -> SchoolYear:
        """The latest school year whose last week lies on or before `today`."""
        year = today.year
        while first_monday_of_september(year) + timedelta(weeks=WEEKS) > today:
            year -= 1
        return cls(first_monday_of_september(year), today)

    @property
    def prepared(self) -> date:
        """The day the team published the program and registered its staff: before the summer."""
        return min(self.start - timedelta(weeks=9), self.today)

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=WEEKS)

    @property
    def label(self) -> str:
        """'2025-2026'."""
        return f"{self.start.year}-{self.start.year + 1}"

    def cohort(self, letter: str) -> str:
        """The cohort (class) name: '2025-26-A'."""
        return f"{self.start.year}-{(self.start.year + 1) % 100:02d}-{letter}"

    def week(self, week: int, weekday: int = 0) -> date:
        """A day in school week `week` (0: the first week of September), never after today."""
        return min(self.start + timedelta(weeks=week, days=weekday), self.today)

    def meeting(self, week: int) -> date:
        """The exam committee meets on Thursdays."""
        return self.week(week, THURSDAY)

    def ago(self, days: int) -> date:
        """A weekday `days` before today, after the summer (never before the year's end)."""
        return max(
            _weekday_on_or_before(self.today - timedelta(days=days)), min(self.end, self.today)
        )
