"""Checkpoints (signed tree heads): C2SP signed notes, and the reader for the first format.

A checkpoint is a c2sp.org/tlog-checkpoint signed note: the origin, the decimal tree size, the
base64 root hash, then extension lines of this log, each `keyword value`:

    bewijsketen.example.nl/audit
    1000445
    X6A47FgF9H… (base64, 32 bytes)
    issued-at 2026-11-23T10:57:47.123456Z
    next-key <vkey>                       (only when the log announces its next key)

    — bewijsketen.example.nl/audit <base64 of key id ‖ Ed25519 signature>
    — witness.example/w1 <base64 of key id ‖ timestamp ‖ signature>      (cosignatures)

The log's key name is the origin; its key id follows signed-note (type 0x01). Checkpoints
written before (format `bewijsketen-checkpoint/1`, an Ed25519 signature over the note
"bewijsketen audit checkpoint v1 / origin: / tree_size: / root_hash: / issued_at:") are still
read and verified: `legacy` is true for them. Pure: the offline bundle verifier uses it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from projections.audit import keys as legacy_keys
from projections.audit.keys import SigningKeyError, public_from_raw, raw_public, verify_signature
from projections.audit.note import (
    ED25519,
    NoteError,
    NoteSigner,
    NoteVerifier,
    parse_note,
    parse_vkey,
)
from projections.audit.tlog import CheckpointBody, parse_body

FORMAT = "c2sp.org/tlog-checkpoint"
LEGACY_FORMAT = "bewijsketen-checkpoint/1"
LEGACY_HEADER = "bewijsketen audit checkpoint v1"
ISSUED_AT = "issued-at"
NEXT_KEY = "next-key"
# Kept for callers of the first format's names.
NOTE_HEADER = LEGACY_HEADER


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def legacy_note_text(origin: str, tree_size: int, root_hash: bytes, issued_at: str) -> str:
    return (
        f"{LEGACY_HEADER}\norigin: {origin}\ntree_size: {tree_size}\n"
        f"root_hash: {root_hash.hex()}\nissued_at: {issued_at}\n"
    )


def log_verifier(origin: str, public_key: Ed25519PublicKey) -> NoteVerifier:
    """The log's verifier key: named by the origin, signature type 0x01."""
    return NoteVerifier(origin, ED25519, raw_public(public_key))


def log_signer(origin: str, private_key: Ed25519PrivateKey) -> NoteSigner:
    return NoteSigner(origin, ED25519, private_key)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    issued_at: str
    # C2SP: the signed-note key id, 8 hex digits; first format: SHA-256 of the raw key, hex.
    key_id: str
    signature: bytes
    extensions: tuple[str, ...] = ()
    legacy: bool = False
    # Witnesses' signature lines, verbatim (each ends with a newline).
    cosignatures: tuple[str, ...] = ()

    # ---- the texts

    @property
    def body(self) -> CheckpointBody:
        return CheckpointBody(self.origin, self.tree_size, self.root_hash, self.extensions)

    @property
    def signed_text(self) -> str:
        """Exactly the bytes (UTF-8) the log's signature covers."""
        if self.legacy:
            return legacy_note_text(self.origin, self.tree_size, self.root_hash, self.issued_at)
        return self.body.text()

    @property
    def log_line(self) -> str:
        raw = int(self.key_id, 16).to_bytes(4, "big") + self.signature
        return f"\u2014 {self.origin} {base64.b64encode(raw).decode()}\n"

    @property
    def note(self) -> str:
        """The whole signed note: body, blank line, the log's signature, the cosignatures."""
        if self.legacy:
            return self.signed_text
        return self.signed_text + "\n" + self.log_line + "".join(self.cosignatures)

    @property
    def next_key(self) -> str | None:
        """The vkey this checkpoint announces as the log's next key (a rotation), if any."""
        return None if self.legacy else self.body.extension(NEXT_KEY)

    @property
    def witness_names(self) -> list[str]:
        """The names of the witnesses whose cosignatures it carries (each line `— name sig`)."""
        return [line.split()[1] for line in self.cosignatures if len(line.split()) > 2]

    def with_cosignatures(self, lines: tuple[str, ...]) -> Checkpoint:
        return replace(self, cosignatures=lines)

    # ---- verification

    def signed_by(self, public_key: Ed25519PublicKey) -> bool:
        """The log's signature verifies under this key (key id and name checked too)."""
        if self.legacy:
            return legacy_keys.key_id(public_key) == self.key_id and verify_signature(
                public_key, self.signature, self.signed_text.encode()
            )
        verifier = log_verifier(self.origin, public_key)
        return verifier.key_hex == self.key_id and verifier.check(
            self.signed_text.encode(), self.signature
        )

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        return self.signed_by(public_key)

    # ---- JSON form (API responses, and the first format's files)

    def to_json(self, public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": LEGACY_FORMAT if self.legacy else FORMAT,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "issued_at": self.issued_at,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
            "note": self.note,
        }
        if not self.legacy:
            data["cosignatures"] = len(self.cosignatures)
            data["witnesses"] = self.witness_names
        if public_key is not None:
            data["public_key"] = base64.b64encode(raw_public(public_key)).decode()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        if not isinstance(data, dict):
            raise ValueError("not a checkpoint: not a JSON object")
        if data.get("format") == FORMAT:
            checkpoint = from_note(str(data.get("note", "")))
            if data.get("tree_size", checkpoint.tree_size) != checkpoint.tree_size or data.get(
                "root_hash", checkpoint.root_hash.hex()
            ) != (checkpoint.root_hash.hex()):
                raise ValueError("the checkpoint's fields do not match its note")
            return checkpoint
        return _legacy_from_json(data)


