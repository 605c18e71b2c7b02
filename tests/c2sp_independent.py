"""An outside verifier, written from the C2SP specifications and docs/audit.md alone.

It shares no code with bewijsketen (it imports nothing from domain, projections or api) so
that a test passing with it shows an inspector could check the log with their own tools:
signed notes and verifier keys (signed-note), checkpoints (tlog-checkpoint), Ed25519
cosignatures (tlog-cosignature), proofs (tlog-proof), trust policies (tlog-policy), and the
RFC 6962 / RFC 9162 Merkle hashing, plus the leaf encoding of docs/audit.md.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Rejected(Exception):
    pass


def b64decode(text: str) -> bytes:
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode() != text:
        raise Rejected(f"non-canonical base64 {text!r}")
    return data


@dataclass(frozen=True)
class Key:
    name: str
    key_hash: int
    algorithm: int
    public: bytes


def parse_verifier_key(vkey: str) -> Key:
    name, rest = vkey.split("+", 1)
    hash_hex, encoded = rest.split("+", 1)
    raw = b64decode(encoded)
    key = Key(name, int(hash_hex, 16), raw[0], raw[1:])
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if int.from_bytes(expected, "big") != key.key_hash or len(hash_hex) != 8:
        raise Rejected(f"verifier key hash mismatch for {name}")
    return key


@dataclass(frozen=True)
class SignatureLine:
    name: str
    key_hash: int
    blob: bytes


def split_note(note: str) -> tuple[str, list[SignatureLine]]:
    if not note.endswith("\n"):
        raise Rejected("a note ends in a newline")
    cut = note.rindex("\n\n")
    text, signature_block = note[: cut + 1], note[cut + 2 :]
    signatures = []
    for line in signature_block.splitlines():
        if not line.startswith("\u2014 "):
            raise Rejected(f"bad signature line {line!r}")
        name, encoded = line[2:].split(" ")
        blob = b64decode(encoded)
        signatures.append(SignatureLine(name, int.from_bytes(blob[:4], "big"), blob[4:]))
    return text, signatures


def _ed25519(public: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


@dataclass(frozen=True)
class Tree:
    origin: str
    size: int
    root: bytes


def open_checkpoint(note: str, log: Key) -> tuple[Tree, str, list[SignatureLine]]:
    """Checks the log's signature (type 0x01) and returns the tree head."""
    text, signatures = split_note(note)
    lines = text.splitlines()
    origin, size, root = lines[0], lines[1], lines[2]
    if size != str(int(size)):
        raise Rejected("tree size has leading zeroes")
    if log.algorithm != 0x01 or log.name != origin:
        raise Rejected("the log key does not match the origin")
    ours = [s for s in signatures if s.name == log.name and s.key_hash == log.key_hash]
    if not ours or not all(_ed25519(log.public, s.blob, text.encode()) for s in ours):
        raise Rejected("no valid signature of the log")
    return Tree(origin, int(size), b64decode(root)), text, signatures


def cosigned_by(text: str, signatures: list[SignatureLine], witness: Key) -> int | None:
    """The timestamp of a valid Ed25519 cosignature (type 0x04) by `witness`, if any."""
    if witness.algorithm != 0x04:
        raise Rejected("a witness key has type 0x04")
    for s in signatures:
        if s.name != witness.name or s.key_hash != witness.key_hash or len(s.blob) != 72:
            continue
        (timestamp,) = struct.unpack(">Q", s.blob[:8])
        message = f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()
        if _ed25519(witness.public, s.blob[8:], message):
            return int(timestamp)
    return None


@dataclass
class SimplePolicy:
    logs: list[Key]
    witnesses: dict[str, Key]
    quorum: int


def read_policy(text: str) -> SimplePolicy:
    """Logs, witnesses and a quorum that is `none`, one witness or a flat `group k …`."""
    logs, witnesses, groups = [], {}, {}
    quorum = 0
    for raw in text.splitlines():
        words = raw.split()
        if not words or words[0].startswith("#"):
            continue
        if words[0] == "log":
            logs.append(parse_verifier_key(words[1]))
        elif words[0] == "witness":
            witnesses[words[1]] = parse_verifier_key(words[2])
        elif words[0] == "group":
            k = {"all": len(words) - 3, "any": 1}.get(words[2])
            groups[words[1]] = k if k is not None else int(words[2])
        elif words[0] == "quorum":
            name = words[1]
            quorum = 0 if name == "none" else groups.get(name, 1)
    return SimplePolicy(logs, witnesses, quorum)


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2, written out again."""
    if index >= size:
        raise Rejected("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Rejected("path too long")
        if fn % 2 == 1 or fn == sn:
            r = node(p, r)
            while fn % 2 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Rejected("path too short")
    return r


def leaf_hash_of(
    position: int, aggregate_id: bytes, version: int, topic: str, state: bytes
) -> bytes:
    """docs/audit.md, "Leaves": every stored column, big-endian, then SHA-256(0x00 ‖ leaf)."""
    topic_bytes = topic.encode("utf-8")
    leaf = (
        bytes([1])
        + position.to_bytes(8, "big")
        + bytes([len(aggregate_id)])
        + aggregate_id
        + version.to_bytes(8, "big")
        + len(topic_bytes).to_bytes(4, "big")
        + topic_bytes
        + len(state).to_bytes(4, "big")
        + state
    )
    return hashlib.sha256(b"\x00" + leaf).digest()


@dataclass(frozen=True)
class ProofFile:
    index: int
    path: list[bytes]
    checkpoint: str


def read_proof(text: str) -> ProofFile:
    head, checkpoint = text.split("\n\n", 1)
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise Rejected("not a tlog-proof")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    if not rest[0].startswith("index "):
        raise Rejected("no index line")
    return ProofFile(int(rest[0][6:]), [b64decode(h) for h in rest[1:]], checkpoint)


def check_proof(text: str, policy: SimplePolicy, leaf: bytes) -> tuple[Tree, list[str]]:
    """tlog-proof verification: log signature, the quorum of cosignatures, the inclusion."""
    proof = read_proof(text)
    tree = None
    for log in policy.logs:
        try:
            tree, body, signatures = open_checkpoint(proof.checkpoint, log)
            break
        except Rejected:
            continue
    if tree is None:
        raise Rejected("the checkpoint is not signed by a log of the policy")
    cosigners = [n for n, w in policy.witnesses.items() if cosigned_by(body, signatures, w)]
    if len(cosigners) < policy.quorum:
        raise Rejected(f"only {cosigners} cosigned; the quorum is {policy.quorum}")
    if root_from_path(proof.index, tree.size, leaf, proof.path) != tree.root:
        raise Rejected("the inclusion proof does not lead to the signed root")
    return tree, cosigners
