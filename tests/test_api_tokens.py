"""Bearer tokens: issued once, stored as hashes, expiring, listable without secrets, revocable
by token, id or person; the table of an earlier release migrated; a replaceable authenticator."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.expiry import AMSTERDAM, expiry_moment, parse_expiry
from api.settings import Settings
from api.tokens import TokenStore
from domain.values import Actor, Role
from tests.api_support import api_settings, running_api

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class Clock:
    """The store's idea of now, moved by the test."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def tokens(settings: Settings) -> Iterator[TokenStore]:
    store = TokenStore(settings, cache_seconds=60)
    yield store
    store.close()


def query(settings: Settings, statement: str, params: tuple[object, ...] = ()) -> list[tuple]:
    """Runs SQL on the token table directly (`{table}` and `?`), as another program would."""
    if settings.uses_postgres:
        table = sql.Identifier(settings.database_schema or "public", TokenStore.TABLE)
        composed = sql.SQL(statement.replace("?", "%s")).format(table=table)
        with psycopg.connect(settings.database_url or "", autocommit=True) as conn:
            cursor = conn.execute(composed, params)
            return list(cursor.fetchall()) if cursor.description else []
    with sqlite3.connect(settings.data_dir / "tokens.sqlite", isolation_level=None) as conn:
        return conn.execute(statement.replace("{table}", TokenStore.TABLE), params).fetchall()


def stored_rows(settings: Settings) -> list[tuple[str, ...]]:
    rows = query(settings, "SELECT digest, person_id, role FROM {table}")
    return [tuple(str(v) for v in row) for row in rows]


def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "200")
    if settings.uses_postgres:
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_URL", settings.database_url or "")
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", settings.database_schema or "")
    else:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("BEWIJSKETEN_TOKEN_LIFETIME", raising=False)
    return CliRunner()


def test_tokens_are_stored_only_as_hashes(settings: Settings, tokens: TokenStore) -> None:
    token = tokens.create("coach-7", Role.COACH)
    assert token.startswith("bwk_") and len(token) == 47
    assert tokens.authenticate(token) == Actor("coach-7", Role.COACH)
    rows = stored_rows(settings)
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "coach-7", "coach")]
    everything = query(settings, "SELECT * FROM {table}")
    assert all(token not in str(value) for row in everything for value in row)
    assert tokens.create("coach-7", Role.COACH) != token  # a new token every time


def test_unknown_and_malformed_tokens(tokens: TokenStore) -> None:
    tokens.create("student-1", Role.STUDENT)
    for token in ("", "bwk_", "bwk_" + "A" * 43, "Bearer x", "bwk_" + "A" * 42 + "\x00"):
        assert tokens.authenticate(token) is None


def test_revocation(settings: Settings, tokens: TokenStore) -> None:
    token = tokens.create("assessor-9", Role.ASSESSOR)
    uncached = TokenStore(settings, cache_seconds=0)
    cached = TokenStore(settings, cache_seconds=60)
    try:
        assert uncached.authenticate(token) is not None
        assert cached.authenticate(token) is not None
        assert tokens.revoke(token) is True
        assert tokens.revoke(token) is False
        # The revoking process stops at once; another stops when its cache entry expires.
        assert tokens.authenticate(token) is None
        assert uncached.authenticate(token) is None
        assert cached.authenticate(token) == Actor("assessor-9", Role.ASSESSOR)
    finally:
        uncached.close()
        cached.close()


