"""What counts as "the database is not reachable (now)", as opposed to a bug or bad data.

Such an error is worth retrying later and tells a client to come back (HTTP 503): the server
is gone or restarting, a connection broke, no pooled connection came free in time, a lock or
a statement timed out, SQLite was busy. Anything else is not made better by waiting.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from psycopg_pool import PoolTimeout

P = ParamSpec("P")
T = TypeVar("T")

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


# A pool hands out connections whose server went away (a restart) one by one, and each fails
# at once: retrying at once gets past them. More attempts than a pool holds connections.
BRIEF_ATTEMPTS = 20


def waited_for_a_connection(exc: BaseException) -> bool:
    """The pool found no connection within its timeout: the database is down, not just one
    connection, and waiting again would only make the caller wait longer."""
    return isinstance(exc, PoolTimeout) or isinstance(exc.__cause__, PoolTimeout)


def retry_briefly(func: Callable[P, T]) -> Callable[P, T]:
    """Retries a call to the event store whose connection broke, at once and only while each
    attempt fails fast; gives up as soon as an attempt had to wait for the pool (it waited its
    timeout). So a request during an outage waits about one pool timeout, never ten, and the
    first request after a restart gets past the pool's dead connections. (The library retries
    10 times, 0.2 s apart, each attempt waiting the pool timeout: minutes during an outage.)"""

    @functools.wraps(func)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, BRIEF_ATTEMPTS + 1):
            try:
                return func(*args, **kwargs)
            except (InterfaceError, OperationalError) as exc:
                if attempt == BRIEF_ATTEMPTS or waited_for_a_connection(exc):
                    raise
        raise AssertionError("unreachable")

    return call
