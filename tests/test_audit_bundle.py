"""Dossier bundles: an exported bundle verifies offline under a trust policy; altering any file
fails clearly; every loose-parsing trick is refused with a message naming the file and line."""

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
from projections.audit.bundle import BundleError, bundle_files, write_zip
from projections.audit.bundle_verify import (
    HOW_TO_PIN,
    BundleReport,
    BundleTrust,
    verify_bundle,
    verify_bundle_bytes,
)
from projections.audit.checkpoint import (
    Checkpoint,
    ExternalCheckpoint,
    from_note,
    legacy_note_text,
    log_verifier,
    sign,
)
from projections.audit.config import AuditConfig
from projections.audit.dossier import DossierEvent, build_dossier
from projections.audit.envelopes import open_event
from projections.audit.keys import key_id as legacy_key_id
from projections.audit.keys import public_pem
from projections.audit.leaf import encode_leaf
from projections.audit.merkle import leaf_hash, tree_root
from projections.audit.note import COSIGNATURE_V1, NoteSigner
from projections.audit.payload import decode_plain
from projections.audit.policy import parse_policy
from projections.audit.proofs import inclusion_many
from projections.audit.render import render_html
from projections.audit.runtime import AuditRuntime, open_runtime
from projections.audit.sealer import Sealer
from projections.audit.source import dossier_of

ORIGIN = "bewijsketen.test/audit"


@pytest.fixture
def audit(app: Bewijsketen, settings: Settings) -> Iterator[AuditRuntime]:
    key = Ed25519PrivateKey.generate()
    runtime = open_runtime(app, settings.store, AuditConfig(create_key=False, origin=ORIGIN))
    runtime.signing_key = key
    runtime.sealer = Sealer(app.recorder, runtime.store, runtime.audit, key)
    try:
        yield runtime
    finally:
        runtime.close()


def trust(audit: AuditRuntime) -> BundleTrust:
    assert audit.sealer.vkey is not None
    return BundleTrust(parse_policy(f"log {audit.sealer.vkey}\nquorum none\n", "policy.txt"))


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


def exported(
    audit: AuditRuntime, journey: Journey, attempt: int | None = None, against: tuple = ()
) -> dict[str, bytes]:
    audit.sealer.checkpoint_now()
    assert audit.sealer.vkey is not None
    return bundle_files(audit.app, audit.store, audit.sealer.vkey, journey.id, attempt, against)


def passed(audit: AuditRuntime) -> tuple[Journey, dict[str, bytes]]:
    journey = Journey(audit.app, setup_program(audit.app), "student-1")
    journey.to_ratified_pass()
    return journey, exported(audit, journey)


