"""The C2SP transparency-log texts: checkpoint bodies, cosignatures, proofs, witness requests.

    checkpoint (c2sp.org/tlog-checkpoint)   origin, decimal tree size, base64 root, extensions
    cosignature (c2sp.org/tlog-cosignature) Ed25519 over "cosignature/v1\\ntime T\\n" ‖ body
    proof (c2sp.org/tlog-proof)             "c2sp.org/tlog-proof@v1", index, path, checkpoint
    add-checkpoint (c2sp.org/tlog-witness)  "old N", consistency path, blank line, checkpoint

Every parser is strict: anything outside the grammar raises NoteError naming the line.
Pure: no database, no domain.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from projections.audit.note import (
    COSIGNATURE_V1,
    Note,
    NoteError,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    b64,
    check_text,
    parse_note,
    unb64,
)

PROOF_HEADER = "c2sp.org/tlog-proof@v1"
COSIGNATURE_HEADER = "cosignature/v1"
MAX_PROOF_LINES = 63
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_U64 = struct.Struct(">Q")


def decimal(text: str, what: str) -> int:
    if not _DECIMAL.fullmatch(text):
        raise NoteError(f"{what} is a decimal number without leading zeros: {text[:30]!r}")
    value = int(text)
    if value >= 2**63:
        raise NoteError(f"{what} is too large")
    return value


def hash_line(text: str, what: str) -> bytes:
    value = unb64(text)
    if len(value) != 32:
        raise NoteError(f"{what} is a base64 SHA-256 hash (32 bytes)")
    return value


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    tree_size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.tree_size), b64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    def extension(self, keyword: str) -> str | None:
        """The value of the first extension line `keyword value`, if any."""
        prefix = keyword + " "
        return next((e[len(prefix) :] for e in self.extensions if e.startswith(prefix)), None)


def parse_body(text: str) -> CheckpointBody:
    check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("a checkpoint has an origin, a tree size and a root hash line")
    origin, size, root, *extensions = lines
    if not origin:
        raise NoteError("checkpoint line 1: the origin is empty")
    if any(not e for e in extensions):
        raise NoteError("a checkpoint's extension lines must not be empty")
    return CheckpointBody(
        origin,
        decimal(size, "checkpoint line 2 (tree size)"),
        hash_line(root, "checkpoint line 3 (root hash)"),
        tuple(extensions),
    )


# ---- cosignatures


def cosigned_message(body_text: str, timestamp: int) -> bytes:
    return f"{COSIGNATURE_HEADER}\ntime {timestamp}\n{body_text}".encode()


def cosign(signer: NoteSigner, body_text: str, timestamp: int) -> str:
    """A witness's signature line over a checkpoint body, at `timestamp` (POSIX seconds)."""
    if signer.kind != COSIGNATURE_V1:
        raise NoteError("a cosigner key has type 0x04")
    signature = signer.private.sign(cosigned_message(body_text, timestamp))
    return signer.line(_U64.pack(timestamp) + signature)


def cosignature_time(signature: NoteSignature) -> int:
    if len(signature.payload) != 8 + 64:
        raise NoteError("an Ed25519 cosignature holds a timestamp and a 64-byte signature")
    value = int(_U64.unpack(signature.payload[:8])[0])
    if value >= 2**63:
        raise NoteError("a cosignature's timestamp exceeds 2^63 - 1")
    return value


def check_cosignature(verifier: NoteVerifier, note: Note, signature: NoteSignature) -> bool:
    if not signature.by(verifier) or verifier.kind != COSIGNATURE_V1:
        return False
    try:
        timestamp = cosignature_time(signature)
    except NoteError:
        return False
    return verifier.check(cosigned_message(note.text, timestamp), signature.payload[8:])


# ---- tlog-proof


@dataclass(frozen=True)
class TlogProof:
    index: int
    path: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None

    def text(self) -> str:
        lines = [PROOF_HEADER]
        if self.extra is not None:
            lines.append(f"extra {b64(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(b64(h) for h in self.path)
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint


def parse_proof(text: str) -> TlogProof:
    """Raises NoteError with the line number of the first line outside the grammar."""
    check_text(text)
    blank = text.find("\n\n")
    if blank < 0:
        raise NoteError("a tlog proof has a blank line before its checkpoint")
    head = text[:blank].split("\n")
    checkpoint = text[blank + 2 :]
    if head[0] != PROOF_HEADER:
        raise NoteError(f"line 1 must be {PROOF_HEADER!r}")
    n = 1
    extra = None
    if len(head) > n and head[n].startswith("extra "):
        extra = unb64(head[n][6:])
        n += 1
    if len(head) <= n or not head[n].startswith("index "):
        raise NoteError(f"line {n + 1} must be 'index N'")
    index = decimal(head[n][6:], f"line {n + 1} (index)")
    path = tuple(hash_line(line, f"line {n + 2 + i}") for i, line in enumerate(head[n + 1 :]))
    parse_note(checkpoint)
    return TlogProof(index, path, checkpoint, extra)


# ---- add-checkpoint requests (tlog-witness)


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: str

    def text(self) -> str:
        lines = [f"old {self.old_size}", *(b64(h) for h in self.proof)]
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint


def parse_add_checkpoint(data: bytes) -> AddCheckpoint:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("the request is not UTF-8") from None
    blank = text.find("\n\n")
    if blank < 0:
        raise NoteError("the request has a blank line before the checkpoint")
    head = text[:blank].split("\n")
    if not head[0].startswith("old "):
        raise NoteError("line 1 must be 'old N'")
    old = decimal(head[0][4:], "the old size")
    if len(head) - 1 > MAX_PROOF_LINES:
        raise NoteError(f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = tuple(hash_line(line, f"line {i + 2}") for i, line in enumerate(head[1:]))
    return AddCheckpoint(old, proof, text[blank + 2 :])
