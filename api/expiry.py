"""How long a token lives: durations like `12h` or `90d`, and moments like `2027-06-30`.

A moment without an offset is read in Europe/Amsterdam, the time the schools keep; a bare date
means 00:00 at the start of that day, so `--expires 2027-07-01` works through 30 June.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$", re.IGNORECASE)
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
DEFAULT_TOKEN_LIFETIME = timedelta(hours=12)
EXAMPLES = "a duration such as 30m, 12h, 90d or 52w, or an ISO date or date-time (2027-06-30)"


def parse_duration(text: str) -> timedelta:
    """`30m`, `12h`, `90d`, `52w` as a positive timedelta; ValueError otherwise."""
    match = DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration such as 30m, 12h, 90d or 52w")
    amount, unit = int(match.group(1)), match.group(2).lower()
    if amount <= 0:
        raise ValueError(f"{text!r}: a duration must be longer than zero")
    return timedelta(**{UNITS[unit]: amount})


def parse_moment(text: str) -> datetime:
    """An ISO date or date-time as an aware datetime (Europe/Amsterdam unless it has an offset)."""
    value = text.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=AMSTERDAM)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not {EXAMPLES}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)


def parse_expiry(text: str) -> timedelta | datetime:
    """What `--expires TEXT` says: a duration (from the moment of issue) or a moment."""
    try:
        return parse_duration(text)
    except ValueError:
        if DURATION.match(text):
            raise
        return parse_moment(text)


def expiry_moment(expires: timedelta | datetime, now: datetime) -> datetime:
    """When a token issued at `now` stops working, in UTC; it must be later than `now`."""
    if isinstance(expires, datetime):
        if expires.tzinfo is None:
            raise ValueError("a moment of expiry needs a time zone")
        moment = expires
    else:
        try:
            moment = now + expires
        except OverflowError:
            raise ValueError(f"{expires} is too far in the future") from None
    if moment <= now:
        raise ValueError(f"{shown(moment)} is not in the future")
    return moment.astimezone(UTC)


def shown(moment: datetime) -> str:
    """A moment as people here read it: Europe/Amsterdam, to the minute, with its offset."""
    return moment.astimezone(AMSTERDAM).strftime("%Y-%m-%d %H:%M %Z")