def _legacy_from_json(data: dict[str, Any]) -> Checkpoint:
    try:
        if data.get("format") != LEGACY_FORMAT:
            raise ValueError(
                f"format is {data.get('format')!r}, expected {FORMAT!r} or {LEGACY_FORMAT!r}"
            )
        checkpoint = Checkpoint(
            origin=str(data["origin"]),
            tree_size=int(data["tree_size"]),
            root_hash=bytes.fromhex(str(data["root_hash"])),
            issued_at=str(data["issued_at"]),
            key_id=str(data["key_id"]),
            signature=base64.b64decode(str(data["signature"]), validate=True),
            legacy=True,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a checkpoint: {exc}") from None
    if "note" in data and data["note"] != checkpoint.signed_text:
        raise ValueError("the checkpoint's note does not match its fields")
    if len(checkpoint.root_hash) != 32 or checkpoint.tree_size < 0:
        raise ValueError("not a checkpoint: bad root hash or tree size")
    return checkpoint


def from_note(text: str) -> Checkpoint:
    """Parses a C2SP checkpoint note. The log's signature is the first line named by the origin
    with a 64-byte signature; every other line is kept as a cosignature. Raises ValueError."""
    try:
        note = parse_note(text)
        body = parse_body(note.text)
    except NoteError as exc:
        raise ValueError(f"not a checkpoint note: {exc}") from None
    own = next((s for s in note.signatures if s.name == body.origin and len(s.payload) == 64), None)
    if own is None:
        raise ValueError(f"the checkpoint carries no signature named by its origin {body.origin}")
    issued = body.extension(ISSUED_AT) or ""
    return Checkpoint(
        body.origin,
        body.tree_size,
        body.root_hash,
        issued,
        f"{own.key_id:08x}",
        own.payload,
        body.extensions,
        cosignatures=tuple(s.line for s in note.signatures if s is not own),
    )


def sign(
    private_key: Ed25519PrivateKey,
    origin: str,
    tree_size: int,
    root_hash: bytes,
    issued_at: datetime | None = None,
    next_key: str | None = None,
) -> Checkpoint:
    moment = format_time(issued_at or datetime.now(UTC))
    extensions = [f"{ISSUED_AT} {moment}"]
    if next_key is not None:
        parse_vkey(next_key)
        extensions.append(f"{NEXT_KEY} {next_key}")
    body = CheckpointBody(origin, tree_size, root_hash, tuple(extensions))
    signer = log_signer(origin, private_key)
    return Checkpoint(
        origin,
        tree_size,
        root_hash,
        moment,
        signer.verifier.key_hex,
        private_key.sign(body.text().encode()),
        body.extensions,
    )


@dataclass(frozen=True)
class ExternalCheckpoint:
    """A checkpoint kept outside the system; the first format's files carry their key."""

    checkpoint: Checkpoint
    public_key: Ed25519PublicKey | None
    source: str


def dump_external(checkpoint: Checkpoint, public_key: Ed25519PublicKey | None = None) -> str:
    """The signed note itself (C2SP), which any checkpoint tool reads."""
    if checkpoint.legacy:
        return json.dumps(checkpoint.to_json(public_key), indent=2, sort_keys=True) + "\n"
    return checkpoint.note


def load_external(text: str, source: str) -> ExternalCheckpoint:
    """Parses a held checkpoint: a C2SP note, or a first-format JSON file with its key."""
    if not text.lstrip().startswith("{"):
        try:
            return ExternalCheckpoint(from_note(text), None, source)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None
    try:
        data = json.loads(text)
        checkpoint = Checkpoint.from_json(data)
        public_key = (
            public_from_raw(base64.b64decode(str(data["public_key"]), validate=True))
            if "public_key" in data
            else None
        )
    except (ValueError, KeyError, TypeError, SigningKeyError) as exc:
        raise ValueError(f"{source}: {exc}") from None
    if public_key is not None and not checkpoint.signed_by(public_key):
        raise ValueError(f"{source}: the signature does not verify with the key in the file")
    return ExternalCheckpoint(checkpoint, public_key, source)
