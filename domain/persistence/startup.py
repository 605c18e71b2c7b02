"""Serialises start-up of processes that share one PostgreSQL database.

Starting creates what is missing (event tables and the library's functions, tokens, read models,
audit tables), and PostgreSQL refuses some concurrent catalogue changes ("tuple concurrently
updated"): API workers and projection workers starting together would fail at random.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from domain.persistence.config import StoreConfig

# Any fixed 64-bit number: the advisory lock every process takes while it starts.
STARTUP_LOCK = 0x62776B5F73747274


@contextmanager
def startup_lock(settings: StoreConfig) -> Iterator[None]:
    if not settings.uses_postgres:
        yield
        return
    with psycopg.connect(
        settings.database_url or "", autocommit=True, connect_timeout=settings.connect_timeout
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (STARTUP_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (STARTUP_LOCK,))