def test_every_token_expires_after_the_default_lifetime(settings: Settings) -> None:
    clock = Clock()
    store = TokenStore(api_settings(settings), cache_seconds=3600, clock=clock)
    try:
        issued = store.issue("coach-7", Role.COACH)
        assert issued.info.created_at == START
        assert issued.info.expires_at == START + timedelta(hours=12)
        assert store.authenticate(issued.token) == Actor("coach-7", Role.COACH)
        clock.now = START + timedelta(hours=12) - timedelta(seconds=1)
        assert store.cached(issued.token) == Actor("coach-7", Role.COACH)
        # At its moment it stops, in the cache as in the table.
        clock.now = START + timedelta(hours=12)
        assert store.cached(issued.token) is None
        assert store.authenticate(issued.token) is None
        fresh = TokenStore(settings, cache_seconds=0, clock=clock)
        try:
            assert fresh.authenticate(issued.token) is None
            info = fresh.info(issued.token)
            assert info is not None and not info.active(clock.now) and not info.revoked
        finally:
            fresh.close()
    finally:
        store.close()


def test_the_lifetime_is_a_setting(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEWIJSKETEN_TOKEN_LIFETIME", "90m")
    assert Settings(_env_file=None).token_lifetime == timedelta(minutes=90)
    monkeypatch.setenv("BEWIJSKETEN_TOKEN_LIFETIME", "PT2H")
    assert Settings(_env_file=None).token_lifetime == timedelta(hours=2)
    for refused in ("0h", "-1", "soon"):
        monkeypatch.setenv("BEWIJSKETEN_TOKEN_LIFETIME", refused)
        with pytest.raises(ValueError):
            Settings(_env_file=None)
    monkeypatch.delenv("BEWIJSKETEN_TOKEN_LIFETIME")
    configured = api_settings(settings).model_copy(update={"token_lifetime": timedelta(days=2)})
    clock = Clock()
    store = TokenStore(configured, clock=clock)
    try:
        assert store.issue("x", Role.MENTOR).info.expires_at == START + timedelta(days=2)
    finally:
        store.close()


def test_an_explicit_expiry_must_lie_ahead(settings: Settings, tokens: TokenStore) -> None:
    now = datetime.now(UTC)
    for wrong in (now - timedelta(seconds=1), now.replace(tzinfo=None) + timedelta(days=1)):
        with pytest.raises(ValueError):
            tokens.issue("x", Role.ADMIN, wrong)
    assert stored_rows(settings) == []
    long_lived = tokens.issue("service-1", Role.QUALITY, now + timedelta(days=90))
    assert long_lived.info.expires_at == now + timedelta(days=90)
    assert tokens.authenticate(long_lived.token) == Actor("service-1", Role.QUALITY)


def test_expiry_texts() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def moment(text: str) -> datetime:
        return expiry_moment(parse_expiry(text), now)

    assert moment("90d") == now + timedelta(days=90)
    assert moment("12h") == now + timedelta(hours=12)
    assert moment("30M") == now + timedelta(minutes=30)
    assert moment("52w") == now + timedelta(weeks=52)
    # A date is 00:00 in Amsterdam at the start of that day (summer time: UTC+2).
    assert moment("2027-07-01") == datetime(2027, 6, 30, 22, 0, tzinfo=UTC)
    assert moment("2027-01-15T08:30") == datetime(2027, 1, 15, 8, 30, tzinfo=AMSTERDAM)
    assert moment("2027-01-15T08:30+00:00") == datetime(2027, 1, 15, 8, 30, tzinfo=UTC)
    for wrong in ("0d", "2026-11-22", "2026-11-23T09:00Z", "forever", "", "9999999w", "12 x"):
        with pytest.raises(ValueError):
            moment(wrong)


def test_listing_shows_no_secret(settings: Settings, tokens: TokenStore) -> None:
    first = tokens.issue("coach-7", Role.COACH)
    second = tokens.issue("coach-7", Role.MENTOR)
    other = tokens.issue("student-3", Role.STUDENT)
    listed = tokens.list_tokens()
    assert [i.id for i in listed] == [first.info.id, second.info.id, other.info.id]
    assert [i.id for i in tokens.list_tokens("coach-7")] == [first.info.id, second.info.id]
    assert tokens.list_tokens("nobody") == []
    digests = {row[0] for row in stored_rows(settings)}
    for info in listed:
        assert len(info.id) == 16 and any(d.startswith(info.id) for d in digests)
        assert all(
            str(value) not in digests and not str(value).startswith("bwk_")
            for value in vars(info).values()
        )


def test_revoking_by_id_and_by_person(settings: Settings, tokens: TokenStore) -> None:
    a = tokens.issue("coach-7", Role.COACH)
    b = tokens.issue("coach-7", Role.MENTOR)
    c = tokens.issue("student-3", Role.STUDENT)
    for token in (a, b, c):
        assert tokens.authenticate(token.token) is not None  # cached now
    assert tokens.revoke_id(a.info.id) is True
    assert tokens.revoke_id(a.info.id) is False
    assert tokens.revoke_id("not-an-id") is False
    assert tokens.revoke_id("0" * 16) is False
    assert tokens.authenticate(a.token) is None
    assert tokens.revoke_person("coach-7") == 1
    assert tokens.revoke_person("coach-7") == 0
    assert tokens.authenticate(b.token) is None
    assert tokens.authenticate(c.token) == Actor("student-3", Role.STUDENT)
    revoked = {i.id: i for i in tokens.list_tokens() if i.revoked}
    assert set(revoked) == {a.info.id, b.info.id}
    assert all(i.revoked_at is not None for i in revoked.values())


OLD_TABLE = (
    "CREATE TABLE {table} (digest TEXT PRIMARY KEY, person_id TEXT NOT NULL, "
    "role TEXT NOT NULL, created_at TEXT NOT NULL, revoked BOOLEAN NOT NULL DEFAULT FALSE)"
)
OLD_INSERT = "INSERT INTO {table} (digest, person_id, role, created_at) VALUES (?, ?, ?, ?)"


def old_token(settings: Settings, person: str, role: Role, created: datetime) -> str:
    """A token as the release without expiry stored it."""
    token = "bwk_" + uuid.uuid4().hex + "A" * 11
    query(
        settings,
        OLD_INSERT,
        (hashlib.sha256(token.encode()).hexdigest(), person, role.value, created.isoformat()),
    )
    return token


def test_the_table_of_the_first_release_is_migrated(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    query(settings, OLD_TABLE)
    before = old_token(settings, "coach-7", Role.COACH, START - timedelta(days=400))
    revoked = old_token(settings, "coach-8", Role.COACH, START - timedelta(days=3))
    query(settings, "UPDATE {table} SET revoked = TRUE WHERE person_id = 'coach-8'")
    clock = Clock()
    # Processes that start together on the old table all come up.
    stores: list[TokenStore] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def start() -> None:
        try:
            barrier.wait()
            stores.append(TokenStore(settings, cache_seconds=0, clock=clock))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert not errors, errors
        store = stores[0]
        # Existing tokens keep working, for the default lifetime counted from the upgrade.
        assert store.authenticate(before) == Actor("coach-7", Role.COACH)
        assert store.authenticate(revoked) is None
        info = store.info(before)
        assert info is not None and info.expires_at == START + timedelta(hours=12)
        clock.now = START + timedelta(hours=12)
        assert store.authenticate(before) is None
        # A process of the old release, still running, writes a row without an expiry: it
        # lives for the default lifetime from its creation.
        late = old_token(settings, "coach-9", Role.COACH, START + timedelta(hours=11))
        assert store.authenticate(late) == Actor("coach-9", Role.COACH)
        late_info = store.info(late)
        assert late_info is not None
        assert late_info.expires_at == START + timedelta(hours=23)
        # Migrating again changes nothing.
        again = TokenStore(settings, cache_seconds=0, clock=Clock(START + timedelta(days=30)))
        stores.append(again)
        assert again.info(before) == info
        new = again.issue("coach-7", Role.COACH)
        assert again.authenticate(new.token) == Actor("coach-7", Role.COACH)
        assert len(again.list_tokens()) == 4
    finally:
        for s in stores:
            s.close()


def test_token_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = cli_env(settings, monkeypatch)
    created = runner.invoke(cli, ["token", "create", "--person", "mentor-3", "--role", "mentor"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()  # the token alone on stdout; the rest goes to stderr
    assert token.startswith("bwk_") and "\n" not in token
    assert "valid until" in created.stderr
    store = TokenStore(settings, cache_seconds=0)
    try:
        info = store.info(token)
        assert store.authenticate(token) == Actor("mentor-3", Role.MENTOR)
        assert info is not None and info.expires_at - info.created_at == timedelta(hours=12)
        refused = runner.invoke(cli, ["token", "create", "--person", "x", "--role", "dean"])
        assert refused.exit_code != 0
        for wrong in ("yesterday", "0d", "2020-01-01"):
            bad = runner.invoke(
                cli, ["token", "create", "--person", "x", "--role", "admin", "--expires", wrong]
            )
            assert bad.exit_code == 2 and "--expires" in bad.output, bad.output
        assert len(stored_rows(settings)) == 1
        service = runner.invoke(
            cli, ["token", "create", "--person", "svc", "--role", "quality", "--expires", "90d"]
        )
        assert service.exit_code == 0, service.output
        service_info = store.info(service.stdout.strip())
        assert service_info is not None
        assert service_info.expires_at - service_info.created_at == timedelta(days=90)
        dated = runner.invoke(
            cli,
            ["token", "create", "--person", "svc", "--role", "quality", "--expires", "2099-01-01"],
        )
        dated_info = store.info(dated.stdout.strip())
        assert dated_info is not None
        assert dated_info.expires_at == datetime(2098, 12, 31, 23, 0, tzinfo=UTC)

        listed = runner.invoke(cli, ["token", "list", "--json"])
        assert listed.exit_code == 0, listed.output
        rows = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [r["person"] for r in rows] == ["mentor-3", "svc", "svc"]
        assert set(rows[0]) == {"id", "person", "role", "created", "expires", "revoked", "active"}
        assert rows[0]["id"] == info.id and rows[0]["revoked"] is False and rows[0]["active"]
        digests = {row[0] for row in stored_rows(settings)}
        table = runner.invoke(cli, ["token", "list"])
        assert table.exit_code == 0 and info.id in table.stdout and "mentor-3" in table.stdout
        for output in (listed.stdout, table.stdout):
            assert "bwk_" not in output and not any(d in output for d in digests)
        mine = runner.invoke(cli, ["token", "list", "--person", "svc", "--json"])
        assert [json.loads(line)["person"] for line in mine.stdout.splitlines()] == ["svc"] * 2

        assert runner.invoke(cli, ["token", "revoke", "--id", info.id]).exit_code == 0
        assert store.authenticate(token) is None
        assert runner.invoke(cli, ["token", "revoke", "--id", info.id]).exit_code == 1
        by_person = runner.invoke(cli, ["token", "revoke", "--person", "svc"])
        assert by_person.exit_code == 0 and "Revoked 2" in by_person.stdout
        assert store.authenticate(service.stdout.strip()) is None
        again = runner.invoke(cli, ["token", "revoke", "--person", "svc"])
        assert again.exit_code == 1
        active = runner.invoke(cli, ["token", "list", "--active", "--json"])
        assert active.stdout.strip() == ""
        shown = [json.loads(line) for line in listed_again(runner)]
        assert all(r["revoked"] and not r["active"] for r in shown)
        assert runner.invoke(cli, ["token", "revoke"]).exit_code == 2
        both = runner.invoke(cli, ["token", "revoke", "--id", info.id, "--person", "svc"])
        assert both.exit_code == 2

        plain = runner.invoke(cli, ["token", "create", "--person", "m", "--role", "mentor"])
        plain_token = plain.stdout.strip()
        assert runner.invoke(cli, ["token", "revoke", plain_token]).exit_code == 0
        assert store.authenticate(plain_token) is None
        assert runner.invoke(cli, ["token", "revoke", plain_token]).exit_code == 1
    finally:
        store.close()


def listed_again(runner: CliRunner) -> list[str]:
    result = runner.invoke(cli, ["token", "list", "--json"])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_token_create_does_not_load_the_application(tmp_path: Path) -> None:
    """`token create` imports the token store and nothing of the application (FastAPI, the
    event store, the read models): importing those made each call take about 2 s."""
    program = (
        "import sys\n"
        "from api.cli.main import app\n"
        "try:\n"
        "    app(['token', 'create', '--person', 'p-1', '--role', 'coach'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code in (0, None), exit.code\n"
        "heavy = [m for m in ('fastapi', 'uvicorn', 'eventsourcing', 'domain.application',\n"
        "         'projections', 'psycopg') if m in sys.modules]\n"
        "print('loaded:', heavy, file=sys.stderr)\n"
    )
    env = {"BEWIJSKETEN_DATA_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bwk_")
    assert "loaded: []" in done.stderr, done.stderr


def test_expired_and_revoked_tokens_are_refused_over_http(settings: Settings) -> None:
    unknown = "/programs/00000000-0000-0000-0000-000000000000"
    with running_api(api_settings(settings)) as api:
        store = api.state.authenticator
        assert isinstance(store, TokenStore)
        clock = Clock(datetime.now(UTC))
        store.clock = clock
        expiring = store.issue("inspector-1", Role.INSPECTOR)
        by_id = store.issue("inspector-2", Role.INSPECTOR)
        by_person = store.issue("inspector-3", Role.INSPECTOR)
        for issued in (expiring, by_id, by_person):
            headers = {"Authorization": f"Bearer {issued.token}"}
            assert api.client.get(unknown, headers=headers).status_code == 404
        clock.now = expiring.info.expires_at
        store.revoke_id(by_id.info.id)
        store.revoke_person("inspector-3")
        for issued in (expiring, by_id, by_person):
            refused = api.client.get(unknown, headers={"Authorization": f"Bearer {issued.token}"})
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert refused.headers["www-authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_over_http(settings: Settings) -> None:
    with running_api(api_settings(settings)) as api:
        token = api.token("inspector-1", Role.INSPECTOR)
        headers = {"Authorization": f"Bearer {token}"}
        program = api.client.get("/programs/00000000-0000-0000-0000-000000000000", headers=headers)
        assert program.status_code == 404
        store = api.state.authenticator
        assert isinstance(store, TokenStore)
        store.revoke(token)
        refused = api.client.get("/programs/00000000-0000-0000-0000-000000000000", headers=headers)
        assert refused.status_code == 401


class ClaimsAuthenticator:
    """Stands in for an OpenID Connect verifier: accepts `person:role` as its "signed" token."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def authenticate(self, token: str) -> Actor | None:
        person, _, role = token.partition(":")
        try:
            return Actor(person, Role(role)) if person else None
        except ValueError:
            return None


def test_another_authenticator_replaces_the_token_store(settings: Settings) -> None:
    configured = api_settings(settings).model_copy(
        update={"authenticator": f"{__name__}:ClaimsAuthenticator"}
    )
    with running_api(configured) as api:
        assert isinstance(api.state.authenticator, ClaimsAuthenticator)
        admin = {"Authorization": "Bearer admin-1:admin"}
        created = api.client.post("/programs", json={"code": "X", "title": "X"}, headers=admin)
        assert created.status_code == 201
        history = api.state.application.events.get(uuid.UUID(created.json()["id"]))
        assert getattr(next(iter(history)), "actor", None) == Actor("admin-1", Role.ADMIN)
        nobody = {"Authorization": "Bearer admin-1:dean"}
        assert api.client.post("/programs", json={}, headers=nobody).status_code == 401
