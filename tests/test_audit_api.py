"""The audit and dossier endpoints, with the sealer running in the API process."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.schemas.dossier import DossierView
from api.settings import Settings
from domain.journey import Journey, setup_program
from domain.values import Role
from projections.audit.checkpoint import Checkpoint
from projections.audit.keys import key_id, private_pem
from projections.audit.merkle import verify_consistency, verify_inclusion
from tests.api_support import Api, api_settings, running_api

QUALITY = ("quality-1", Role.QUALITY)
INSPECTOR = ("inspector-1", Role.INSPECTOR)
COMMITTEE = ("committee-1", Role.COMMITTEE)


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> Ed25519PrivateKey:
    private = Ed25519PrivateKey.generate()
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_PRIVATE_KEY", private_pem(private).decode())
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_CHECKPOINT_EVERY", "25")
    return private


@pytest.fixture
def api(settings: Settings, key: Ed25519PrivateKey) -> Iterator[Api]:
    with running_api(api_settings(settings)) as api:
        yield api


def journey(api: Api, student: str = "student-1", code: str = "SD-AI") -> Journey:
    app = api.state.application
    walk = Journey(app, setup_program(app, code=code), student)
    walk.to_ratified_pass()
    return walk


def checkpoint_now(api: Api) -> Checkpoint:
    return Checkpoint.from_json(api.post("/audit/checkpoints", None, QUALITY).json())


def test_the_public_key_needs_no_token(api: Api, key: Ed25519PrivateKey) -> None:
    body = api.get("/audit/public-key", None).json()
    assert body["key_id"] == key_id(key.public_key())
    assert base64.b64decode(body["public_key"]) == key.public_key().public_bytes_raw()


def test_the_sealer_runs_in_the_api_and_reports_at_health(api: Api) -> None:
    walk = journey(api)
    head = api.state.application.recorder.max_notification_id()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        sealer = api.get("/health", QUALITY).json()["services"]["sealer"]
        if sealer["last_sealed_position"] == head:
            break
        time.sleep(0.05)
    assert sealer["running"] and sealer["last_sealed_position"] == head
    assert sealer["latest_checkpoint"] is not None
    assert walk.id


def test_proofs_verify_against_signed_checkpoints(api: Api, key: Ed25519PrivateKey) -> None:
    journey(api)
    first = checkpoint_now(api)
    journey(api, "student-2", code="OTHER")
    second = checkpoint_now(api)
    assert first.verify(key.public_key()) and second.verify(key.public_key())
    assert second.tree_size > first.tree_size
    listed = api.get("/audit/checkpoints", COMMITTEE).json()["items"]
    sizes = [c["tree_size"] for c in listed]
    assert sizes == sorted(sizes) and {first.tree_size, second.tree_size} <= set(sizes)
    assert api.get("/audit/checkpoints/latest", INSPECTOR).json()["tree_size"] == second.tree_size
    fetched = api.get(f"/audit/checkpoints/{first.tree_size}", INSPECTOR).json()
    assert Checkpoint.from_json(fetched) == first
    api.get("/audit/checkpoints/999999", INSPECTOR, 404)

    for position in (1, 7, api.state.application.recorder.max_notification_id()):
        proof = api.get("/audit/proofs/inclusion", QUALITY, params={"position": position}).json()
        assert proof["tree_size"] == second.tree_size
        assert verify_inclusion(
            proof["leaf_index"],
            second.tree_size,
            bytes.fromhex(proof["leaf_hash"]),
            [bytes.fromhex(p) for p in proof["path"]],
            second.root_hash,
        )
    old = api.get(
        "/audit/proofs/inclusion", QUALITY, params={"position": 3, "tree_size": first.tree_size}
    ).json()
    assert verify_inclusion(
        old["leaf_index"],
        first.tree_size,
        bytes.fromhex(old["leaf_hash"]),
        [bytes.fromhex(p) for p in old["path"]],
        first.root_hash,
    )
    consistency = api.get(
        "/audit/proofs/consistency",
        COMMITTEE,
        params={"first": first.tree_size, "second": second.tree_size},
    ).json()
    assert verify_consistency(
        first.tree_size,
        second.tree_size,
        first.root_hash,
        second.root_hash,
        [bytes.fromhex(p) for p in consistency["path"]],
    )
    api.get("/audit/proofs/inclusion", QUALITY, 404, params={"position": 10**9})


def test_verify_is_for_quality_and_inspector(api: Api) -> None:
    journey(api)
    checkpoint_now(api)
    for who in (QUALITY, INSPECTOR):
        report = api.get("/audit/verify", who).json()
        assert report["ok"] is True and report["events"] == report["sealed"] > 0
    api.get("/audit/verify", COMMITTEE, 403)
    api.get("/audit/verify", ("coach-1", Role.COACH), 403)
    api.get("/audit/verify", None, 401)


def test_the_dossier_with_proofs_and_who_may_read_it(api: Api) -> None:
    walk = journey(api)
    checkpoint = checkpoint_now(api)
    path = f"/trajectories/{walk.id}/dossier"
    dossier = api.get(path, COMMITTEE).json()
    # The answer is what the API document says it is, to the last field.
    DossierView.model_validate(dossier)
    steps = dossier["steps"]
    positions = [s["position"] for s in steps]
    assert positions == sorted(positions)
    assert steps[0]["event"] == "Registered" and steps[-1]["event"] == "DecisionRatified"
    assert all(s["who"] and s["at"] for s in steps)
    assert dossier["program"]["rules_applied"]["rubric"]["pass_level"] == "bekwaam"
    lo1 = dossier["outcomes"][0]
    assert len(lo1["evidence"]) == 2 and all(len(e["sha256"]) == 64 for e in lo1["evidence"])
    assert {f["source"] for f in lo1["feedback"]} == {"self", "coach"}
    assert [m["level"] for m in lo1["medium_stakes"]] == ["vakkundig", "bekwaam"]
    attempt = dossier["attempts"][0]
    assert [v["vote"] for v in attempt["votes"]] == ["ratify", "ratify"]
    assert attempt["decisions"][0]["decision"] == "ratified"
    assert dossier["audit"]["checkpoint"]["tree_size"] == checkpoint.tree_size
    assert dossier["audit"]["unproven_positions"] == []
    for step in steps:
        proof = step["proof"]
        assert verify_inclusion(
            proof["leaf_index"],
            checkpoint.tree_size,
            bytes.fromhex(step["leaf_hash"]),
            [bytes.fromhex(p) for p in proof["path"]],
            checkpoint.root_hash,
        )
    for who in (QUALITY, INSPECTOR, ("student-1", Role.STUDENT), ("coach-1", Role.COACH)):
        api.get(path, who, 200)
    api.get(path, ("student-2", Role.STUDENT), 404)
    api.get(path, ("coach-2", Role.COACH), 404)
    api.get(path, ("mentor-1", Role.MENTOR), 403)
    api.get(path, None, 401)
    api.get(path, COMMITTEE, 404, params={"attempt": 2})
    assert api.get(path, COMMITTEE, params={"attempt": 1}).json()["attempt"] == 1


def test_judgments_stay_sealed_in_the_dossier_until_all_have_judged(api: Api) -> None:
    app = api.state.application
    walk = Journey(app, setup_program(app), "student-1")
    walk.to_green_light()
    attempt = walk.request_high_stake()
    walk.assign(attempt)
    walk.judge(attempt, "assessor-1", "professional")
    dossier = api.get(f"/trajectories/{walk.id}/dossier", COMMITTEE).json()
    judged = [s for s in dossier["steps"] if s["event"] == "JudgmentSubmitted"]
    assert judged and judged[0]["data"].get("sealed") is True
    assert "levels" not in judged[0]["data"] and judged[0]["why"] is None
    assert all(j["sealed"] and j["level"] is None for j in dossier["outcomes"][0]["judgments"])
    assert "professional" not in str(dossier["attempts"])
    walk.judge(attempt, "assessor-2", "bekwaam")
    opened = api.get(f"/trajectories/{walk.id}/dossier", COMMITTEE).json()
    DossierView.model_validate(opened)
    assert {j["level"] for j in opened["outcomes"][0]["judgments"]} == {"professional", "bekwaam"}


def test_the_verifier_key_in_signed_note_format(api: Api, key: Ed25519PrivateKey) -> None:
    body = api.get("/audit/public-key", None).json()
    text = api.get("/audit/vkey", None).text.strip()
    assert text == body["vkey"]
    name, key_hex, encoded = text.split("+", 2)
    raw = base64.b64decode(encoded)
    assert name == body["origin"] and raw == b"\x01" + key.public_key().public_bytes_raw()
    digest = hashlib.sha256(name.encode() + b"\n" + raw).digest()
    assert key_hex == digest[:4].hex() == body["note_key_id"]
    checkpoint = checkpoint_now(api) if journey(api) else None
    assert checkpoint is not None and checkpoint.key_id == key_hex
    assert [k["vkey"] for k in api.get("/audit/public-key", None).json()["keys"]] == [text]


def test_leaves_let_a_client_recompute_every_dossier_step(api: Api) -> None:
    walk = journey(api)
    checkpoint = checkpoint_now(api)
    dossier = api.get(f"/trajectories/{walk.id}/dossier", ("student-1", Role.STUDENT)).json()
    for step in dossier["steps"]:
        leaf = api.get(f"/audit/leaves/{step['position']}", ("student-1", Role.STUDENT)).json()
        encoded = base64.b64decode(leaf["leaf"])
        state = base64.b64decode(leaf["state"])
        # The leaf, rebuilt from the stored bytes with the encoding of docs/audit.md.
        topic = leaf["topic"].encode()
        rebuilt = (
            b"\x01"
            + step["position"].to_bytes(8, "big")
            + b"\x10"
            + uuid.UUID(step["aggregate_id"]).bytes
            + step["version"].to_bytes(8, "big")
            + len(topic).to_bytes(4, "big")
            + topic
            + len(state).to_bytes(4, "big")
            + state
        )
        assert rebuilt == encoded
        hashed = hashlib.sha256(b"\x00" + encoded).digest()
        assert hashed.hex() == step["leaf_hash"] == leaf["leaf_hash"]
        assert leaf["matches_seal"] and leaf["event"] == step["event"]
        assert verify_inclusion(
            step["proof"]["leaf_index"],
            checkpoint.tree_size,
            hashed,
            [bytes.fromhex(p) for p in step["proof"]["path"]],
            checkpoint.root_hash,
        )


def test_who_may_read_a_leaf(api: Api) -> None:
    walk = journey(api)
    checkpoint_now(api)
    app = api.state.application
    own = [e for e in app.recorder.select_notifications(0, 1000) if e.originator_id == walk.id]
    program_event = next(
        e for e in app.recorder.select_notifications(0, 1000) if e.originator_id != walk.id
    )
    path = f"/audit/leaves/{own[-1].id}"
    for who in (("student-1", Role.STUDENT), ("coach-1", Role.COACH), QUALITY, INSPECTOR):
        api.get(path, who, 200)
    refused = api.get(path, ("student-2", Role.STUDENT), 404).json()
    assert refused["type"].endswith("/not-found")
    api.get(path, None, 401)
    for who in (("student-2", Role.STUDENT), ("mentor-1", Role.MENTOR), COMMITTEE):
        api.get(f"/audit/leaves/{program_event.id}", who, 200)
    api.get("/audit/leaves/999999", QUALITY, 404)
    api.get("/audit/leaves/0", QUALITY, 422)


def test_a_ratification_is_checkpointed_at_once(
    settings: Settings, key: Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Neither the count nor the clock would sign a checkpoint during this test.
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_CHECKPOINT_EVERY", "100000")
    monkeypatch.setenv("BEWIJSKETEN_AUDIT_CHECKPOINT_SECONDS", "3600")
    with running_api(api_settings(settings)) as api:
        app = api.state.application
        walk = Journey(app, setup_program(app), "student-1")
        walk.to_green_light()
        attempt = walk.request_high_stake()
        walk.assign(attempt)
        walk.judge(attempt, "assessor-1", "bekwaam")
        walk.judge(attempt, "assessor-2", "bekwaam")
        walk.conclude(attempt)
        deadline = time.monotonic() + 20
        while (
            api.state.application.recorder.max_notification_id()
            != (api.get("/health", QUALITY).json()["services"]["sealer"]["last_sealed_position"])
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        before = api.get("/audit/checkpoints", COMMITTEE).json()["items"]
        walk.votes(attempt)
        head = app.recorder.max_notification_id()
        while True:
            latest = api.get("/audit/checkpoints/latest", COMMITTEE, None)
            if latest.status_code == 200 and latest.json()["tree_size"] >= len(
                list(app.recorder.select_notifications(0, 10_000))
            ):
                break
            assert time.monotonic() < deadline, "no checkpoint after the ratification"
            time.sleep(0.05)
        dossier = api.get(f"/trajectories/{walk.id}/dossier", COMMITTEE).json()
        assert dossier["steps"][-1]["event"] == "DecisionRatified"
        assert dossier["steps"][-1]["position"] == head
        assert dossier["audit"]["unproven_positions"] == []
        assert len(api.get("/audit/checkpoints", COMMITTEE).json()["items"]) == len(before) + 1
