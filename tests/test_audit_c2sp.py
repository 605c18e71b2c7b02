"""The C2SP texts as the project writes and reads them: signed notes, verifier keys,
checkpoints, cosignatures, tlog-proof, tlog-policy, and the witness's add-checkpoint rules
(every status tlog-witness prescribes). Cross-checked with tests/c2sp_independent.py."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from api.cli.witness import witness_app
from projections.audit.checkpoint import (
    Checkpoint,
    from_note,
    legacy_note_text,
    load_external,
    log_verifier,
    sign,
)
from projections.audit.keys import key_id as legacy_key_id
from projections.audit.merkle import EMPTY_ROOT, ListSource, consistency_proof, leaf_hash, root_of
from projections.audit.note import (
    COSIGNATURE_V1,
    NoteError,
    NoteSigner,
    parse_note,
    parse_vkey,
    sign_note,
)
from projections.audit.policy import PolicyError, parse_policy
from projections.audit.tlog import AddCheckpoint, TlogProof, parse_proof
from projections.audit.witness import SIZE_TYPE, Witness, origin_hash
from tests import c2sp_independent as outside

ORIGIN = "bewijsketen.test/audit"


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def test_vkeys_and_key_ids_follow_signed_note() -> None:
    key = Ed25519PrivateKey.generate()
    verifier = log_verifier(ORIGIN, key.public_key())
    raw = key.public_key().public_bytes_raw()
    expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + raw).digest()[:4]
    assert verifier.key_id == int.from_bytes(expected, "big")
    typed = base64.b64encode(bytes([1]) + raw).decode()
    assert verifier.vkey == f"{ORIGIN}+{expected.hex()}+{typed}"
    assert parse_vkey(verifier.vkey) == verifier
    assert outside.parse_verifier_key(verifier.vkey).public == raw
    for bad in (
        "no-plus-signs",
        f"{ORIGIN}+00000000+{typed}",  # wrong id
        f"{ORIGIN}+{expected.hex().upper()}+{typed}",
        f"{ORIGIN}+{expected.hex()}+{base64.b64encode(bytes([9]) + raw).decode()}",
        f"with space+{expected.hex()}+{typed}",
    ):
        with pytest.raises(NoteError):
            parse_vkey(bad)


def test_a_checkpoint_is_a_signed_note_any_verifier_reads() -> None:
    key = Ed25519PrivateKey.generate()
    root = root_of(leaves(5))
    checkpoint = sign(key, ORIGIN, 5, root)
    lines = checkpoint.note.split("\n")
    assert lines[:3] == [ORIGIN, "5", base64.b64encode(root).decode()]
    assert lines[3].startswith("issued-at ") and lines[4] == "" and lines[5].startswith("— ")
    assert checkpoint.signed_by(key.public_key())
    assert not checkpoint.signed_by(Ed25519PrivateKey.generate().public_key())
    assert from_note(checkpoint.note) == checkpoint
    tree, _, _ = outside.open_checkpoint(
        checkpoint.note, outside.parse_verifier_key(log_verifier(ORIGIN, key.public_key()).vkey)
    )
    assert (tree.origin, tree.size, tree.root) == (ORIGIN, 5, root)
    for bad in (
        checkpoint.note.replace("\n5\n", "\n05\n", 1),  # a leading zero
        checkpoint.note.replace("\n\n", "\n", 1),  # no blank line
        checkpoint.note.replace(lines[3], "", 1),  # an empty extension line
        checkpoint.note[:-1],  # no final newline
        checkpoint.note.replace("issued-at", "issued\tat", 1),  # a control character
    ):
        with pytest.raises(ValueError):
            from_note(bad)


def test_checkpoints_of_the_first_format_still_verify(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    root = root_of(leaves(3))
    issued = "2026-01-05T10:00:00.000000Z"
    note = legacy_note_text("bewijsketen", 3, root, issued)
    legacy = Checkpoint(
        "bewijsketen",
        3,
        root,
        issued,
        legacy_key_id(key.public_key()),
        key.sign(note.encode()),
        legacy=True,
    )
    assert legacy.signed_by(key.public_key())
    assert Checkpoint.from_json(legacy.to_json()) == legacy
    held = tmp_path / "anchor.json"
    held.write_text(
        '{"format": "bewijsketen-checkpoint/1", "origin": "bewijsketen", "tree_size": 3, '
        f'"root_hash": "{root.hex()}", "issued_at": "{issued}", '
        f'"key_id": "{legacy.key_id}", '
        f'"signature": "{base64.b64encode(legacy.signature).decode()}", '
        f'"public_key": "{base64.b64encode(key.public_key().public_bytes_raw()).decode()}"}}'
    )
    loaded = load_external(held.read_text(), str(held))
    assert loaded.checkpoint == legacy and loaded.public_key is not None
    forged = held.read_text().replace(root.hex(), "00" * 32)
    with pytest.raises(ValueError, match="does not verify"):
        load_external(forged, "forged.json")


def test_a_tlog_proof_round_trips_and_is_strict() -> None:
    key = Ed25519PrivateKey.generate()
    hashed = leaves(7)
    checkpoint = sign(key, ORIGIN, 7, root_of(hashed))
    proof = TlogProof(3, (hashed[2], hashed[0]), checkpoint.note)
    text = proof.text()
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 3\n")
    assert parse_proof(text) == proof
    assert outside.read_proof(text).index == 3
    with pytest.raises(NoteError, match="line 1"):
        parse_proof(text.replace("@v1", "@v2", 1))
    with pytest.raises(NoteError, match="line 2"):
        parse_proof(text.replace("index 3", "index 03", 1))
    with pytest.raises(NoteError, match="line 3"):
        parse_proof(text.replace(base64.b64encode(hashed[2]).decode(), "AAAA", 1))


def test_policies_are_parsed_strictly() -> None:
    log = log_verifier(ORIGIN, Ed25519PrivateKey.generate().public_key()).vkey
    w = [
        NoteSigner(f"w{i}.test", COSIGNATURE_V1, Ed25519PrivateKey.generate()).verifier.vkey
        for i in range(3)
    ]
    policy = parse_policy(
        f"# a comment\nlog {log}\n\twitness a {w[0]} http://127.0.0.1:1/\nwitness b {w[1]}\n"
        f"witness c {w[2]}\ngroup two 2 a b c\ngroup top any two\nquorum top\n"
    )
    assert policy.witnesses["a"].url == "http://127.0.0.1:1"
    assert policy.satisfied(["a", "c"]) and not policy.satisfied(["b"])
    for text, line in (
        (f"log {log}\n", "none found"),
        (f"log {log}\nlog {log}\nquorum none\n", "line 2"),
        (f"witness a {log}\nquorum a\n", "line 1"),  # a log key is no cosigner key
        (f"log {w[0]}\nquorum none\n", "line 1"),
        (f"witness a {w[0]}\ngroup g 2 a\nquorum g\n", "line 2"),
        (f"witness a {w[0]}\nquorum b\n", "line 2"),
        ("quorum none\nquorum none\n", "line 2"),
        (f"log {log}\nquorum none\x01\n", "line 2"),
        ("frobnicate\nquorum none\n", "line 1"),
    ):
        with pytest.raises(PolicyError, match=line):
            parse_policy(text)


# ---- the witness's rules (tlog-witness add-checkpoint)


@pytest.fixture
def witness(tmp_path: Path) -> tuple[TestClient, Ed25519PrivateKey, NoteSigner]:
    log_key = Ed25519PrivateKey.generate()
    signer = NoteSigner("witness.test/w", COSIGNATURE_V1, Ed25519PrivateKey.generate())
    core = Witness(signer, [log_verifier(ORIGIN, log_key.public_key())], tmp_path / "w.sqlite")
    return TestClient(witness_app(core)), log_key, signer


def submit(client: TestClient, old: int, proof: list[bytes], note: str) -> tuple[int, str, str]:
    body = AddCheckpoint(old, tuple(proof), note).text().encode()
    response = client.post("/add-checkpoint", content=body)
    return response.status_code, response.headers.get("content-type", ""), response.text


def test_the_witness_cosigns_only_what_extends_its_view(
    witness: tuple[TestClient, Ed25519PrivateKey, NoteSigner],
) -> None:
    client, key, signer = witness
    hashed = leaves(40)
    first = sign(key, ORIGIN, 10, root_of(hashed[:10]))
    status, _, lines = submit(client, 0, [], first.note)
    assert status == 200 and lines.startswith("— witness.test/w ")
    note = parse_note(first.note + lines)
    body, signatures = outside.split_note(note.signed_text())
    assert outside.cosigned_by(body, signatures, outside.parse_verifier_key(signer.verifier.vkey))

    second = sign(key, ORIGIN, 25, root_of(hashed[:25]))
    good = consistency_proof(10, 25, ListSource(hashed))
    status, kind, text = submit(client, 0, [], second.note)
    assert (status, kind.split(";")[0], text) == (409, SIZE_TYPE, "10\n")
    assert submit(client, 10, good[:-1], second.note)[0] == 422  # a proof that fails
    assert submit(client, 10, good, second.note)[0] == 200
    held = client.get(f"/{origin_hash(ORIGIN)}/checkpoint")
    assert held.status_code == 200 and held.text.splitlines()[1] == "25"

    # Rollback: an older tree is refused whatever old size the log claims.
    assert submit(client, 25, [], first.note)[0] == 400
    assert submit(client, 10, [], first.note)[0] == 409
    # A fork at the same size, signed by the log's own key.
    fork = sign(key, ORIGIN, 25, root_of([*leaves(24), leaf_hash(b"x")]))
    assert submit(client, 25, [], fork.note)[0] == 422
    # The wrong key, a broken signature, an unknown log, an empty tree with a root.
    stranger = sign(Ed25519PrivateKey.generate(), ORIGIN, 30, root_of(hashed[:30]))
    assert submit(client, 25, [], stranger.note)[0] == 403
    bad = second.note.replace(second.note.split("\n")[-2][-8:], "AAAAAAA=")
    assert submit(client, 25, [], bad)[0] in (400, 403)
    other = sign(key, "other.test/log", 3, root_of(hashed[:3]))
    assert submit(client, 0, [], other.note)[0] == 404
    empty = sign(key, ORIGIN, 0, b"\x01" * 32)
    assert submit(client, 0, [], empty.note)[0] == 422
    assert EMPTY_ROOT != b"\x01" * 32
    assert client.post("/add-checkpoint", content=b"not a request").status_code == 400
    assert client.get(f"/{origin_hash('other.test/log')}/checkpoint").status_code == 404


def test_the_witness_learns_an_announced_key(
    witness: tuple[TestClient, Ed25519PrivateKey, NoteSigner],
) -> None:
    client, key, _ = witness
    hashed = leaves(20)
    assert submit(client, 0, [], sign(key, ORIGIN, 10, root_of(hashed[:10])).note)[0] == 200
    successor = Ed25519PrivateKey.generate()
    vkey = log_verifier(ORIGIN, successor.public_key()).vkey
    unannounced = sign(successor, ORIGIN, 10, root_of(hashed[:10]))
    assert submit(client, 10, [], unannounced.note)[0] == 403
    announcing = sign(key, ORIGIN, 10, root_of(hashed[:10]), next_key=vkey)
    assert submit(client, 10, [], announcing.note)[0] == 200
    later = sign(successor, ORIGIN, 20, root_of(hashed))
    proof = consistency_proof(10, 20, ListSource(hashed))
    assert submit(client, 10, proof, later.note)[0] == 200


def test_sign_note_rejects_a_text_without_final_newline() -> None:
    signer = NoteSigner(ORIGIN, 0x01, Ed25519PrivateKey.generate())
    assert sign_note("a\n", signer).startswith("a\n\n— ")
    with pytest.raises(NoteError):
        sign_note("a", signer)
