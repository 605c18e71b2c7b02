"""Checkpoints (signed tree heads): the signed text, its JSON form and its verification.

The signature is Ed25519 over the UTF-8 bytes of this note (each line ends with a newline):

    bewijsketen audit checkpoint v1
    origin: <name of the log>
    tree_size: <decimal>
    root_hash: <64 lowercase hex digits>
    issued_at: <UTC time, YYYY-MM-DDTHH:MM:SS.ffffffZ>

Pure: the offline bundle verifier uses it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from projections.audit.keys import (
    SigningKeyError,
    key_id,
    public_from_raw,
    raw_public,
    verify_signature,
)

NOTE_HEADER = "bewijsketen audit checkpoint v1"
FORMAT = "bewijsketen-checkpoint/1"


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def note_text(origin: str, tree_size: int, root_hash: bytes, issued_at: str) -> str:
    return (
        f"{NOTE_HEADER}\norigin: {origin}\ntree_size: {tree_size}\n"
        f"root_hash: {root_hash.hex()}\nissued_at: {issued_at}\n"
    )


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes
    issued_at: str
    key_id: str
    signature: bytes

    @property
    def note(self) -> str:
        return note_text(self.origin, self.tree_size, self.root_hash, self.issued_at)

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        return key_id(public_key) == self.key_id and verify_signature(
            public_key, self.signature, self.note.encode()
        )

    def to_json(self, public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "issued_at": self.issued_at,
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
            "note": self.note,
        }
        if public_key is not None:
            data["public_key"] = base64.b64encode(raw_public(public_key)).decode()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        try:
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
            checkpoint = cls(
                origin=str(data["origin"]),
                tree_size=int(data["tree_size"]),
                root_hash=bytes.fromhex(str(data["root_hash"])),
                issued_at=str(data["issued_at"]),
                key_id=str(data["key_id"]),
                signature=base64.b64decode(str(data["signature"]), validate=True),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a checkpoint: {exc}") from None
        if "note" in data and data["note"] != checkpoint.note:
            raise ValueError("the checkpoint's note does not match its fields")
        if len(checkpoint.root_hash) != 32 or checkpoint.tree_size < 0:
            raise ValueError("not a checkpoint: bad root hash or tree size")
        return checkpoint


def sign(
    private_key: Ed25519PrivateKey,
    origin: str,
    tree_size: int,
    root_hash: bytes,
    issued_at: datetime | None = None,
) -> Checkpoint:
    moment = format_time(issued_at or datetime.now(UTC))
    note = note_text(origin, tree_size, root_hash, moment)
    public = private_key.public_key()
    return Checkpoint(
        origin, tree_size, root_hash, moment, key_id(public), private_key.sign(note.encode())
    )


@dataclass(frozen=True)
class ExternalCheckpoint:
    """A checkpoint file kept outside the system, with the public key it was signed with."""

    checkpoint: Checkpoint
    public_key: Ed25519PublicKey
    source: str


def dump_external(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> str:
    return json.dumps(checkpoint.to_json(public_key), indent=2, sort_keys=True) + "\n"


def load_external(text: str, source: str) -> ExternalCheckpoint:
    """Parses an exported checkpoint; raises ValueError with a message naming the file."""
    try:
        data = json.loads(text)
        checkpoint = Checkpoint.from_json(data)
        public_key = public_from_raw(base64.b64decode(str(data["public_key"]), validate=True))
    except (ValueError, KeyError, TypeError, SigningKeyError) as exc:
        raise ValueError(f"{source}: {exc}") from None
    if not checkpoint.verify(public_key):
        raise ValueError(f"{source}: the signature does not verify with the key in the file")
    return ExternalCheckpoint(checkpoint, public_key, source)
