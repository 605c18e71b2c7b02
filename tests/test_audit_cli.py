"""`bewijsketen audit …` end to end: keygen, checkpoint --export, verify, export, verify-export,
key rotation."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from tests.test_audit_tamper import RawStore, flipped

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", str(settings.database_schema))
    else:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    key = tmp_path / "keys" / "audit.pem"
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_KEY_FILE", str(key))
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_CHECKPOINT_EVERY", "10")
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_ORIGIN", "bewijsketen.test/audit")
    return key


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (args, result.exit_code, result.output, result.exception)
    return result.output


def test_the_audit_commands_end_to_end(
    app: Bewijsketen, settings: Settings, env: Path, tmp_path: Path
) -> None:
    journey = Journey(app, setup_program(app), "student-1")
    journey.to_ratified_pass()
    vkey = run("audit", "keygen").strip().splitlines()[-1]
    assert vkey.startswith("bewijsketen.test/audit+")
    assert run("audit", "vkey").strip() == vkey
    assert env.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert "exists" in run("audit", "keygen", code=2)
    anchor = tmp_path / "anchor.checkpoint"
    assert "tree size" in run("audit", "checkpoint", "--export", str(anchor))
    assert anchor.read_text().startswith("bewijsketen.test/audit\n")
    assert "OK" in run("audit", "verify", "--against", str(anchor))

    policy = tmp_path / "policy.txt"
    policy.write_text(f"# the school's published key\nlog {vkey}\nquorum none\n")
    bundle = tmp_path / "dossier.zip"
    run("audit", "export", "--trajectory", str(journey.id), "-o", str(bundle))
    refused = run("audit", "verify-export", str(bundle), code=2)
    assert "NOT JUDGED" in refused and "--policy" in refused
    assert "WARNING" in run("audit", "verify-export", "--trust-bundle-key", str(bundle))
    assert "OK" in run("audit", "verify-export", "--policy", str(policy), str(bundle))
    with zipfile.ZipFile(bundle) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["dossier.html"] = files["dossier.html"].replace(b"geslaagd", b"cum laude", 1)
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    assert "dossier.html" in run(
        "audit", "verify-export", "--policy", str(policy), str(broken), code=1
    )

    raw = RawStore(settings)
    position = raw.positions()[20]
    raw.set_state(position, flipped(raw.row(position).state))
    output = run("audit", "verify", "--policy", str(policy), "--against", str(anchor), code=1)
    assert f"ALTERED at position {position}" in output


def test_a_key_is_replaced_only_by_rotation(
    app: Bewijsketen, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = setup_program(app)
    Journey(app, program, "student-1").to_ratified_pass()
    first = run("audit", "keygen").strip().splitlines()[-1]
    run("audit", "checkpoint")
    policy = tmp_path / "policy.txt"
    policy.write_text(f"log {first}\nquorum none\n")

    # Another key, configured without a rotation: nothing is signed, verify says why.
    stranger = tmp_path / "keys" / "stranger.pem"
    run("audit", "keygen", "--key-file", str(stranger))
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_KEY_FILE", str(stranger))
    Journey(app, program, "student-2").to_green_light()
    assert "key changed" in run("audit", "checkpoint", code=2)
    assert "key changed" in run("audit", "verify", code=1)

    # A rotation announced by the first key makes the next one the log's key.
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_KEY_FILE", str(env))
    nxt = tmp_path / "keys" / "next.pem"
    second = run("audit", "keygen", "--key-file", str(nxt)).strip().splitlines()[-1]
    assert second in run("audit", "rotate-key", "--new-key-file", str(nxt))
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_KEY_FILE", str(nxt))
    Journey(app, program, "student-3").to_green_light()
    assert "tree size" in run("audit", "checkpoint")
    assert "OK" in run("audit", "verify")
    # A verifier who pinned the first key follows the chain of announcements.
    assert "OK" in run("audit", "verify", "--policy", str(policy))
    # The old key may no longer sign: it is not the log's current key.
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_KEY_FILE", str(env))
    assert "key changed" in run("audit", "checkpoint", code=2)
