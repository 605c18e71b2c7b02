"""RFC 3161 timestamps of checkpoints from a local TSA started here (openssl ts), kept with the
checkpoint, verified offline with rfc3161-client; a tampered token fails."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from projections.audit import bundle_format as fmt
from projections.audit.bundle import bundle_files
from projections.audit.bundle_verify import BundleTrust, verify_bundle_bytes
from projections.audit.config import AuditConfig
from projections.audit.cosign import Cosigner
from projections.audit.policy import parse_policy
from projections.audit.sealer import Sealer
from projections.audit.store import AuditStore, open_store
from projections.audit.timestamps import load_roots, timestamped_bytes, verify_token
from projections.audit.verify import verify_store
from tests.tsa_support import Tsa, local_tsa, write_tsa_files


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[Tsa]:
    with local_tsa(tmp_path / "tsa") as running:
        yield running


@pytest.fixture
def stamped(
    app: Bewijsketen, settings: Settings, tsa: Tsa
) -> Iterator[tuple[Sealer, AuditStore, Ed25519PrivateKey]]:
    key = Ed25519PrivateKey.generate()
    store = open_store(settings.store)
    audit = AuditConfig(origin="bewijsketen.test/audit", tsa_url=tsa.url)
    sealer = Sealer(app.recorder, store, audit, key, Cosigner(store, None, tsa_url=tsa.url))
    try:
        yield sealer, store, key
    finally:
        store.close()


def test_checkpoints_are_timestamped_and_verified_offline(
    app: Bewijsketen, stamped: tuple[Sealer, AuditStore, Ed25519PrivateKey], tsa: Tsa
) -> None:
    sealer, store, key = stamped
    journey = Journey(app, setup_program(app), "student-1")
    journey.to_ratified_pass()
    first = sealer.checkpoint_now()
    Journey(app, setup_program(app, code="OTHER"), "student-2").to_green_light()
    second = sealer.checkpoint_now()
    assert first is not None and second is not None
    tokens = store.timestamps()
    assert set(tokens) == {first.tree_size, second.tree_size}
    assert len(tsa.requests) == 2
    roots = load_roots(tsa.root_pem)
    check = verify_token(tokens[second.tree_size], timestamped_bytes(second), roots)
    assert check.gen_time.year >= 2024
    report = verify_store(store, key.public_key(), tsa_roots=roots)
    assert report.ok, report.lines()
    assert report.timestamps == 2
    # Without the TSA's root nothing is claimed about the tokens.
    unchecked = verify_store(store, key.public_key())
    assert unchecked.ok and any("not checked" in n for n in unchecked.notes)

    # The bundle carries the token; the verifier checks it against the TSA root it is given.
    assert sealer.vkey is not None
    files = bundle_files(app, store, sealer.vkey, journey.id)
    assert fmt.TIMESTAMP in files
    trust = BundleTrust(parse_policy(f"log {sealer.vkey}\nquorum none\n"), tsa_roots=roots)
    report_b = verify_bundle_bytes(zipped(files), trust)
    assert report_b.ok, report_b.lines()
    assert any("existed at" in n for n in report_b.notes)
    tampered = bytearray(files[fmt.TIMESTAMP])
    tampered[-1] ^= 0x01
    forged = with_manifest(files | {fmt.TIMESTAMP: bytes(tampered)})
    failures = verify_bundle_bytes(zipped(forged), trust).failures
    assert any(f.startswith(f"{fmt.TIMESTAMP}: ") for f in failures), failures


def test_a_tampered_or_misplaced_token_fails(
    app: Bewijsketen,
    stamped: tuple[Sealer, AuditStore, Ed25519PrivateKey],
    tsa: Tsa,
    settings: Settings,
    tmp_path: Path,
) -> None:
    sealer, store, key = stamped
    Journey(app, setup_program(app), "student-1").to_ratified_pass()
    first = sealer.checkpoint_now()
    Journey(app, setup_program(app, code="OTHER"), "student-2").to_green_light()
    second = sealer.checkpoint_now()
    assert first is not None and second is not None
    roots = load_roots(tsa.root_pem)
    tokens = store.timestamps()
    table = store.tables["timestamps"]

    def replace(size: int, token: bytes) -> None:
        with store.transaction() as cur:
            cur.execute(
                store.q(f"UPDATE {table} SET token = %s WHERE tree_size = %s"), (token, size)
            )

    broken = bytearray(tokens[second.tree_size])
    broken[-1] ^= 0x01
    replace(second.tree_size, bytes(broken))
    report = verify_store(store, key.public_key(), tsa_roots=roots)
    assert not report.ok
    assert any(f"checkpoint at tree size {second.tree_size} fails" in p for p in report.problems)

    # A genuine token, but of the other checkpoint.
    replace(second.tree_size, tokens[first.tree_size])
    report = verify_store(store, key.public_key(), tsa_roots=roots)
    assert any(f"tree size {second.tree_size} fails" in p for p in report.problems)

    # A genuine token under a root the verifier does not trust.
    replace(second.tree_size, tokens[second.tree_size])
    assert verify_store(store, key.public_key(), tsa_roots=roots).ok
    other = write_tsa_files(_fresh(tmp_path / "other-ca"))
    report = verify_store(store, key.public_key(), tsa_roots=load_roots(other))
    assert not report.ok and len(report.problems) == 2


def _fresh(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def with_manifest(files: dict[str, bytes]) -> dict[str, bytes]:
    manifest = json.loads(files[fmt.MANIFEST])
    manifest["files"] = {
        n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items()) if n != fmt.MANIFEST
    }
    return files | {fmt.MANIFEST: (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()}
