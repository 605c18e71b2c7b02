"""`make run` hands out the same demo tokens at each start while they work, kept in a file only
its owner may read; a missing, expired, revoked or unreadable one is replaced."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.demo import TOKENS_FILE, demo_tokens
from api.settings import Settings
from api.tokens import TokenStore
from domain.values import Actor, Role

PERSONAS = {
    Role.STUDENT: "student-01",
    Role.COACH: "coach-1",
    Role.ADMIN: "admin-1",
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_demo_tokens_are_reused_while_they_work(settings: Settings) -> None:
    clock = Clock()
    store = TokenStore(settings, cache_seconds=0, clock=clock)
    path = settings.data_dir / TOKENS_FILE
    try:
        first = demo_tokens(store, PERSONAS, path)
        assert set(first) == set(PERSONAS)
        assert all(
            store.authenticate(t.token) == Actor(p, r)
            for r, p in PERSONAS.items()
            for t in [first[r]]
        )
        assert mode(path) == 0o600
        assert json.loads(path.read_text())["coach"] == {
            "person": "coach-1",
            "token": first[Role.COACH].token,
        }

        # The next start: the same tokens, nothing new minted.
        clock.now += timedelta(hours=11)
        again = demo_tokens(store, PERSONAS, path)
        assert {r: t.token for r, t in again.items()} == {r: t.token for r, t in first.items()}
        assert len(store.list_tokens()) == 3

        # A revoked one is replaced, alone.
        store.revoke(first[Role.COACH].token)
        replaced = demo_tokens(store, PERSONAS, path)
        assert replaced[Role.COACH].token != first[Role.COACH].token
        assert replaced[Role.STUDENT].token == first[Role.STUDENT].token
        assert len(store.list_tokens()) == 4

        # Expired ones are replaced; the new ones work for the full lifetime.
        clock.now += timedelta(hours=1)
        later = demo_tokens(store, PERSONAS, path)
        assert later[Role.STUDENT].token != first[Role.STUDENT].token
        assert later[Role.COACH].token == replaced[Role.COACH].token
        assert later[Role.STUDENT].info.expires_at == clock.now + timedelta(hours=12)

        # Another persona for a role (a reseeded store): that role's token is replaced.
        moved = demo_tokens(store, {**PERSONAS, Role.ADMIN: "admin-2"}, path)
        assert store.authenticate(moved[Role.ADMIN].token) == Actor("admin-2", Role.ADMIN)

        # A file opened up by hand is closed again; an unreadable one is replaced whole.
        os.chmod(path, 0o644)
        demo_tokens(store, {**PERSONAS, Role.ADMIN: "admin-2"}, path)
        assert mode(path) == 0o600
        path.write_text("not json")
        rewritten = demo_tokens(store, PERSONAS, path)
        assert all(store.authenticate(t.token) is not None for t in rewritten.values())
        assert mode(path) == 0o600
        assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    finally:
        store.close()


def test_a_token_from_another_store_is_not_reused(settings: Settings, tmp_path: Path) -> None:
    """A tokens file copied from another data directory holds tokens this store never issued."""
    other = TokenStore(Settings(data_dir=tmp_path / "other", _env_file=None))
    store = TokenStore(settings, cache_seconds=0)
    path = settings.data_dir / TOKENS_FILE
    try:
        foreign = demo_tokens(other, PERSONAS, path)
        mine = demo_tokens(store, PERSONAS, path)
        assert all(mine[r].token != foreign[r].token for r in PERSONAS)
        assert all(store.authenticate(t.token) is not None for t in mine.values())
    finally:
        other.close()
        store.close()
