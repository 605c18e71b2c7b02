"""Fixtures that give every test a real, empty event store: SQLite and PostgreSQL.

The PostgreSQL server is BEWIJSKETEN_TEST_SERVER_URL. A session creates its own database there
and drops it at the end; each test gets a schema of its own inside it.

Every application the suite builds (and every command-line process it starts, which inherits
the environment) seals with one test key-encryption key, TEST_KEK; tests of a missing or wrong
key remove or replace it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from api.settings import Settings
from domain.application import Bewijsketen, build_application

# A fixed key-encryption key for the suite (32 bytes, base64): never a real one.
TEST_KEK = "dGVzdC1rZWstb2YtdGhlLWJld2lqc2tldGVuLXN1aXQ="
os.environ["BEWIJSKETEN_KEK"] = TEST_KEK

SERVER_URL = os.environ.get("BEWIJSKETEN_TEST_SERVER_URL", "postgresql://postgres@127.0.0.1:5432")
HOW_TO_START = (
    "PostgreSQL is not reachable at {url} ({error}). The suite never skips it. Start it with\n"
    "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
    "or point BEWIJSKETEN_TEST_SERVER_URL at a server where the user may create databases."
)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh database for this test session, dropped afterwards. Fails loudly if unreachable."""
    name = f"bewijsketen_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        admin = psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(HOW_TO_START.format(url=SERVER_URL, error=exc), pytrace=False)
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def pg_schema(pg_database: str) -> Iterator[str]:
    """An empty schema, private to this test, in the session's database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    yield schema
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def settings_for(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    if store == "sqlite":
        return Settings(data_dir=tmp_path / "data", database_url=None, _env_file=None)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=request.getfixturevalue("pg_database"),
        database_schema=request.getfixturevalue("pg_schema"),
        _env_file=None,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    return settings_for(store, tmp_path, request)


@pytest.fixture
def app(settings: Settings) -> Iterator[Bewijsketen]:
    application = build_application(settings.store)
    try:
        yield application
    finally:
        application.close()
