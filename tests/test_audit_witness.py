"""Two witness processes (`bewijsketen witness serve` on 127.0.0.1, each with its own key)
cosign a growing log; a rewritten and re-signed log (the re-key attack) and a truncated one are
refused by both, and `audit verify` under the policy names the checkpoint or the position."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain.application import Bewijsketen
from domain.journey import Journey, setup_program
from projections.audit import bundle_format as fmt
from projections.audit.bundle import bundle_files
from projections.audit.bundle_verify import BundleTrust, verify_bundle_bytes
from projections.audit.checkpoint import log_verifier
from projections.audit.config import AuditConfig
from projections.audit.keys import private_pem
from projections.audit.merkle import Frontier
from projections.audit.policy import load_policy
from projections.audit.runtime import AuditRuntime, open_runtime
from projections.audit.sealer import SealerService
from projections.audit.store import NODE_MIN_LEVEL
from projections.audit.tlog import AddCheckpoint
from projections.audit.verify import ALTERED, MISSING
from projections.audit.witness import origin_hash
from tests import c2sp_independent as outside
from tests.test_audit_tamper import RawStore, flipped
from tests.witness_support import WitnessProcess, policy_text, two_witnesses

# One pair of witness processes serves the whole module (starting them is the slow part): it
# follows a log key per test, each log under its own origin.
LOGS = 16
AUDIT_TABLES = ("leaves", "nodes", "state", "checkpoints", "cosignatures", "timestamps", "keys")


@dataclass
class Log:
    app: Bewijsketen
    settings: Settings
    key: Ed25519PrivateKey
    policy: Path
    witnesses: list[WitnessProcess]
    runtime: AuditRuntime
    raw: RawStore
    program_id: Any
    origin: str

    @property
    def vkey(self) -> str:
        return log_verifier(self.origin, self.key.public_key()).vkey

    def open(self, key: Ed25519PrivateKey) -> AuditRuntime:
        return open_runtime(self.app, self.settings, audit_settings(key, self.policy, self.origin))

    def student(self, n: int) -> Journey:
        journey = Journey(self.app, self.program_id, f"student-{n}")
        journey.to_ratified_pass()
        return journey


def audit_settings(key: Ed25519PrivateKey, policy: Path, origin: str) -> AuditConfig:
    return AuditConfig(
        private_key=private_pem(key).decode(),
        policy_file=policy,
        origin=origin,
        checkpoint_every=10,
        create_key=False,
    )


@dataclass
class Pool:
    keys: list[tuple[str, Ed25519PrivateKey]]
    witnesses: list[WitnessProcess]


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pool]:
    keys = [(f"bewijsketen.test{n}/audit", Ed25519PrivateKey.generate()) for n in range(LOGS)]
    vkeys = [log_verifier(origin, key.public_key()).vkey for origin, key in keys]
    with two_witnesses(tmp_path_factory.mktemp("witnesses"), vkeys) as witnesses:
        yield Pool(keys, witnesses)


@pytest.fixture
def log(app: Bewijsketen, settings: Settings, tmp_path: Path, pool: Pool) -> Iterator[Log]:
    origin, key = pool.keys.pop()
    vkey = log_verifier(origin, key.public_key()).vkey
    policy = tmp_path / "policy.txt"
    policy.write_text(policy_text(vkey, pool.witnesses))
    runtime = open_runtime(app, settings, audit_settings(key, policy, origin))
    try:
        yield Log(
            app,
            settings,
            key,
            policy,
            pool.witnesses,
            runtime,
            RawStore(settings),
            setup_program(app),
            origin,
        )
    finally:
        runtime.close()


def cli_env(log: Log, monkeypatch: pytest.MonkeyPatch, key: Ed25519PrivateKey) -> None:
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(log.settings.data_dir))
    if log.settings.database_url:
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_URL", log.settings.database_url)
        monkeypatch.setenv("BEWIJSKETEN_DATABASE_SCHEMA", str(log.settings.database_schema))
    else:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_PRIVATE_KEY", private_pem(key).decode())
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_ORIGIN", log.origin)
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_WITNESS_GRACE_SECONDS", "0")


def verify_cli(policy: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", "verify", "--policy", str(policy)])
    return result.exit_code, result.output


def test_two_witnesses_cosign_a_growing_log(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = outside.read_policy(log.policy.read_text())
    sizes = []
    for n in (1, 2, 3):
        log.student(n)
        checkpoint = log.runtime.sealer.checkpoint_now()
        assert checkpoint is not None
        sizes.append(checkpoint.tree_size)
        # Both cosignatures are stored with the checkpoint and check out independently.
        tree, body, signatures = outside.open_checkpoint(checkpoint.note, policy.logs[0])
        assert tree.size == checkpoint.tree_size
        assert {
            n for n, w in policy.witnesses.items() if outside.cosigned_by(body, signatures, w)
        } == {
            "w1",
            "w2",
        }
        for witness in log.witnesses:
            held = witness.latest(origin_hash(log.origin))
            assert held.status_code == 200
            assert held.text.splitlines()[1] == str(checkpoint.tree_size)
    assert sizes == sorted(sizes) and len(set(sizes)) == 3

    # The sealer's own thread keeps them cosigning as the log grows.
    service = SealerService(log.runtime.sealer)
    service.start()
    try:
        log.student(4)
        head = log.app.recorder.max_notification_id()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            latest = log.runtime.store.latest_checkpoint()
            if (
                latest
                and latest.tree_size > sizes[-1]
                and len(latest.cosignatures) == 2
                and log.runtime.store.load_state().last_position == head
            ):
                break
            time.sleep(0.05)
        assert latest is not None and len(latest.cosignatures) == 2, service.status()
    finally:
        service.stop()

    cli_env(log, monkeypatch, log.key)
    code, output = verify_cli(log.policy)
    assert code == 0, output
    assert "OK" in output


def test_a_rewritten_and_re_signed_log_is_refused_by_both(
    log: Log, monkeypatch: pytest.MonkeyPatch
) -> None:
    log.student(1)
    log.student(2)
    honest = log.runtime.sealer.checkpoint_now()
    assert honest is not None and len(honest.cosignatures) == 2
    log.runtime.close()

    # The attack: change an event, wipe the audit tables, take a new key, reseal and re-sign.
    position = log.raw.positions()[len(log.raw.positions()) // 2]
    log.raw.set_state(position, flipped(log.raw.row(position).state))
    for table in AUDIT_TABLES:
        log.raw.run(f"DELETE FROM {{p}}bewijsketen_audit_{table}")
    log.raw.run("INSERT INTO {p}bewijsketen_audit_state VALUES (1, 0, 0, %s, '')", (b"",))
    attacker = Ed25519PrivateKey.generate()
    forged = log.open(attacker)
    try:
        resigned = forged.sealer.checkpoint_now()
        assert resigned is not None and resigned.tree_size == honest.tree_size
        assert resigned.cosignatures == ()
        errors = [w["error"] for w in forged.sealer.status()["witnesses"]["witnesses"].values()]
        assert len(errors) == 2 and all("refused with 403" in e for e in errors), errors
        for witness in log.witnesses:
            body = AddCheckpoint(honest.tree_size, (), resigned.note).text().encode()
            assert witness.add_checkpoint(body).status_code == 403
            held = witness.latest(origin_hash(log.origin)).text
            assert held.splitlines()[2] == base64.b64encode(honest.root_hash).decode()
    finally:
        forged.close()

    cli_env(log, monkeypatch, attacker)
    code, output = verify_cli(log.policy)
    assert code == 1, output
    assert "key changed" in output
    assert f"checkpoint at tree size {resigned.tree_size}" in output
    # The witnesses' checkpoints, signed by the old key, locate the rewritten event.
    assert "ALTERED" in output and "witness" in output


def test_a_truncated_log_is_refused_by_both(log: Log, monkeypatch: pytest.MonkeyPatch) -> None:
    log.student(1)
    log.student(2)
    honest = log.runtime.sealer.checkpoint_now()
    assert honest is not None and len(honest.cosignatures) == 2
    log.runtime.close()

    positions = log.raw.positions()
    cut = positions[-40]
    truncate(log.raw, cut)
    cli_env(log, monkeypatch, log.key)
    # Plain verify (no policy, no witnesses) sees nothing wrong: the record was fixed up.
    plain = CliRunner().invoke(cli, ["audit", "verify"])
    assert plain.exit_code == 0, plain.output
    code, output = verify_cli(log.policy)
    assert code == 1, output
    assert f"MISSING at position {cut}" in output and "witness" in output

    # The log goes on from the cut: neither witness cosigns its checkpoints.
    again = log.open(log.key)
    try:
        log.student(3)
        after = again.sealer.checkpoint_now()
        assert after is not None and after.cosignatures == ()
        errors = [w["error"] for w in again.sealer.status()["witnesses"]["witnesses"].values()]
        assert len(errors) == 2, errors
        assert all("truncated or forked" in e or "refused with 422" in e for e in errors), errors
        for witness in log.witnesses:
            forged = AddCheckpoint(honest.tree_size, (), after.note).text().encode()
            assert witness.add_checkpoint(forged).status_code in (400, 422)
    finally:
        again.close()
    code, output = verify_cli(log.policy)
    assert code == 1, output
    assert f"witness w1 cosigned (tree size {honest.tree_size})" in " ".join(output.split())
    assert ALTERED.upper() in output or MISSING.upper() in output


def truncate(raw: RawStore, cut: int) -> None:
    """Deletes the events from `cut` on with their leaves and checkpoints, and fixes up the
    sealer's state and subtree hashes, as a careful attacker with database access would."""
    raw.delete_from(cut, max(raw.positions()))
    raw.run("DELETE FROM {p}bewijsketen_audit_leaves WHERE position >= %s", (cut,))
    leaves = raw.run(
        "SELECT leaf_hash, position FROM {p}bewijsketen_audit_leaves ORDER BY leaf_index"
    )
    size = len(leaves)
    raw.run("DELETE FROM {p}bewijsketen_audit_checkpoints WHERE tree_size > %s", (size,))
    raw.run("DELETE FROM {p}bewijsketen_audit_cosignatures WHERE tree_size > %s", (size,))
    frontier = Frontier()
    nodes = []
    for h, _ in leaves:
        nodes += [n for n in frontier.append(bytes(h)) if n[0] >= NODE_MIN_LEVEL]
    raw.run("DELETE FROM {p}bewijsketen_audit_nodes")
    for level, idx, h in nodes:
        raw.run(
            "INSERT INTO {p}bewijsketen_audit_nodes (level, idx, hash) VALUES (%s, %s, %s)",
            (level, idx, h),
        )
    raw.run(
        "UPDATE {p}bewijsketen_audit_state SET tree_size = %s, last_position = %s, frontier = %s",
        (size, int(leaves[-1][1]), frontier.to_bytes()),
    )


