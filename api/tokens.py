"""Who is calling: the `Authenticator` protocol and the bearer-token store that implements it.

Tokens are opaque, random and stored only as SHA-256 digests, in the same database as the events
(SQLite: a file beside the event store). Every token expires: after `token_lifetime` (12 hours)
unless it was issued with a moment of its own. A token's public id is the first 16 hex digits of
its digest: it names the token in `token list` and `token revoke --id` and reveals nothing about
the token itself. The API asks an `Authenticator` and nothing else, so an OpenID Connect verifier
(SURFconext) can take the token store's place without any route changing
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from api.expiry import DEFAULT_TOKEN_LIFETIME, expiry_moment
from api.settings import Settings
from domain.persistence.files import private_file
from domain.values import Actor, Role

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

TOKEN_PREFIX = "bwk_"
# What `secrets.token_urlsafe(32)` produces after the prefix; anything else is refused unread.
TOKEN_SHAPE = re.compile(r"^bwk_[A-Za-z0-9_-]{43}$")
TOKEN_ID_LENGTH = 16
TOKEN_ID_SHAPE = re.compile(r"^[0-9a-f]{16}$")


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


def token_id(token_digest: str) -> str:
    return token_digest[:TOKEN_ID_LENGTH]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class TokenInfo:
    """What is known about a token, without the token."""

    id: str
    person_id: str
    role: Role
    created_at: datetime
    expires_at: datetime
    revoked: bool
    revoked_at: datetime | None

    def active(self, now: datetime) -> bool:
        return not self.revoked and now < self.expires_at


@dataclass(frozen=True)
class IssuedToken:
    token: str
    info: TokenInfo


class _Cache:
    """Digest → actor for a few seconds, so a busy client costs no query per request.

    Only successful look-ups are cached: a token created a moment ago in another process works
    at once. A token revoked in another process keeps working here for at most `ttl` seconds;
    an expired one stops at its moment, cached or not.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Actor, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime) -> Actor | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stale_at, actor, expires_at = entry
        if stale_at < time.monotonic() or expires_at <= now:
            with self._lock:
                self._entries.pop(key, None)
            return None
        return actor

    def put(self, key: str, actor: Actor, expires_at: datetime) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, actor, expires_at)

    def drop(self, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)


