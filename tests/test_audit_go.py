"""A standard tool reads the log: the Go project's signed-note and transparency-log packages
(golang.org/x/mod/sumdb/note and sumdb/tlog, Debian's golang-golang-x-mod-dev) verify a
bundle's checkpoint, every tlog-proof and a consistency proof (tests/go/c2spcheck)."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from projections.audit.bundle import bundle_files, write_zip
from projections.audit.config import AuditConfig
from projections.audit.sealer import Sealer
from projections.audit.store import AuditStore, open_store

GOPATH = Path("/usr/share/gocode")
PROGRAM = Path(__file__).parent / "go" / "c2spcheck" / "main.go"
HOW_TO_INSTALL = (
    "Go and golang.org/x/mod are needed for this test: `make test` installs them "
    "(apt-get install golang-go golang-golang-x-mod-dev)"
)


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        pytest.fail(HOW_TO_INSTALL, pytrace=False)
    out = tmp_path_factory.mktemp("go") / "c2spcheck"
    done = subprocess.run(
        [go, "build", "-o", str(out), str(PROGRAM)],
        env=go_env(tmp_path_factory.mktemp("gocache")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out


def go_env(cache: Path) -> dict[str, str]:
    # GOPATH mode over Debian's packaged sources: no module download, no network.
    return os.environ | {
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(cache),
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }


@pytest.fixture
def sealer(app: Bewijsketen, settings: Settings) -> Iterator[tuple[Sealer, AuditStore]]:
    store = open_store(settings.store)
    audit = AuditConfig(origin="bewijsketen.test/audit")
    try:
        yield Sealer(app.recorder, store, audit, Ed25519PrivateKey.generate()), store
    finally:
        store.close()


def run(checker: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(checker), *args], capture_output=True, text=True, timeout=60)


def test_go_verifies_the_checkpoint_and_every_proof(
    app: Bewijsketen, sealer: tuple[Sealer, AuditStore], checker: Path, tmp_path: Path
) -> None:
    seal, store = sealer
    Journey(app, setup_program(app), "student-1").to_ratified_pass()
    held = seal.checkpoint_now()
    assert held is not None
    journey = Journey(app, setup_program(app, code="OTHER"), "student-2")
    journey.to_ratified_pass()
    seal.checkpoint_now()
    assert seal.vkey is not None
    files = bundle_files(app, store, seal.vkey, journey.id, against=[held])
    bundle = tmp_path / "dossier.zip"
    write_zip(files, bundle)
    unzipped = tmp_path / "dossier"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(unzipped)
    kept = tmp_path / "held.checkpoint"
    kept.write_text(held.note)

    done = run(checker, "-vkey", seal.vkey, "-dir", str(unzipped), "-held", str(kept))
    assert done.returncode == 0, done.stderr
    events = len((unzipped / "events.jsonl").read_text().splitlines())
    assert f"OK {events} proofs" in done.stdout
    assert f"consistent with the tree of {held.tree_size}" in done.stdout

    # One changed byte in one stored event, and the standard tool refuses the proof.
    lines = (unzipped / "events.jsonl").read_text().splitlines()
    item = json.loads(lines[5])
    state = bytearray(base64.b64decode(item["state"]))
    state[10] ^= 0x01
    item["state"] = base64.b64encode(bytes(state)).decode()
    lines[5] = json.dumps(item)
    (unzipped / "events.jsonl").write_text("\n".join(lines) + "\n")
    done = run(checker, "-vkey", seal.vkey, "-dir", str(unzipped))
    assert done.returncode == 1 and f"proof {item['position']}" in done.stderr
    # Another key is not the log's: the note does not open.
    stranger = Sealer(app.recorder, store, seal.settings, Ed25519PrivateKey.generate()).vkey
    assert stranger is not None
    done = run(checker, "-vkey", stranger, "-dir", str(unzipped))
    assert done.returncode == 1 and "checkpoint" in done.stderr
