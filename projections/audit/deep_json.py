"""JSON text of any value the event store holds, however deeply it nests.

The standard library's encoder recurses and stops near the interpreter's recursion limit; an
event the domain accepted (a correction's free-form details) may nest close to that limit
already, and a dossier wraps it a few levels deeper. `dumps` uses the fast encoder and falls
back to an iterative one, with the same output, when the value is too deep for it.
"""

from __future__ import annotations

import json
import math
from typing import Any

_encode_string = json.encoder.encode_basestring


def dumps(value: Any, sort_keys: bool = False) -> str:
    """Compact JSON text (`,` and `:` without spaces), non-ASCII characters as they are."""
    try:
        return json.dumps(
            value,
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
            sort_keys=sort_keys,
        )
    except RecursionError:
        return dumps_iterative(value, sort_keys)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str(_encode_string(value))
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a JSON number: {value!r}")
        return float.__repr__(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


class _Text(str):
    """A piece of JSON syntax waiting on the stack, told apart from a string value."""


def dumps_iterative(value: Any, sort_keys: bool = False) -> str:
    parts: list[str] = []
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, _Text):
            parts.append(item)
        elif isinstance(item, dict):
            keys = sorted(item) if sort_keys else list(item)
            parts.append("{")
            pending.append(_Text("}"))
            for i in range(len(keys) - 1, -1, -1):
                key = keys[i]
                if not isinstance(key, str):
                    raise TypeError(f"keys must be str, not {type(key).__name__}")
                pending.append(item[key])
                pending.append(_Text(("," if i else "") + _encode_string(key) + ":"))
        elif isinstance(item, list | tuple):
            parts.append("[")
            pending.append(_Text("]"))
            for i in range(len(item) - 1, -1, -1):
                pending.append(item[i])
                if i:
                    pending.append(_Text(","))
        else:
            parts.append(_scalar(item))
    return "".join(parts)
