"""Dossier bundles: an exported bundle verifies offline; altering any file in it fails clearly."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from domain.values import Verdict
from projections.audit import bundle_format as fmt
from projections.audit.bundle import bundle_files, write_zip
from projections.audit.bundle_verify import verify_bundle, verify_bundle_bytes
from projections.audit.config import AuditConfig
from projections.audit.keys import public_pem
from projections.audit.runtime import AuditRuntime, open_runtime
from projections.audit.sealer import Sealer


@pytest.fixture
def audit(app: Bewijsketen, settings: Settings) -> Iterator[AuditRuntime]:
    key = Ed25519PrivateKey.generate()
    runtime = open_runtime(app, settings.store, AuditConfig(create_key=False))
    runtime.signing_key = key
    runtime.sealer = Sealer(app.recorder, runtime.store, runtime.audit, key)
    try:
        yield runtime
    finally:
        runtime.close()


def resit_journey(app: Bewijsketen) -> Journey:
    """Fails attempt 1 (LO3 below the pass level), records a plan, passes attempt 2 after a CGI."""
    journey = Journey(app, setup_program(app), "student-1")
    journey.to_green_light()
    first = journey.request_high_stake()
    journey.assign(first)
    failing = {code: "bekwaam" for code in journey.outcomes} | {"LO3": "vakkundig"}
    journey.judge(first, "assessor-1", failing, Verdict.FAIL)
    journey.judge(first, "assessor-2", failing, Verdict.FAIL)
    journey.conclude(first)
    journey.votes(first)
    journey.development_plan(first)
    journey.evidence(["LO3"])
    second = journey.request_high_stake()
    journey.assign(second, ("assessor-2", "assessor-3"))
    journey.judge(second, "assessor-2", "bekwaam")
    journey.judge(second, "assessor-3", "bekwaam", Verdict.DOUBT)
    journey.interview(second, "assessor-2")
    journey.agree(second, "bekwaam", "assessor-3")
    journey.conclude(second, "assessor-3")
    journey.votes(second, ("committee-1", "committee-3"))
    return journey


def exported(audit: AuditRuntime, journey: Journey, attempt: int | None = None) -> dict[str, bytes]:
    audit.sealer.checkpoint_now()
    assert audit.public_key is not None
    return bundle_files(audit.app, audit.store, audit.public_key, journey.id, attempt)


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def with_manifest(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with a manifest recomputed, as someone covering their tracks would do."""
    manifest = json.loads(files[fmt.MANIFEST])
    manifest["files"] = {
        n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != fmt.MANIFEST
    }
    return files | {fmt.MANIFEST: json.dumps(manifest).encode()}


def test_an_exported_bundle_verifies_offline(audit: AuditRuntime, tmp_path: Path) -> None:
    journey = resit_journey(audit.app)
    files = exported(audit, journey)
    path = tmp_path / "dossier.zip"
    write_zip(files, path)
    report = verify_bundle(path)
    assert report.ok, report.lines()
    trajectory_events = len(list(audit.app.trajectory_events(journey.id)))
    assert report.events > trajectory_events  # plus the program's events before it
    dossier = json.loads(files[fmt.DOSSIER_JSON])
    assert [a["number"] for a in dossier["attempts"]] == [1, 2]
    assert dossier["attempts"][0]["decisions"][0]["passed"] is False
    assert dossier["attempts"][1]["interviews"] and dossier["attempts"][1]["final_levels"]
    html = files[fmt.DOSSIER_HTML].decode()
    assert "Tijdlijn" in html and "Niveaus per leeropbrengst per moment" in html
    assert "Criteriumgericht interview (CGI) gehouden" in html
    # The same inputs give the same zip, byte for byte.
    again = tmp_path / "again.zip"
    write_zip(exported(audit, journey), again)
    assert again.read_bytes() == path.read_bytes()


def test_a_bundle_for_one_attempt_stops_at_its_decision(audit: AuditRuntime) -> None:
    journey = resit_journey(audit.app)
    files = exported(audit, journey, attempt=1)
    report = verify_bundle_bytes(zipped(files))
    assert report.ok, report.lines()
    dossier = json.loads(files[fmt.DOSSIER_JSON])
    assert dossier["steps"][-1]["event"] == "DecisionRatified"
    assert [a["number"] for a in dossier["attempts"]] == [1]


