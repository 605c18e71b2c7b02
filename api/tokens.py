"""Bearer tokens, stored only as SHA-256 hashes, in the same database as the events.

This is one implementation of `Authenticator`; an OpenID Connect verifier can take its place
without any route changing (see docs/authorization.md).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from typing import Protocol

import psycopg
from psycopg import sql

from domain.config import Settings
from domain.values import Actor, Role

TOKEN_PREFIX = "bwk_"


class Authenticator(Protocol):
    def authenticate(self, token: str) -> Actor | None: ...


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """Issues and checks opaque bearer tokens; the plain token is shown once, never stored."""

    TABLE = "bewijsketen_tokens"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ensure_table()

    def _pg(self) -> psycopg.Connection[tuple[object, ...]]:
        assert self.settings.database_url
        conn = psycopg.connect(self.settings.database_url, autocommit=True,
                               connect_timeout=self.settings.connect_timeout)
        if self.settings.database_schema:
            conn.execute(sql.SQL("SET search_path TO {}").format(
                sql.Identifier(self.settings.database_schema)))
        return conn

    def _sqlite(self) -> sqlite3.Connection:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(self.settings.data_dir / "tokens.sqlite", timeout=30)

    def _ensure_table(self) -> None:
        ddl = (
            f"CREATE TABLE IF NOT EXISTS {self.TABLE} (digest TEXT PRIMARY KEY, "
            "person_id TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL, "
            "revoked BOOLEAN NOT NULL DEFAULT FALSE)"
        )
        if self.settings.uses_postgres:
            with self._pg() as conn:
                conn.execute(ddl.encode())
        else:
            with closing(self._sqlite()) as conn, conn:
                conn.execute(ddl)

    def create(self, person_id: str, role: Role) -> str:
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = (_digest(token), person_id, role.value, datetime.now(UTC).isoformat())
        if self.settings.uses_postgres:
            with self._pg() as conn:
                conn.execute(
                    f"INSERT INTO {self.TABLE} (digest, person_id, role, created_at) "
                    "VALUES (%s, %s, %s, %s)".encode(), row,
                )
        else:
            with closing(self._sqlite()) as conn, conn:
                conn.execute(
                    f"INSERT INTO {self.TABLE} (digest, person_id, role, created_at) "
                    "VALUES (?, ?, ?, ?)", row,
                )
        return token

    def authenticate(self, token: str) -> Actor | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = _digest(token)
        if self.settings.uses_postgres:
            with self._pg() as conn:
                found = conn.execute(
                    f"SELECT person_id, role FROM {self.TABLE} "
                    "WHERE digest = %s AND NOT revoked".encode(), (digest,),
                ).fetchone()
        else:
            with closing(self._sqlite()) as conn:
                found = conn.execute(
                    f"SELECT person_id, role FROM {self.TABLE} WHERE digest = ? AND NOT revoked",
                    (digest,),
                ).fetchone()
        if found is None:
            return None
        return Actor(str(found[0]), Role(str(found[1])))
