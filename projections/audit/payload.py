"""Stored event bytes → plain JSON values, without the domain's classes.

The event store's JSON tags values it cannot write natively as {"_type_": name, "_data_": ...}
(times, UUIDs, enums, actors). Dropping the tags gives plain values: ISO times, UUID hex,
enum values, dicts. The dossier and the offline verifier read events this way only.
"""

from __future__ import annotations

import json
from typing import Any

TYPE_KEY, DATA_KEY = "_type_", "_data_"


def untag(value: Any) -> Any:
    """The value without type tags, at any depth (iterative: events may nest deeper than the
    interpreter's stack allows a recursive walk to go)."""
    if not isinstance(value, dict | list):
        return value
    holder: list[Any] = [None]
    # (container to fill, key or index in it, value to untag)
    pending: list[tuple[Any, Any, Any]] = [(holder, 0, value)]
    while pending:
        target, slot, item = pending.pop()
        while isinstance(item, dict) and len(item) == 2 and TYPE_KEY in item and DATA_KEY in item:
            item = item[DATA_KEY]
        if isinstance(item, dict):
            copy: dict[str, Any] = dict.fromkeys(item)
            target[slot] = copy
            pending.extend((copy, k, v) for k, v in item.items())
        elif isinstance(item, list):
            items: list[Any] = [None] * len(item)
            target[slot] = items
            pending.extend((items, i, v) for i, v in enumerate(item))
        else:
            target[slot] = item
    return holder[0]


def decode_plain(data: bytes) -> dict[str, Any]:
    """The event's fields as plain values; raises ValueError if the bytes are not JSON."""
    try:
        decoded = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the stored bytes are not plain JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise ValueError("the stored bytes are not a JSON object")
    plain = untag(decoded)
    assert isinstance(plain, dict)
    return plain