class TokenStore:
    """Issues, checks, lists and revokes opaque bearer tokens; a token is shown once, never
    stored.

    `clock` gives the current moment (UTC); tests move it to see tokens expire.
    """

    TABLE = "bewijsketen_tokens"
    COLUMNS = (
        "digest TEXT PRIMARY KEY, person_id TEXT NOT NULL, role TEXT NOT NULL, "
        "created_at TEXT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT FALSE, "
        "expires_at TEXT, revoked_at TEXT"
    )
    # Columns added after the first release, with their type: `_migrate` adds what is missing.
    ADDED_COLUMNS = (("expires_at", "TEXT"), ("revoked_at", "TEXT"))
    SELECTED = "digest, person_id, role, created_at, expires_at, revoked, revoked_at"

    def __init__(
        self,
        settings: Settings,
        cache_seconds: float | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.clock = clock
        ttl = (
            cache_seconds
            if cache_seconds is not None
            else getattr(settings, "token_cache_seconds", 10.0)
        )
        self.lifetime: timedelta = getattr(settings, "token_lifetime", DEFAULT_TOKEN_LIFETIME)
        self._cache = _Cache(float(ttl))
        self._pool: ConnectionPool[psycopg.Connection[tuple[Any, ...]]] | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._sqlite_lock = threading.Lock()
        if settings.uses_postgres:
            # Imported here: the embedded store and a quick `token create` have no use for it.
            from psycopg_pool import ConnectionPool

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
            self._table = self._pg_table()
        else:
            self._sqlite = sqlite3.connect(
                private_file(settings.data_dir / "tokens.sqlite"),
                timeout=30,
                check_same_thread=False,
                isolation_level=None,
            )
            self._sqlite.execute("PRAGMA journal_mode=WAL")
        self._ensure_table()

    # -- storage ---------------------------------------------------------------------------

    def _pg_table(self) -> Any:
        from psycopg import sql

        names = (self.settings.database_schema,) if self.settings.database_schema else ()
        return sql.Identifier(*names, self.TABLE)

    def _statement(self, statement: str) -> Any:
        """A statement written with `?` and `{table}`, for the database in use."""
        if self._pool is None:
            return statement.replace("{table}", self.TABLE)
        from psycopg import sql

        return sql.SQL(statement.replace("?", "%s")).format(table=self._table)

    def _execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Runs one statement in a transaction of its own."""
        if self._pool is not None:
            with self._pool.connection() as conn:
                cursor = conn.execute(self._statement(statement), params)
                return list(cursor.fetchall()) if cursor.description else []
        assert self._sqlite is not None
        with self._sqlite_lock:
            return self._sqlite.execute(self._statement(statement), params).fetchall()

    def _ensure_table(self) -> None:
        create = "CREATE TABLE IF NOT EXISTS {table} (" + self.COLUMNS + ")"
        if self._pool is not None:
            import psycopg

            # Another process may create it at the same moment.
            with contextlib.suppress(psycopg.errors.UniqueViolation):
                self._execute(create)
        else:
            self._execute(create)
        self._migrate()

    def _columns(self) -> set[str]:
        if self._pool is not None:
            rows = self._execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = COALESCE(?, current_schema()) AND table_name = ?",
                (self.settings.database_schema, self.TABLE),
            )
        else:
            rows = [(row[1],) for row in self._execute(f"PRAGMA table_info({self.TABLE})")]
        return {str(row[0]) for row in rows}

    def _migrate(self) -> None:
        """Adds the columns of later releases to a table made by an earlier one.

        Tokens issued before expiry existed keep working for `lifetime` from the moment of the
        upgrade: ending them at once would lock out every client on upgrade day, keeping them
        forever would defeat expiry.
        """
        missing = [(n, t) for n, t in self.ADDED_COLUMNS if n not in self._columns()]
        if not missing:
            return
        expires = (self.clock() + self.lifetime).isoformat()
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction():
                # Processes that start together migrate one after the other.
                conn.execute(self._statement("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
                for name, kind in missing:
                    conn.execute(
                        self._statement(
                            f"ALTER TABLE {{table}} ADD COLUMN IF NOT EXISTS {name} {kind}"
                        )
                    )
                conn.execute(
                    self._statement("UPDATE {table} SET expires_at = ? WHERE expires_at IS NULL"),
                    (expires,),
                )
            return
        assert self._sqlite is not None
        with self._sqlite_lock:
            self._sqlite.execute("BEGIN IMMEDIATE")
            try:
                present = {
                    row[1] for row in self._sqlite.execute(f"PRAGMA table_info({self.TABLE})")
                }
                for name, kind in missing:
                    if name not in present:
                        self._sqlite.execute(f"ALTER TABLE {self.TABLE} ADD COLUMN {name} {kind}")
                self._sqlite.execute(
                    f"UPDATE {self.TABLE} SET expires_at = ? WHERE expires_at IS NULL", (expires,)
                )
            except BaseException:
                self._sqlite.execute("ROLLBACK")
                raise
            self._sqlite.execute("COMMIT")

    def _info(self, row: tuple[Any, ...]) -> TokenInfo:
        created = datetime.fromisoformat(str(row[3]))
        # A row without an expiry was written by a process of an earlier release after the
        # upgrade: it gets the default lifetime from its creation.
        expires = datetime.fromisoformat(str(row[4])) if row[4] else created + self.lifetime
        return TokenInfo(
            id=token_id(str(row[0])),
            person_id=str(row[1]),
            role=Role(str(row[2])),
            created_at=created,
            expires_at=expires,
            revoked=bool(row[5]),
            revoked_at=datetime.fromisoformat(str(row[6])) if row[6] else None,
        )

    # -- issuing ---------------------------------------------------------------------------

    def issue(
        self, person_id: str, role: Role, expires: datetime | timedelta | None = None
    ) -> IssuedToken:
        """A new token for the person in the role, valid until a moment or for a duration from
        now (default: `lifetime`); ValueError for a moment that is not in the future."""
        if not person_id.strip():
            raise ValueError("a token needs a person id")
        now = self.clock()
        expires = expiry_moment(self.lifetime if expires is None else expires, now)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key = digest(token)
        self._execute(
            "INSERT INTO {table} (digest, person_id, role, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (key, person_id, role.value, now.isoformat(), expires.isoformat()),
        )
        info = TokenInfo(token_id(key), person_id, role, now, expires, False, None)
        return IssuedToken(token, info)

    def create(
        self, person_id: str, role: Role, expires: datetime | timedelta | None = None
    ) -> str:
        return self.issue(person_id, role, expires).token

    # -- listing ---------------------------------------------------------------------------

    def list_tokens(self, person_id: str | None = None) -> list[TokenInfo]:
        """Every token (active or not), oldest first; never the tokens themselves."""
        if person_id is None:
            rows = self._execute(f"SELECT {self.SELECTED} FROM {{table}}")
        else:
            rows = self._execute(
                f"SELECT {self.SELECTED} FROM {{table}} WHERE person_id = ?", (person_id,)
            )
        return sorted((self._info(row) for row in rows), key=lambda i: (i.created_at, i.id))

    def info(self, token: str) -> TokenInfo | None:
        if not TOKEN_SHAPE.match(token):
            return None
        rows = self._execute(
            f"SELECT {self.SELECTED} FROM {{table}} WHERE digest = ?", (digest(token),)
        )
        return self._info(rows[0]) if rows else None

    # -- revoking --------------------------------------------------------------------------

    def _revoke_where(self, condition: str, params: tuple[Any, ...]) -> int:
        rows = self._execute(
            "UPDATE {table} SET revoked = TRUE, revoked_at = ? "
            f"WHERE {condition} AND NOT revoked RETURNING digest",
            (self.clock().isoformat(), *params),
        )
        self._cache.drop(str(row[0]) for row in rows)
        return len(rows)

    def revoke(self, token: str) -> bool:
        """Revokes a token; True if it existed and was not revoked before."""
        return self._revoke_where("digest = ?", (digest(token),)) == 1

    def revoke_id(self, id_: str) -> bool:
        """Revokes the token with this public id; True if it was not revoked before."""
        if not TOKEN_ID_SHAPE.match(id_):
            return False
        return self._revoke_where(f"substr(digest, 1, {TOKEN_ID_LENGTH}) = ?", (id_,)) >= 1

    def revoke_person(self, person_id: str) -> int:
        """Revokes every token of a person; how many were still unrevoked."""
        return self._revoke_where("person_id = ?", (person_id,))

    # -- checking --------------------------------------------------------------------------

    def cached(self, token: str) -> Actor | None:
        """The actor if this token was checked moments ago; never blocks (no I/O)."""
        if not TOKEN_SHAPE.match(token):
            return None
        return self._cache.get(digest(token), self.clock())

    def authenticate(self, token: str) -> Actor | None:
        if not TOKEN_SHAPE.match(token):
            return None
        key = digest(token)
        now = self.clock()
        cached = self._cache.get(key, now)
        if cached is not None:
            return cached
        rows = self._execute(
            "SELECT person_id, role, created_at, expires_at FROM {table} "
            "WHERE digest = ? AND NOT revoked",
            (key,),
        )
        if not rows:
            return None
        person, role, created, expires_text = rows[0]
        expires = (
            datetime.fromisoformat(str(expires_text))
            if expires_text
            else datetime.fromisoformat(str(created)) + self.lifetime
        )
        if expires <= now:
            return None
        actor = Actor(str(person), Role(str(role)))
        self._cache.put(key, actor, expires)
        return actor

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self._sqlite is not None:
            with self._sqlite_lock:
                self._sqlite.close()