@pytest.mark.parametrize("name", [fmt.MANIFEST, *fmt.FILES])
def test_altering_any_file_fails_with_a_message_naming_it(audit: AuditRuntime, name: str) -> None:
    journey = Journey(audit.app, setup_program(audit.app), "student-1")
    journey.to_ratified_pass()
    files = exported(audit, journey)
    data = bytearray(files[name])
    data[len(data) // 2] ^= 0x01
    report = verify_bundle_bytes(zipped(files | {name: bytes(data)}))
    assert not report.ok
    assert any(name in failure for failure in report.failures), report.failures


def turned_around(events: bytes) -> bytes:
    """The bundle's events with the first committee vote's stored state saying refer_back."""
    lines = events.decode().splitlines()
    for i, line in enumerate(lines):
        row = json.loads(line)
        if row["topic"].endswith("CommitteeVoteCast"):
            state = base64.b64decode(row["state"]).replace(b'"ratify"', b'"refer_back"', 1)
            row["state"] = base64.b64encode(state).decode()
            lines[i] = json.dumps(row, sort_keys=True)
            return ("\n".join(lines) + "\n").encode()
    raise AssertionError("no committee vote in the bundle")


@pytest.mark.parametrize(
    "name", [fmt.EVENTS, fmt.PROOFS, fmt.DOSSIER_HTML, fmt.DOSSIER_JSON, fmt.CHECKPOINT, fmt.README]
)
def test_altering_a_file_and_the_manifest_is_still_caught(audit: AuditRuntime, name: str) -> None:
    journey = Journey(audit.app, setup_program(audit.app), "student-1")
    journey.to_ratified_pass()
    files = exported(audit, journey)
    if name == fmt.EVENTS:
        # A believable edit: a committee vote turned around in the stored bytes.
        changed = turned_around(files[name])
    elif name in (fmt.CHECKPOINT, fmt.PROOFS):
        doc = json.loads(files[name])
        if name == fmt.CHECKPOINT:
            doc["tree_size"] += 1
            doc.pop("note")
        else:
            doc["proofs"][3]["path"][0] = "00" * 32
        changed = json.dumps(doc).encode()
    elif name == fmt.README:
        changed = files[name] + b"Dit dossier is volledig en juist.\n"
    else:
        changed = files[name].replace(b"bekwaam", b"professional", 1)
    assert changed != files[name]
    report = verify_bundle_bytes(zipped(with_manifest(files | {name: changed})))
    assert not report.ok, name
    assert any(name in failure for failure in report.failures), report.failures


def test_a_left_out_event_or_a_foreign_key_is_caught(audit: AuditRuntime) -> None:
    journey = Journey(audit.app, setup_program(audit.app), "student-1")
    journey.to_ratified_pass()
    files = exported(audit, journey)
    lines = files[fmt.EVENTS].decode().splitlines()
    dropped = [
        line for line in lines if '"version": 20}' not in line or str(journey.id) not in line
    ]
    assert len(dropped) == len(lines) - 1
    report = verify_bundle_bytes(
        zipped(with_manifest(files | {fmt.EVENTS: ("\n".join(dropped) + "\n").encode()}))
    )
    assert any("left out" in f for f in report.failures), report.failures
    # A different key, even a valid one, does not verify the checkpoint; nor a pinned key.
    other = Ed25519PrivateKey.generate().public_key()
    forged = with_manifest(files | {fmt.PUBLIC_KEY: public_pem(other).encode()})
    assert any("signature" in f for f in verify_bundle_bytes(zipped(forged)).failures)
    assert any("pinned" in f for f in verify_bundle_bytes(zipped(files), other).failures)
    assert verify_bundle_bytes(b"not a zip").failures


def test_the_offline_verifier_needs_no_database_and_no_domain() -> None:
    code = (
        "import sys, projections.audit.bundle_verify\n"
        "bad = [m for m in ('domain', 'eventsourcing', 'psycopg', 'sqlite3', 'api') "
        "if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
