"""Bearer tokens: issued once, stored as hashes, revocable; and a replaceable authenticator."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from api.tokens import TokenStore
from domain.values import Actor, Role
from tests.api_support import api_settings, running_api


@pytest.fixture
def tokens(settings: Settings) -> Iterator[TokenStore]:
    store = TokenStore(settings, cache_seconds=60)
    yield store
    store.close()


def stored_rows(settings: Settings) -> list[tuple[str, ...]]:
    if settings.uses_postgres:
        with psycopg.connect(settings.database_url or "") as conn:
            table = sql.Identifier(settings.database_schema or "public", TokenStore.TABLE)
            query = sql.SQL("SELECT digest, person_id, role FROM {}").format(table)
            return [tuple(str(v) for v in row) for row in conn.execute(query).fetchall()]
    with sqlite3.connect(settings.data_dir / "tokens.sqlite") as conn:
        rows = conn.execute(f"SELECT digest, person_id, role FROM {TokenStore.TABLE}").fetchall()
        return [tuple(str(v) for v in row) for row in rows]


def test_tokens_are_stored_only_as_hashes(settings: Settings, tokens: TokenStore) -> None:
    token = tokens.create("coach-7", Role.COACH)
    assert token.startswith("bwk_") and len(token) == 47
    assert tokens.authenticate(token) == Actor("coach-7", Role.COACH)
    rows = stored_rows(settings)
    assert rows == [(hashlib.sha256(token.encode()).hexdigest(), "coach-7", "coach")]
    assert all(token not in value for row in rows for value in row)
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


def test_token_cli_prints_the_token_once(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(settings.data_dir))
    if settings.uses_postgres:
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_URL", settings.database_url or "")
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", settings.database_schema or "")
    else:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    runner = CliRunner()
    created = runner.invoke(cli, ["token", "create", "--person", "mentor-3", "--role", "mentor"])
    assert created.exit_code == 0, created.output
    token = created.output.strip()
    store = TokenStore(settings, cache_seconds=0)
    try:
        assert store.authenticate(token) == Actor("mentor-3", Role.MENTOR)
        refused = runner.invoke(cli, ["token", "create", "--person", "x", "--role", "dean"])
        assert refused.exit_code != 0
        assert runner.invoke(cli, ["token", "revoke", token]).exit_code == 0
        assert store.authenticate(token) is None
        assert runner.invoke(cli, ["token", "revoke", token]).exit_code == 1
    finally:
        store.close()


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
