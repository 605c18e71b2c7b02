"""What counts as "the database is not reachable (now)", as opposed to a bug or bad data.

Such an error is worth retrying later and tells a client to come back (HTTP 503): the server
is gone or restarting, a connection broke, no pooled connection came free in time, a lock or
a statement timed out, SQLite was busy. Anything else is not made better by waiting.
"""

from __future__ import annotations

import sqlite3

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError

UNAVAILABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError,  # also the pool's PoolTimeout, PoolClosed, TooManyRequests
    psycopg.InterfaceError,
    OperationalError,  # the event store's wrapping of the above (and of SQLite's)
    InterfaceError,
    sqlite3.OperationalError,
)


def is_unavailable(exc: BaseException) -> bool:
    """True for an error of the database's availability, also when wrapped in another error."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UNAVAILABLE):
            return True
        seen.add(id(current))
        current = current.__cause__
    return False
