"""The data directory holds personal data: it is 0700 and every file in it 0600, whatever the
umask; and the server refuses a signing key that others may read, saying how to fix it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli.main import app as cli
from api.settings import Settings
from domain.application import build_application
from domain.persistence.files import private_file
from projections.audit.keys import SigningKeyError, generate_key_file
from projections.models import all_models
from projections.rebuild import rebuild
from projections.store import open_store
from tests.api_support import api_settings


@pytest.fixture
def lax_umask() -> Iterator[None]:
    """The usual umask, under which files are created world-readable unless asked otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, str]:
    found = {".": f"{stat.S_IMODE(root.stat().st_mode):04o}"}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = f"{stat.S_IMODE(path.stat().st_mode):04o}"
    return found


def test_everything_in_the_data_directory_is_private(
    settings: Settings, lax_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("BEWIJSKETEN_AUDIT_PRIVATE_KEY", "BEWIJSKETEN_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    if settings.uses_postgres:
        # With PostgreSQL the data directory holds the key, persons and demo personas.
        generate_key_file(settings.data_dir / "audit" / "signing-key.pem")
    api = api_settings(settings).model_copy(update={"seed_demo": True})
    with TestClient(create_app(api)) as client:
        assert client.get("/health").status_code == 200
        # While SQLite is open, its -wal and -shm files exist too.
        while_running = modes(settings.data_dir)
    store = open_store(settings.projections)
    try:
        app = build_application(settings.store)
        try:
            rebuild(app, store, all_models())
        finally:
            app.close()
    finally:
        store.close()
    found = while_running | modes(settings.data_dir)
    names = set(found)
    expected = {"persons.json", "demo-personas.json", "audit", "audit/signing-key.pem"}
    if not settings.uses_postgres:
        expected |= {"bewijsketen.sqlite", "read_models.sqlite", "tokens.sqlite"}
        assert any(n.endswith("-wal") for n in names), names
    assert expected <= names, names
    open_to_others = {
        name: mode
        for name, mode in found.items()
        if mode != ("0700" if (settings.data_dir / name).is_dir() else "0600")
    }
    assert open_to_others == {}


def test_files_of_an_older_install_are_tightened(tmp_path: Path, lax_umask: None) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    old = data / "tokens.sqlite"
    old.write_bytes(b"")
    old.chmod(0o644)
    private_file(old)
    assert modes(data) == {".": "0700", "tokens.sqlite": "0600"}


def test_a_signing_key_others_may_read_stops_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    key = data / "audit" / "signing-key.pem"
    generate_key_file(key)
    key.chmod(0o640)
    for name in ("BEWIJSKETEN_AUDIT_PRIVATE_KEY", "BEWIJSKETEN_AUDIT_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=data, database_url=None, _env_file=None)
    with (
        pytest.raises(SigningKeyError, match=f"chmod 600 {key}"),
        TestClient(create_app(api_settings(settings))),
    ):
        pass
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(data))
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    served = CliRunner().invoke(cli, ["serve"])
    assert served.exit_code == 1
    assert f"chmod 600 {key}" in served.output
    key.chmod(0o600)
    with TestClient(create_app(api_settings(settings))) as client:
        assert client.get("/audit/public-key").status_code == 200