def zipped(files: dict[str, bytes] | list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in items:
            archive.writestr(name, data)
    return out.getvalue()


def with_manifest(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files with a manifest recomputed, as someone covering their tracks would do."""
    manifest = json.loads(files[fmt.MANIFEST])
    manifest["files"] = {
        n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items()) if n != fmt.MANIFEST
    }
    return files | {fmt.MANIFEST: (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()}


def with_rendering(files: dict[str, bytes]) -> dict[str, bytes]:
    """Also dossier.json and dossier.html made again from the (edited) events."""
    manifest = json.loads(files[fmt.MANIFEST])
    events = []
    for line in files[fmt.EVENTS].decode().splitlines():
        item = json.loads(line)
        state = base64.b64decode(item["state"])
        hashed = leaf_hash(
            encode_leaf(
                item["position"], item["aggregate_id"], item["version"], item["topic"], state
            )
        )
        events.append(
            DossierEvent(
                item["position"],
                item["aggregate_id"],
                item["version"],
                item["topic"],
                decode_plain(state),
                hashed.hex(),
            )
        )
    dossier = build_dossier(manifest["trajectory_id"], events, manifest["attempt"])
    checkpoint = from_note(files[fmt.CHECKPOINT].decode())
    return with_manifest(
        files
        | {
            fmt.DOSSIER_JSON: fmt.canonical_json(dossier),
            fmt.DOSSIER_HTML: render_html(dossier, checkpoint.to_json()),
        }
    )


def failures(report: BundleReport) -> str:
    return "\n".join(report.failures)


def test_an_exported_bundle_verifies_offline(audit: AuditRuntime, tmp_path: Path) -> None:
    journey = resit_journey(audit.app)
    files = exported(audit, journey)
    path = tmp_path / "dossier.zip"
    write_zip(files, path)
    report = verify_bundle(path, trust(audit))
    assert report.ok, report.lines()
    trajectory_events = len(list(audit.app.trajectory_events(journey.id)))
    assert report.events > trajectory_events  # plus the program's events before it
    proofs = [n for n in files if fmt.proof_position(n) is not None]
    assert len(proofs) == report.events
    assert files[proofs[0]].startswith(b"c2sp.org/tlog-proof@v1\nindex ")
    checkpoint = from_note(files[fmt.CHECKPOINT].decode())
    assert files[fmt.CHECKPOINT].decode().splitlines()[:2] == [ORIGIN, str(checkpoint.tree_size)]
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
    report = verify_bundle_bytes(zipped(files), trust(audit))
    assert report.ok, report.lines()
    dossier = json.loads(files[fmt.DOSSIER_JSON])
    assert dossier["steps"][-1]["event"] == "DecisionRatified"
    assert [a["number"] for a in dossier["attempts"]] == [1]


def test_without_a_policy_a_bundle_is_not_judged(audit: AuditRuntime) -> None:
    _, files = passed(audit)
    report = verify_bundle_bytes(zipped(files))
    assert not report.ok and report.refused == HOW_TO_PIN
    assert "--policy" in report.lines()[0] and "log <vkey>" in report.lines()[0]
    first_look = verify_bundle_bytes(zipped(files), BundleTrust(trust_bundle_key=True))
    assert first_look.ok, first_look.lines()
    assert first_look.warnings and "not that the school's log made it" in first_look.warnings[0]
    # The key inside the bundle is no anchor: a policy with another key refuses it.
    other = log_verifier(ORIGIN, Ed25519PrivateKey.generate().public_key()).vkey
    foreign = BundleTrust(parse_policy(f"log {other}\nquorum none\n", "other.txt"))
    assert "key changed" in failures(verify_bundle_bytes(zipped(files), foreign))


@pytest.mark.parametrize("name", [fmt.MANIFEST, *fmt.FILES, "proofs/"])
def test_altering_any_file_fails_with_a_message_naming_it(audit: AuditRuntime, name: str) -> None:
    _, files = passed(audit)
    if name == "proofs/":
        name = sorted(n for n in files if n.startswith(fmt.PROOF_DIR))[5]
    data = bytearray(files[name])
    data[len(data) // 2] ^= 0x01
    report = verify_bundle_bytes(zipped(files | {name: bytes(data)}), trust(audit))
    assert not report.ok
    assert name in failures(report), report.failures


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


def test_altering_a_file_and_the_manifest_is_still_caught(audit: AuditRuntime) -> None:
    _, files = passed(audit)
    proof = sorted(n for n in files if n.startswith(fmt.PROOF_DIR))[3]
    lines = files[proof].decode().split("\n")
    lines[3] = base64.b64encode(b"\x00" * 32).decode()
    checkpoint = files[fmt.CHECKPOINT].decode()
    cases = {
        # A believable edit: a committee vote turned around in the stored bytes.
        fmt.EVENTS: turned_around(files[fmt.EVENTS]),
        proof: "\n".join(lines).encode(),
        fmt.DOSSIER_HTML: files[fmt.DOSSIER_HTML].replace(b"bekwaam", b"professional", 1),
        fmt.DOSSIER_JSON: files[fmt.DOSSIER_JSON].replace(b"bekwaam", b"professional", 1),
        fmt.CHECKPOINT: checkpoint.replace(checkpoint.split("\n")[1], "99999", 1).encode(),
        fmt.README: files[fmt.README] + b"Dit dossier is volledig en juist.\n",
    }
    for name, changed in cases.items():
        assert changed != files[name], name
        report = verify_bundle_bytes(zipped(with_manifest(files | {name: changed})), trust(audit))
        assert not report.ok, name
        assert name in failures(report) or (
            name == fmt.EVENTS and fmt.EVENTS in failures(report)
        ), (name, report.failures)


def test_a_second_entry_of_the_same_name_is_refused(audit: AuditRuntime) -> None:
    _, files = passed(audit)
    forged = files[fmt.DOSSIER_HTML].replace(b"geslaagd", b"cum laude", 1)
    entries = [*files.items(), (fmt.DOSSIER_HTML, forged)]
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = zipped(entries)
    report = verify_bundle_bytes(data, trust(audit))
    assert not report.ok
    assert f"{fmt.DOSSIER_HTML} appears twice in the zip (entries" in failures(report)


def test_a_duplicate_json_key_is_refused_naming_the_line(audit: AuditRuntime) -> None:
    _, files = passed(audit)
    lines = files[fmt.EVENTS].decode().splitlines()
    n = 7
    item = json.loads(lines[n - 1])
    # Python keeps the last "state", other parsers the first: the line must be refused.
    forged_state = base64.b64encode(b'{"forged": true}').decode()
    lines[n - 1] = lines[n - 1][:-1] + f', "state": "{forged_state}"}}'
    assert item["state"] != forged_state
    edited = files | {fmt.EVENTS: ("\n".join(lines) + "\n").encode()}
    report = verify_bundle_bytes(zipped(with_manifest(edited)), trust(audit))
    assert f"{fmt.EVENTS} line {n}: the key 'state' appears twice" in failures(report)
    manifest = (
        files[fmt.MANIFEST]
        .decode()
        .replace('"format":', '"format": "bewijsketen-dossier-bundle/2",\n  "format":', 1)
    )
    report = verify_bundle_bytes(zipped(files | {fmt.MANIFEST: manifest.encode()}), trust(audit))
    line = [n for n, t in enumerate(manifest.splitlines(), start=1) if '"format":' in t][1]
    assert f"{fmt.MANIFEST} line {line}: the key 'format' appears twice" in failures(report)


def test_files_outside_the_manifest_and_entries_outside_the_zip_are_refused(
    audit: AuditRuntime,
) -> None:
    _, files = passed(audit)
    extra = with_manifest(files | {"toelichting.txt": b"Alles is in orde.\n"})
    report = verify_bundle_bytes(zipped(extra), trust(audit))
    assert "toelichting.txt (zip entry" in failures(report)
    assert "is not a file of the bundle format" in failures(report)

    unlisted = files | {fmt.consistency_name(3): b"first 3\nsecond 4\n"}
    report = verify_bundle_bytes(zipped(unlisted), trust(audit))
    assert f"{fmt.consistency_name(3)} is in the zip but not listed in {fmt.MANIFEST}" in failures(
        report
    )

    gone = sorted(n for n in files if n.startswith(fmt.PROOF_DIR))[2]
    missing = {n: d for n, d in files.items() if n != gone}
    report = verify_bundle_bytes(zipped(missing), trust(audit))
    line = next(
        i
        for i, text in enumerate(files[fmt.MANIFEST].decode().splitlines(), start=1)
        if f'"{gone}"' in text
    )
    assert f"{fmt.MANIFEST} line {line}: lists {gone}, which is not in the zip" in failures(report)


def test_a_left_out_program_event_is_refused(audit: AuditRuntime) -> None:
    journey, files = passed(audit)
    lines = files[fmt.EVENTS].decode().splitlines()
    staff = [
        (n, line)
        for n, line in enumerate(lines, start=1)
        if "StaffRegistered" in line and base64.b64encode(b"assessor").decode()[:6] in line
    ] or [(n, line) for n, line in enumerate(lines, start=1) if "StaffRegistered" in line]
    number, removed = staff[len(staff) // 2]
    item = json.loads(removed)
    kept = [line for line in lines if line != removed]
    edited = {n: d for n, d in files.items() if n != fmt.proof_name(item["position"])}
    edited[fmt.EVENTS] = ("\n".join(kept) + "\n").encode()
    report = verify_bundle_bytes(zipped(with_rendering(edited)), trust(audit))
    assert not report.ok
    expected = (
        f"{fmt.EVENTS} line {number}: program {item['aggregate_id']} has version "
        f"{item['version'] + 1} after version {item['version'] - 1}"
    )
    assert expected in failures(report), report.failures
    assert "an event was left out" in failures(report)
    # And the trajectory's own last-but-one event, as before.
    trajectory = [line for line in lines if str(journey.id) in line]
    gap = json.loads(trajectory[-2])
    kept = [line for line in lines if line != trajectory[-2]]
    edited = {n: d for n, d in files.items() if n != fmt.proof_name(gap["position"])}
    edited[fmt.EVENTS] = ("\n".join(kept) + "\n").encode()
    report = verify_bundle_bytes(zipped(with_rendering(edited)), trust(audit))
    assert "the trajectory has version" in failures(report)


def test_lines_out_of_position_order_are_refused(audit: AuditRuntime) -> None:
    _, files = passed(audit)
    lines = files[fmt.EVENTS].decode().splitlines()
    lines[9], lines[10] = lines[10], lines[9]
    edited = with_rendering(files | {fmt.EVENTS: ("\n".join(lines) + "\n").encode()})
    report = verify_bundle_bytes(zipped(edited), trust(audit))
    assert f"{fmt.EVENTS} line 11: position" in failures(report)
    assert "the lines must be in position order" in failures(report)


def test_consistency_with_a_held_checkpoint(audit: AuditRuntime) -> None:
    first = Journey(audit.app, setup_program(audit.app), "student-1")
    first.to_ratified_pass()
    held = audit.sealer.checkpoint_now()
    assert held is not None
    second = Journey(audit.app, setup_program(audit.app, code="OTHER"), "student-2")
    second.to_ratified_pass()
    files = exported(audit, second, against=(held,))
    assert fmt.consistency_name(held.tree_size) in files
    kept = ExternalCheckpoint(from_note(held.note), None, "held.checkpoint")
    ok = trust(audit)
    ok.against = [kept]
    report = verify_bundle_bytes(zipped(files), ok)
    assert report.ok, report.lines()
    assert any("consistent with held.checkpoint" in n for n in report.notes)
    # A bundle without the proof says how to get one.
    plain = exported(audit, second)
    report = verify_bundle_bytes(zipped(plain), ok)
    assert "ask for an export made with --against" in failures(report)
    # A checkpoint of another history (a fork), signed with the log's own key, is caught.
    assert audit.signing_key is not None
    forked = sign(audit.signing_key, ORIGIN, held.tree_size, b"\x07" * 32)
    with pytest.raises(BundleError, match="not of this log"):
        exported(audit, second, against=(forked,))
    proof_file = files[fmt.consistency_name(held.tree_size)]
    fake = trust(audit)
    fake.against = [ExternalCheckpoint(forked, None, "forked.checkpoint")]
    report = verify_bundle_bytes(
        zipped(files | {fmt.consistency_name(held.tree_size): proof_file}), fake
    )
    assert "forked.checkpoint (tree size" in failures(report) and "not consistent" in failures(
        report
    )


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


def first_format_bundle(audit: AuditRuntime, journey: Journey) -> dict[str, bytes]:
    """A bundle as the first format wrote it: checkpoint.json, proofs.json, public-key.pem."""
    audit.sealer.seal_all()
    assert audit.signing_key is not None
    size = audit.store.load_state().tree_size
    root = tree_root(size, audit.store)
    issued = "2026-06-01T09:00:00.000000Z"
    note = legacy_note_text("bewijsketen", size, root, issued)
    public = audit.signing_key.public_key()
    checkpoint = Checkpoint(
        "bewijsketen",
        size,
        root,
        issued,
        legacy_key_id(public),
        audit.signing_key.sign(note.encode()),
        legacy=True,
    )
    _, events = dossier_of(audit.app, audit.store, journey.id, None)
    # The first format carries no data keys: the events' sealed values read as gone.
    dossier = build_dossier(
        str(journey.id),
        [
            DossierEvent(
                e.event.position,
                e.event.aggregate_id,
                e.event.version,
                e.event.topic,
                open_event(
                    decode_plain(e.row.state), lambda _: None, e.event.aggregate_id, e.event.topic
                ).data,
                e.event.leaf_hash,
            )
            for e in events
        ],
    )
    proofs = inclusion_many(audit.store, [e.row.position for e in events], size)
    lines = [
        json.dumps(
            {
                "position": e.row.position,
                "leaf_index": proofs[e.row.position]["leaf_index"],
                "aggregate_id": str(e.row.aggregate_id),
                "version": e.row.version,
                "topic": e.row.topic,
                "state": base64.b64encode(e.row.state).decode(),
            },
            sort_keys=True,
        )
        for e in events
    ]
    files = {
        fmt.EVENTS: ("\n".join(lines) + "\n").encode(),
        fmt.V1_CHECKPOINT: (
            json.dumps(checkpoint.to_json(), indent=2, sort_keys=True) + "\n"
        ).encode(),
        fmt.V1_PROOFS: (
            json.dumps(
                {
                    "tree_size": size,
                    "root_hash": root.hex(),
                    "proofs": [proofs[e.row.position] for e in events],
                },
                indent=1,
                sort_keys=True,
            )
            + "\n"
        ).encode(),
        fmt.V1_PUBLIC_KEY: public_pem(public).encode(),
        fmt.DOSSIER_JSON: fmt.canonical_json(dossier),
        fmt.DOSSIER_HTML: render_html(dossier, checkpoint.to_json()),
        fmt.README: fmt.V1_README_TEXT.encode(),
    }
    manifest = {
        "format": fmt.V1_FORMAT,
        "trajectory_id": str(journey.id),
        "attempt": None,
        "tree_size": size,
        "key_id": checkpoint.key_id,
        "files": {n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items())},
    }
    files[fmt.MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    return files


def test_bundles_of_the_first_format_still_verify(audit: AuditRuntime) -> None:
    journey = Journey(audit.app, setup_program(audit.app), "student-1")
    journey.to_ratified_pass()
    files = first_format_bundle(audit, journey)
    html = files[fmt.DOSSIER_HTML].decode()
    assert "proofs.json" in html and "SHA-256 van de publieke sleutel" in html
    report = verify_bundle_bytes(zipped(files), trust(audit))
    assert report.ok, report.lines()
    assert verify_bundle_bytes(zipped(files), BundleTrust(trust_bundle_key=True)).warnings
    # Strict as the second format: altered events, duplicate keys, a foreign key, witnesses.
    forged = with_manifest(files | {fmt.EVENTS: turned_around(files[fmt.EVENTS])})
    assert "is not proven by proofs.json" in failures(
        verify_bundle_bytes(zipped(forged), trust(audit))
    )
    doubled = (
        files[fmt.V1_PROOFS].decode().replace('"tree_size":', '"tree_size": 1,\n "tree_size":', 1)
    )
    report = verify_bundle_bytes(
        zipped(with_manifest(files | {fmt.V1_PROOFS: doubled.encode()})), trust(audit)
    )
    assert f"{fmt.V1_PROOFS} line" in failures(report) and "appears twice" in failures(report)
    other = log_verifier(ORIGIN, Ed25519PrivateKey.generate().public_key()).vkey
    foreign = BundleTrust(parse_policy(f"log {other}\nquorum none\n", "other.txt"))
    assert "key changed" in failures(verify_bundle_bytes(zipped(files), foreign))
    assert audit.sealer.vkey is not None
    w = NoteSigner("w.test", COSIGNATURE_V1, Ed25519PrivateKey.generate()).verifier.vkey
    witnessed = BundleTrust(parse_policy(f"log {audit.sealer.vkey}\nwitness w {w}\nquorum w\n"))
    assert "carries no witness cosignatures" in failures(
        verify_bundle_bytes(zipped(files), witnessed)
    )
    mixed = with_manifest(files | {fmt.CHECKPOINT: b"x"})
    assert f"{fmt.CHECKPOINT} is not a file of the format {fmt.V1_FORMAT}" in failures(
        verify_bundle_bytes(zipped(mixed), trust(audit))
    )
