"""The Ed25519 signing key of the log: created by `bewijsketen audit keygen`, kept out of the DB.

The private key comes from the environment (BEWIJSKETEN_AUDIT_PRIVATE_KEY: a PEM block or the
base64 of the 32-byte seed) or from a PEM file (BEWIJSKETEN_AUDIT_KEY_FILE, by default
<data dir>/audit/signing-key.pem). Only the public key is ever published.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# Permission bits for group and others: a signing key must have none of them.
OPEN_TO_OTHERS = 0o077


class SigningKeyError(Exception):
    """The signing key is missing or unreadable."""


def raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw 32-byte public key, hex: how checkpoints name their key."""
    return hashlib.sha256(raw_public(public_key)).hexdigest()


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def load_public_pem(data: bytes | str) -> Ed25519PublicKey:
    raw = data.encode() if isinstance(data, str) else data
    try:
        key = serialization.load_pem_public_key(raw)
    except ValueError as exc:
        raise SigningKeyError(f"not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError("the public key is not an Ed25519 key")
    return key


def public_from_raw(data: bytes) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(data)
    except ValueError as exc:
        raise SigningKeyError(f"not a raw Ed25519 public key: {exc}") from None


def parse_private(text: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except ValueError as exc:
        raise SigningKeyError(f"the signing key is not readable: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("the signing key is not an Ed25519 key")
    return key


def private_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def generate_key_file(path: Path, *, force: bool = False) -> Ed25519PrivateKey:
    """Writes a new key readable by its owner only; refuses to replace a key unless forced."""
    if path.exists() and not force:
        raise SigningKeyError(f"{path} exists; replacing the key breaks every later verification")
    # Imported here: the offline verifier uses this module and must run without the domain.
    from domain.persistence.files import private_dir

    private_dir(path.parent)
    key = Ed25519PrivateKey.generate()
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(private_pem(key))
    os.replace(tmp, path)
    return key


def load_key_file(path: Path) -> Ed25519PrivateKey:
    """The key in a PEM file that only its owner may read; refused if others may too, since
    whoever can read it can sign checkpoints of a log that was altered."""
    try:
        mode = path.stat().st_mode
        if mode & OPEN_TO_OTHERS:
            raise SigningKeyError(
                f"the signing key {path} is open to group or others (mode "
                f"{mode & 0o777:04o}); make it readable by its owner only: chmod 600 {path}"
            )
        return parse_private(path.read_text())
    except OSError as exc:
        raise SigningKeyError(f"cannot read the signing key {path}: {exc.strerror}") from None


def verify_signature(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
