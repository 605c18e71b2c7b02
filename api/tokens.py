"""Who is calling: the `Authenticator` protocol and the bearer-token store that implements it.

Tokens are opaque, random and stored only as SHA-256 digests, in the same database as the events
(SQLite: a file beside the event store). The API asks an `Authenticator` and nothing else, so an
OpenID Connect verifier (SURFconext) can take the token store's place without any route changing
(see docs/authorization.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool

from api.settings import Settings
from domain.persistence.files import private_file
from domain.values import Actor, Role

TOKEN_PREFIX = "bwk_"
# What `secrets.token_urlsafe(32)` produces after the prefix; anything else is refused unread.
TOKEN_SHAPE = re.compile(r"^bwk_[A-Za-z0-9_-]{43}$")


@runtime_checkable
class Authenticator(Protocol):
    """Turns the credentials of a request into the acting person, or refuses them (None).

    Called from the API's worker threads, so it must be thread-safe; it may block on I/O.
    """

    def authenticate(self, token: str) -> Actor | None: ...


class CachingAuthenticator(Protocol):
    """Optional: an authenticator that can answer from memory answers on the event loop,
    without a worker thread; `None` means "ask `authenticate`"."""

    def cached(self, token: str) -> Actor | None: ...


def load_authenticator(topic: str, settings: Settings) -> Authenticator:
    """Builds the authenticator named by `module:factory`; the factory takes the settings."""
    module_name, _, attribute = topic.partition(":")
    factory: Callable[[Settings], Any] = getattr(importlib.import_module(module_name), attribute)
    authenticator = factory(settings)
    if not isinstance(authenticator, Authenticator):
        raise TypeError(f"{topic} did not build an Authenticator")
    return authenticator


def digest(token: str) -> str:
    # A token has 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class _Cache:
    """Digest → actor for a few seconds, so a busy client costs no query per request.

    Only successful look-ups are cached: a token created a moment ago in another process works
    at once. A token revoked in another process keeps working here for at most `ttl` seconds.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Actor]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Actor | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, actor = entry
        if expires < time.monotonic():
            with self._lock:
                self._entries.pop(key, None)
            return None
        return actor

    def put(self, key: str, actor: Actor) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, actor)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


class TokenStore:
    """Issues, checks and revokes opaque bearer tokens; a token is shown once, never stored."""

    TABLE = "bewijsketen_tokens"

    def __init__(self, settings: Settings, cache_seconds: float | None = None) -> None:
        self.settings = settings
        ttl = (
            cache_seconds
            if cache_seconds is not None
            else getattr(settings, "token_cache_seconds", 10.0)
        )
        self._cache = _Cache(float(ttl))
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._sqlite_lock = threading.Lock()
        if settings.uses_postgres:
            self._table = sql.Identifier(*self._schema(), self.TABLE)
            self._pool = ConnectionPool(
                settings.database_url or "",
                min_size=1,
                max_size=4,
                kwargs={"autocommit": True, "connect_timeout": settings.connect_timeout},
                name="bewijsketen-tokens",
                timeout=settings.pool_timeout,
                reconnect_timeout=settings.reconnect_timeout,
                open=True,
            )
        else:
            self._sqlite = sqlite3.connect(
                private_file(settings.data_dir / "tokens.sqlite"),
                timeout=30,
                check_same_thread=False,
                isolation_level=None,
            )
            self._sqlite.execute("PRAGMA journal_mode=WAL")
        self._ensure_table()

    def _schema(self) -> tuple[str, ...]:
        return (self.settings.database_schema,) if self.settings.database_schema else ()

    def _ensure_table(self) -> None:
        columns = (
            "digest TEXT PRIMARY KEY, person_id TEXT NOT NULL, role TEXT NOT NULL, "
            "created_at TEXT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT FALSE"
        )
        if self._pool is not None:
            query = sql.SQL("CREATE TABLE IF NOT EXISTS {} (" + columns + ")").format(self._table)
            # Another process may create it at the same moment.
            with (
                self._pool.connection() as conn,
                contextlib.suppress(psycopg.errors.UniqueViolation),
            ):
                conn.execute(query)
        else:
            self._sqlite_execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} ({columns})", ())

    def _sqlite_execute(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        assert self._sqlite is not None
        with self._sqlite_lock:
            return self._sqlite.execute(statement, params).fetchall()

    def create(self, person_id: str, role: Role) -> str:
        if not person_id.strip():
            raise ValueError("a token needs a person id")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = (digest(token), person_id, role.value, datetime.now(UTC).isoformat())
        if self._pool is not None:
            query = sql.SQL(
                "INSERT INTO {} (digest, person_id, role, created_at) VALUES (%s, %s, %s, %s)"
            ).format(self._table)
            with self._pool.connection() as conn:
                conn.execute(query, row)
        else:
            self._sqlite_execute(
                f"INSERT INTO {self.TABLE} (digest, person_id, role, created_at) "
                "VALUES (?, ?, ?, ?)",
                row,
            )
        return token

    def revoke(self, token: str) -> bool:
        """Revokes a token; True if it existed and was not revoked before."""
        key = digest(token)
        self._cache.drop(key)
        if self._pool is not None:
            query = sql.SQL(
                "UPDATE {} SET revoked = TRUE WHERE digest = %s AND NOT revoked"
            ).format(self._table)
            with self._pool.connection() as conn:
                return conn.execute(query, (key,)).rowcount == 1
        assert self._sqlite is not None
        with self._sqlite_lock:
            cursor = self._sqlite.execute(
                f"UPDATE {self.TABLE} SET revoked = TRUE WHERE digest = ? AND NOT revoked", (key,)
            )
            return cursor.rowcount == 1

    def cached(self, token: str) -> Actor | None:
        """The actor if this token was checked moments ago; never blocks (no I/O)."""
        if not TOKEN_SHAPE.match(token):
            return None
        return self._cache.get(digest(token))

    def authenticate(self, token: str) -> Actor | None:
        if not TOKEN_SHAPE.match(token):
            return None
        key = digest(token)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if self._pool is not None:
            query = sql.SQL(
                "SELECT person_id, role FROM {} WHERE digest = %s AND NOT revoked"
            ).format(self._table)
            with self._pool.connection() as conn:
                found = conn.execute(query, (key,)).fetchone()
        else:
            rows = self._sqlite_execute(
                f"SELECT person_id, role FROM {self.TABLE} WHERE digest = ? AND NOT revoked",
                (key,),
            )
            found = rows[0] if rows else None
        if found is None:
            return None
        actor = Actor(str(found[0]), Role(str(found[1])))
        self._cache.put(key, actor)
        return actor

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._sqlite is not None:
            with self._sqlite_lock:
                self._sqlite.close()
