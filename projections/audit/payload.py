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
    if isinstance(value, dict):
        if TYPE_KEY in value and DATA_KEY in value and len(value) == 2:
            return untag(value[DATA_KEY])
        return {k: untag(v) for k, v in value.items()}
    if isinstance(value, list):
        return [untag(v) for v in value]
    return value


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
