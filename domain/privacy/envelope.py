"""The envelope: the stored form of one sealed value, in place of the value in an event's state.

    {"$sealed": 1, "key": "<key id>", "nonce": "<base64>", "data": "<base64>"}

`data` is AES-256-GCM under the student's data key `key`, with a fresh 12-byte nonce, over the
value's JSON; the additional data binds it to its place (trajectory id, event topic and field
path), so an envelope copied to another event, field or trajectory does not open.

A marked list holds one envelope per item and a marked dict one per value (its keys, codes,
stay plain), so code that iterates them keeps working after a shred: every value whose key is
gone reads as `PLACEHOLDER`, a string, whatever type it had.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PLACEHOLDER = "[verwijderd]"
MARK = "$sealed"
VERSION = 1
NONCE_BYTES = 12

# A data key by its id; None when it is shredded (or never existed here).
KeyLookup = Callable[[str], bytes | None]
# A key, or the cipher made of it once for several values (cheaper per value).
SealingKey = bytes | AESGCM

_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def cipher(key: SealingKey) -> AESGCM:
    return key if isinstance(key, AESGCM) else AESGCM(key)


class Nonces:
    """Fresh 12-byte nonces, never one twice: a random 8-byte prefix of this process (drawn
    anew in a forked child and when the counter runs out) and a 4-byte counter (the
    construction of NIST SP 800-38D, 8.2.1). Drawing each nonce from the system's random
    source would cost a system call per value, and with it a hand-over of the interpreter
    lock, which slows every other thread of a busy server."""

    LIMIT = 2**32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reseed()
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        # Replaced as one tuple: a thread never pairs one prefix with another's counter.
        self._state = (os.urandom(NONCE_BYTES - 4), itertools.count())

    def next(self) -> bytes:
        prefix, counter = self._state
        n = next(counter)
        if n >= self.LIMIT:
            with self._lock:
                if self._state[1] is counter:
                    self._reseed()
            return self.next()
        return prefix + n.to_bytes(4, "big")


NONCES = Nonces()


class EnvelopeError(ValueError):
    """An envelope that does not open with its own key: altered, or moved to another place."""


def aad(trajectory_id: uuid.UUID | str, topic: str, path: str) -> bytes:
    """The additional authenticated data of a value: where it stands."""
    return f"{trajectory_id}|{topic}|{path}".encode()


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and value.get(MARK) == VERSION and "data" in value


def seal_bytes(data: bytes, key_id: str, key: SealingKey, where: bytes) -> dict[str, Any]:
    """Bytes sealed under a data key, for the place `where` (see `aad`)."""
    nonce = NONCES.next()
    return {
        MARK: VERSION,
        "key": key_id,
        "nonce": base64.b64encode(nonce).decode(),
        "data": base64.b64encode(cipher(key).encrypt(nonce, data, where)).decode(),
    }


def open_bytes(value: Mapping[str, Any], key: bytes, where: bytes) -> bytes:
    """The bytes an envelope holds, opened with its key; EnvelopeError if they do not open."""
    try:
        return AESGCM(key).decrypt(
            base64.b64decode(value["nonce"]), base64.b64decode(value["data"]), where
        )
    except (InvalidTag, ValueError) as exc:
        raise EnvelopeError(f"an envelope of key {value['key']} does not open here") from exc


def seal(value: Any, key_id: str, key: SealingKey, where: bytes) -> dict[str, Any]:
    """One value sealed under a data key, for the place `where` (see `aad`)."""
    return seal_bytes(_to_json(value).encode(), key_id, key, where)


def open_sealed(value: Any, lookup: KeyLookup, where: bytes) -> Any:
    """The value an envelope holds; PLACEHOLDER when its key is gone. Anything that is not an
    envelope (a value stored before encryption) is returned as it is."""
    if not is_sealed(value):
        return value
    key = lookup(str(value["key"]))
    if key is None:
        return PLACEHOLDER
    return json.loads(open_bytes(value, key, where))


def seal_field(
    value: Any, key_id: str, key: SealingKey, trajectory_id: uuid.UUID, topic: str, name: str
) -> Any:
    """A marked field sealed: a dict value by value, a list item by item, else whole."""
    if isinstance(value, str):
        return seal(value, key_id, key, aad(trajectory_id, topic, name))
    key = cipher(key)
    if isinstance(value, Mapping):
        return {
            k: seal(v, key_id, key, aad(trajectory_id, topic, f"{name}/{k}"))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            seal(v, key_id, key, aad(trajectory_id, topic, f"{name}/{i}"))
            for i, v in enumerate(value)
        ]
    if value is None:
        # Nothing to hide, and None keeps meaning "not given".
        return None
    return seal(value, key_id, key, aad(trajectory_id, topic, name))


def open_field(
    value: Any, lookup: KeyLookup, trajectory_id: uuid.UUID | str, topic: str, name: str
) -> Any:
    """A field opened as `seal_field` sealed it."""
    if is_sealed(value):
        return open_sealed(value, lookup, aad(trajectory_id, topic, name))
    if isinstance(value, dict):
        if not any(is_sealed(v) for v in value.values()):
            return value
        return {
            k: open_sealed(v, lookup, aad(trajectory_id, topic, f"{name}/{k}"))
            for k, v in value.items()
        }
    if isinstance(value, list):
        if not any(is_sealed(v) for v in value):
            return value
        return [
            open_sealed(v, lookup, aad(trajectory_id, topic, f"{name}/{i}"))
            for i, v in enumerate(value)
        ]
    return value


def open_state(
    state: Mapping[str, Any],
    lookup: KeyLookup,
    trajectory_id: uuid.UUID | str,
    topic: str,
    fields: Iterable[str] | None = None,
) -> dict[str, Any]:
    """An event's state (its attributes by name) with every envelope opened: those of the
    named fields, or of every top-level attribute when `fields` is None."""
    opened = dict(state)
    for name in state if fields is None else fields:
        if name in opened:
            opened[name] = open_field(opened[name], lookup, trajectory_id, topic, name)
    return opened


def key_ids(state: Mapping[str, Any]) -> set[str]:
    """The data keys an event's state was sealed with (top-level fields and their items)."""
    found: set[str] = set()
    for value in state.values():
        if is_sealed(value):
            found.add(str(value["key"]))
        elif isinstance(value, dict):
            found |= {str(v["key"]) for v in value.values() if is_sealed(v)}
        elif isinstance(value, list):
            found |= {str(v["key"]) for v in value if is_sealed(v)}
    return found
