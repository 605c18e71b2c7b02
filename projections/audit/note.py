"""Signed notes (c2sp.org/signed-note): text, a blank line, one signature line per key.

    <text ending in a newline>
    <blank line>
    — <key name> base64(uint32 key id, big-endian ‖ signature)

Keys are Ed25519. The key id is the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public
key), with type 0x01 for a log's note signature and 0x04 for a witness's timestamped
cosignature (c2sp.org/tlog-cosignature). A verifier key ("vkey") is
`name+hex(key id)+base64(type ‖ public key)`. Base64 is the standard alphabet with padding
(RFC 4648 §4). Pure: no database, no domain.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from projections.audit.keys import raw_public

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
DASH = "\u2014"
# signed-note asks verifiers to bound the number of signatures, and to accept at least 16.
MAX_SIGNATURES = 64
_U32 = struct.Struct(">I")


class NoteError(ValueError):
    """The text is not a well-formed signed note, or a key is not well-formed."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Strict standard base64: padding required, no other characters, canonical."""
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError(f"not standard base64: {text[:40]!r}") from None
    if b64(data) != text:
        raise NoteError(f"not canonical base64: {text[:40]!r}")
    return data


def check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name must be non-empty without spaces or '+': {name!r}")
    if any(ord(c) < 0x20 for c in name):
        raise NoteError(f"a key name must not contain control characters: {name!r}")
    return name


def key_id(name: str, kind: int, public: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public).digest()
    return int(_U32.unpack(digest[:4])[0])


@dataclass(frozen=True)
class NoteVerifier:
    """A public key with the name and type it signs under."""

    name: str
    kind: int
    public: bytes

    def __post_init__(self) -> None:
        check_name(self.name)
        if len(self.public) != 32:
            raise NoteError("an Ed25519 public key has 32 bytes")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.kind, self.public)

    @property
    def key_hex(self) -> str:
        return f"{self.key_id:08x}"

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_hex}+{b64(bytes([self.kind]) + self.public)}"

    @property
    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public)

    def check(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_vkey(text: str) -> NoteVerifier:
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError(f"a verifier key is name+keyid+key: {text[:60]!r}")
    name, hex_id, encoded = parts
    check_name(name)
    if len(hex_id) != 8 or hex_id != hex_id.lower():
        raise NoteError(f"the key id of a verifier key is 8 lowercase hex digits: {hex_id!r}")
    try:
        wanted = int(hex_id, 16)
    except ValueError:
        raise NoteError(f"the key id is not hex: {hex_id!r}") from None
    raw = unb64(encoded)
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
        raise NoteError("only Ed25519 keys (type 0x01) and cosigner keys (type 0x04) are known")
    verifier = NoteVerifier(name, raw[0], raw[1:])
    if verifier.key_id != wanted:
        raise NoteError(f"the key id {hex_id} does not match the key {name}")
    return verifier


@dataclass(frozen=True)
class NoteSigner:
    name: str
    kind: int
    private: Ed25519PrivateKey

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.kind, raw_public(self.private.public_key()))

    def line(self, payload: bytes) -> str:
        """A signature line carrying `payload` (the signature, or timestamp ‖ signature)."""
        return f"{DASH} {self.name} {b64(_U32.pack(self.verifier.key_id) + payload)}\n"


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: int
    payload: bytes
    line: str

    def by(self, verifier: NoteVerifier) -> bool:
        return self.name == verifier.name and self.key_id == verifier.key_id


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[NoteSignature, ...]

    def signed_text(self) -> str:
        return self.text + "\n" + "".join(s.line for s in self.signatures)


def check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    bad = next((c for c in text if ord(c) < 0x20 and c != "\n"), None)
    if bad is not None:
        raise NoteError(f"a note must not contain control character U+{ord(bad):04X}")


def parse_signature_line(line: str) -> NoteSignature:
    """One line `— name base64`, without its newline."""
    if not line.startswith(DASH + " "):
        raise NoteError(f"a signature line starts with an em dash and a space: {line[:40]!r}")
    rest = line[2:].split(" ")
    if len(rest) != 2:
        raise NoteError(f"a signature line is '— name signature': {line[:60]!r}")
    name, encoded = rest
    check_name(name)
    raw = unb64(encoded)
    if len(raw) < 5:
        raise NoteError("a signature holds a 4-byte key id and the signature")
    return NoteSignature(name, int(_U32.unpack(raw[:4])[0]), raw[4:], line + "\n")


def parse_note(data: bytes | str) -> Note:
    """Splits a signed note at its last blank line; checks form only, not signatures."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise NoteError("a note is UTF-8") from None
    check_text(text)
    split = text.rfind("\n\n")
    if split < 0:
        raise NoteError("a signed note has a blank line before its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    lines = block.split("\n")
    if lines[-1] != "" or len(lines) < 2:
        raise NoteError("a signed note has at least one signature line, each ending in a newline")
    lines = lines[:-1]
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(body, tuple(parse_signature_line(line) for line in lines))


def sign_note(text: str, signer: NoteSigner) -> str:
    check_text(text)
    return text + "\n" + signer.line(signer.private.sign(text.encode()))


def verified_by(note: Note, verifier: NoteVerifier) -> bool | None:
    """True if a signature of this key verifies, False if one fails, None if it has none."""
    found = [s for s in note.signatures if s.by(verifier)]
    if not found:
        return None
    return all(verifier.check(note.text.encode(), s.payload) for s in found)
