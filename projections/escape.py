"""Text the read-model columns cannot hold is stored escaped, reversibly.

Whatever the domain accepted must reach the read models, but not every column can hold every
string: PostgreSQL's `text` and `jsonb` refuse U+0000 (NUL), and no UTF-8 column takes a lone
surrogate (U+D800–U+DFFF). So every string written through the store passes `escape`:

- a string without NUL, without surrogates and not starting with U+FFFF is stored as it is
  (nearly all of them: the check is a scan for NUL in ASCII text);
- any other string is stored as U+FFFF followed by the string with `\\` written `\\\\` and each
  NUL or surrogate written `\\uXXXX` (four lowercase hex digits).

U+FFFF is a Unicode noncharacter, reserved for exactly this kind of internal use; a string that
starts with it is always escaped, so an escaped value can never be mistaken for a plain one and
`unescape(escape(s)) == s` for every string. Inside JSON columns the same applies to every string
value and key. Both stores escape alike, so their read models hold the same values; the store
unescapes what it reads back, so queries and the API see the original text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

MARKER = "\uffff"
_SPECIAL = re.compile("[\\\\\x00\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_ESCAPED = re.compile(r"\\(\\|u[0-9a-f]{4})")


def needs_escape(text: str) -> bool:
    if text.isascii():
        return "\x00" in text
    return text.startswith(MARKER) or _UNSTORABLE.search(text) is not None


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return "\\\\" if char == "\\" else f"\\u{ord(char):04x}"


def _unescape_char(match: re.Match[str]) -> str:
    code = match.group(1)
    return "\\" if code == "\\" else chr(int(code[1:], 16))


def escape(text: str) -> str:
    if not needs_escape(text):
        return text
    return MARKER + _SPECIAL.sub(_escape_char, text)


def unescape(text: str) -> str:
    if not text.startswith(MARKER):
        return text
    return _ESCAPED.sub(_unescape_char, text[1:])


def escape_value(value: Any) -> Any:
    """A parameter or column value as stored: strings escaped, anything else as it is."""
    return escape(value) if isinstance(value, str) else value


def unescape_value(value: Any) -> Any:
    return unescape(value) if isinstance(value, str) else value


def escape_params(params: Sequence[Any]) -> Sequence[Any]:
    if not any(isinstance(p, str) and needs_escape(p) for p in params):
        return params
    return [escape_value(p) for p in params]


def unescape_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    if not any(isinstance(v, str) and v.startswith(MARKER) for v in row):
        return row
    return tuple(unescape_value(v) for v in row)


def _map_strings(value: Any, change: Any) -> Any:
    """The JSON value with `change` applied to every string in it, keys included (iterative)."""
    holder: list[Any] = [None]
    pending: list[tuple[Any, Any, Any]] = [(holder, 0, value)]
    while pending:
        target, slot, item = pending.pop()
        if isinstance(item, dict):
            copy: dict[str, Any] = {}
            target[slot] = copy
            for key, inner in item.items():
                new_key = change(key) if isinstance(key, str) else key
                copy[new_key] = None
                pending.append((copy, new_key, inner))
        elif isinstance(item, list):
            items: list[Any] = [None] * len(item)
            target[slot] = items
            pending.extend((items, i, inner) for i, inner in enumerate(item))
        elif isinstance(item, str):
            target[slot] = change(item)
        else:
            target[slot] = item
    return holder[0]


def escape_json_text(text: str) -> str:
    """JSON text (as the read models write it) with its strings escaped where needed."""
    if "\\u0000" not in text and MARKER not in text:
        return text
    return orjson.dumps(_map_strings(orjson.loads(text), escape)).decode()


def unescape_json(value: Any) -> Any:
    """A parsed JSON column value with its strings unescaped."""
    if isinstance(value, str):
        return unescape(value)
    if not isinstance(value, dict | list):
        return value
    return _map_strings(value, unescape)