def test_an_outside_verifier_checks_a_witnessed_bundle(log: Log) -> None:
    """tests/c2sp_independent.py shares no code with the project: from the C2SP texts and
    docs/audit.md alone it checks the checkpoint, both cosignatures and every tlog-proof."""
    journey = log.student(1)
    log.runtime.sealer.checkpoint_now()
    files = bundle_files(log.app, log.runtime.store, log.vkey, journey.id)
    policy = outside.read_policy(log.policy.read_text())
    assert policy.quorum == 2
    tree, body, signatures = outside.open_checkpoint(files[fmt.CHECKPOINT].decode(), policy.logs[0])
    timestamps = [outside.cosigned_by(body, signatures, w) for w in policy.witnesses.values()]
    assert all(t is not None and abs(t - time.time()) < 600 for t in timestamps)
    lines = files[fmt.EVENTS].decode().splitlines()
    for line in lines:
        event = json.loads(line)
        leaf = outside.leaf_hash_of(
            event["position"],
            uuid.UUID(event["aggregate_id"]).bytes,
            event["version"],
            event["topic"],
            base64.b64decode(event["state"]),
        )
        proof = files[f"proofs/{event['position']}.tlog-proof"].decode()
        proven, cosigners = outside.check_proof(proof, policy, leaf)
        assert proven == tree and sorted(cosigners) == ["w1", "w2"]
        # A changed event is not proven.
        with pytest.raises(outside.Rejected, match="inclusion proof"):
            outside.check_proof(proof, policy, hashlib.sha256(b"\x00other").digest())
    # A policy that wants a third witness is not met; one without the log's key fails.
    strict = outside.SimplePolicy(policy.logs, policy.witnesses, 3)
    with pytest.raises(outside.Rejected, match="quorum"):
        outside.check_proof(proof, strict, leaf)
    with pytest.raises(outside.Rejected, match="not signed by a log"):
        outside.check_proof(proof, outside.SimplePolicy([], policy.witnesses, 0), leaf)
    # The project's own verifier agrees under the same policy file.
    report = verify_bundle_bytes(zipped(files), BundleTrust(load_policy(log.policy)))
    assert report.ok, report.lines()
    assert sorted(report.witnesses) == ["w1", "w2"]


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()
