"""Sealed values in stored events, opened for the dossier: pure, written from docs/audit.md so
that the offline verifier needs no domain (and an outside verifier can do the same).

A trajectory event's personal data and free text are stored as envelopes in place of the value:

    {"$sealed": 1, "key": "<key id>", "nonce": "<base64, 12 bytes>", "data": "<base64>"}

`data` is AES-256-GCM under the data key `key`, nonce `nonce`, over the value's JSON (UTF-8),
with the additional data `<aggregate id>|<topic>|<path>`: the event's aggregate id (canonical
UUID text), its stored topic, and the field's name (`name/<key>` for a value of a sealed dict,
`name/<index>` for an item of a sealed list). A value whose key is not at hand (shredded) reads
as the placeholder.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PLACEHOLDER = "[verwijderd]"
MARK = "$sealed"
ENVELOPE_KEYS = frozenset({MARK, "key", "nonce", "data"})
NONCE_BYTES = 12
KEY_BYTES = 32

Lookup = Callable[[str], bytes | None]


class EnvelopeError(ValueError):
    """An envelope that is malformed, or does not open with its key (altered or moved)."""


def is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and value.get(MARK) == 1 and "data" in value


def place(aggregate_id: str, topic: str, path: str) -> bytes:
    """The additional data binding a sealed value to where it stands."""
    return f"{aggregate_id}|{topic}|{path}".encode()


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise EnvelopeError(f"its {what} is not base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise EnvelopeError(f"its {what} is not base64") from None
    if base64.b64encode(raw).decode() != text:
        raise EnvelopeError(f"its {what} is not canonical base64")
    return raw


def open_envelope(value: dict[str, Any], lookup: Lookup, where: bytes) -> tuple[Any, bool]:
    """(the value, True), or (PLACEHOLDER, False) when its key is not at hand."""
    if set(value) != ENVELOPE_KEYS or not isinstance(value["key"], str):
        raise EnvelopeError(f"an envelope has exactly the keys {sorted(ENVELOPE_KEYS)}")
    nonce = _b64(value["nonce"], "nonce")
    data = _b64(value["data"], "data")
    if len(nonce) != NONCE_BYTES:
        raise EnvelopeError(f"its nonce is not {NONCE_BYTES} bytes")
    key = lookup(value["key"])
    if key is None:
        return PLACEHOLDER, False
    try:
        plain = AESGCM(key).decrypt(nonce, data, where)
    except InvalidTag:
        raise EnvelopeError(
            f"it does not open with key {value['key']} at {where.decode()!r}: altered, or moved "
            "from another place"
        ) from None
    try:
        return json.loads(plain.decode("utf-8")), True
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"what it holds is not JSON: {exc}") from None


@dataclass
class Opened:
    """An event's fields with their envelopes opened, and what that took."""

    data: dict[str, Any]
    used: set[str] = field(default_factory=set)  # keys that opened a value
    missing: set[str] = field(default_factory=set)  # keys not at hand: their values read gone


def open_event(data: dict[str, Any], lookup: Lookup, aggregate_id: str, topic: str) -> Opened:
    """Every envelope among the event's fields opened: a field that is one, and the values of
    a dict field or the items of a list field that are. Raises EnvelopeError, naming the field,
    for one that does not open."""
    out = Opened(dict(data))

    def one(value: dict[str, Any], path: str) -> Any:
        try:
            opened, found = open_envelope(value, lookup, place(aggregate_id, topic, path))
        except EnvelopeError as exc:
            raise EnvelopeError(f"the sealed value of {path}: {exc}") from None
        (out.used if found else out.missing).add(str(value["key"]))
        return opened

    for name, value in data.items():
        if is_envelope(value):
            out.data[name] = one(value, name)
        elif isinstance(value, dict) and any(is_envelope(v) for v in value.values()):
            out.data[name] = {
                k: one(v, f"{name}/{k}") if is_envelope(v) else v for k, v in value.items()
            }
        elif isinstance(value, list) and any(is_envelope(v) for v in value):
            out.data[name] = [
                one(v, f"{name}/{i}") if is_envelope(v) else v for i, v in enumerate(value)
            ]
    return out


def key_ids(data: dict[str, Any]) -> set[str]:
    """The data keys an event's envelopes name."""
    found: set[str] = set()
    for value in data.values():
        items = (
            [value]
            if is_envelope(value)
            else list(value.values())
            if isinstance(value, dict)
            else value
            if isinstance(value, list)
            else []
        )
        found |= {str(v["key"]) for v in items if is_envelope(v)}
    return found


# ---- keys.json: the data keys a bundle carries


def keys_text(keys: dict[str, bytes]) -> bytes:
    """keys.json: an object of key id to base64 data key, sorted, one per line."""
    body = {k: base64.b64encode(v).decode() for k, v in sorted(keys.items())}
    return (json.dumps(body, sort_keys=True, ensure_ascii=False, indent=1) + "\n").encode()


def parse_keys(body: Any) -> dict[str, bytes]:
    """The keys of a parsed keys.json; raises ValueError saying what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("it is not a JSON object of key ids to base64 data keys")
    keys: dict[str, bytes] = {}
    for key_id, text in body.items():
        try:
            raw = _b64(text, "data key")
        except EnvelopeError as exc:
            raise ValueError(f"key {key_id}: {exc}") from None
        if len(raw) != KEY_BYTES:
            raise ValueError(f"key {key_id}: a data key is {KEY_BYTES} bytes, not {len(raw)}")
        keys[key_id] = raw
    return keys
