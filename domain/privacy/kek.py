"""The key-encryption key (KEK): wraps every data key; kept in a file or the environment, never
in the database.

The database keeps a check value (a constant sealed under the KEK) so that a process started
with another KEK refuses before it writes anything, instead of sealing new data under keys no
other process can unwrap.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.persistence.files import write_private

KEK_BYTES = 32
CHECK_TEXT = b"bewijsketen key-encryption key"
CHECK_AAD = b"kek-check"

log = logging.getLogger("bewijsketen.privacy")


class KekError(RuntimeError):
    """The KEK is missing, unreadable or not the one the key store was made with."""


class Kek:
    """An AES-256 key that wraps data keys (AES-GCM, the key's identity as additional data)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEK_BYTES:
            raise KekError(f"a key-encryption key is {KEK_BYTES} bytes; this one is {len(key)}")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Kek(…)"

    @classmethod
    def generate(cls) -> Kek:
        return cls(os.urandom(KEK_BYTES))

    @classmethod
    def parse(cls, text: str, where: str) -> Kek:
        """A KEK written as base64 (standard or URL-safe) of 32 bytes."""
        cleaned = text.strip()
        try:
            raw = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            raise KekError(
                f"the key-encryption key in {where} is not base64 (32 random bytes, e.g. "
                "`openssl rand -base64 32`)"
            ) from None
        if len(raw) != KEK_BYTES:
            raise KekError(
                f"the key-encryption key in {where} is {len(raw)} bytes; it must be {KEK_BYTES}"
            )
        return cls(raw)

    def wrap(self, key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, key, context)

    def unwrap(self, wrapped: bytes, context: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:12], wrapped[12:], context)
        except InvalidTag:
            raise KekError(
                "a data key does not unwrap with this key-encryption key (altered or moved)"
            ) from None

    def check_value(self) -> bytes:
        """What the database keeps to recognise this KEK (reveals nothing of it)."""
        return self.wrap(CHECK_TEXT, CHECK_AAD)

    def matches(self, check: bytes) -> bool:
        try:
            return self._aead.decrypt(check[:12], check[12:], CHECK_AAD) == CHECK_TEXT
        except InvalidTag:
            return False


@dataclass(frozen=True)
class KekSource:
    """Where a process finds its KEK: the value itself (wins), or a file; `create` allows
    writing a new file (0600) when the key store has no KEK yet (an embedded store)."""

    value: str | None = field(default=None, repr=False)
    file: Path | None = None
    create: bool = False

    def describe(self) -> str:
        if self.value is not None:
            return "BEWIJSKETEN_KEK"
        if self.file is not None:
            return str(self.file)
        return "nowhere"

    def load(self) -> Kek | None:
        """The KEK, or None when none is configured (or its file does not exist yet)."""
        if self.value is not None:
            return Kek.parse(self.value, "BEWIJSKETEN_KEK")
        if self.file is None or not self.file.exists():
            return None
        try:
            text = self.file.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise KekError(
                f"the key-encryption key file {self.file} is unreadable: {exc}"
            ) from None
        return Kek.parse(text, str(self.file))

    def create_file(self) -> Kek:
        """A new KEK, written to the file 0600 (only when `create` allows it)."""
        assert self.file is not None and self.create
        kek_bytes = os.urandom(KEK_BYTES)
        write_private(self.file, base64.b64encode(kek_bytes) + b"\n")
        log.warning(
            "created a new key-encryption key in %s: without it nothing sealed can be read; "
            "keep a copy apart from the database and its backups",
            self.file,
        )
        return Kek(kek_bytes)


def generate_text() -> str:
    """A new KEK as text, for BEWIJSKETEN_KEK or a KEK file."""
    return base64.b64encode(os.urandom(KEK_BYTES)).decode()
