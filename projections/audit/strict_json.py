"""JSON read the one way every parser agrees on: a duplicate key, NaN or Infinity, trailing
data or invalid UTF-8 is an error naming its line, never a value that one parser takes from
the first occurrence and another from the last.

The standard library's scanner does the work; only objects are parsed here, to see each key
where it stands. Pure.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from typing import Any

_BLANK = re.compile(r"[ \t\n\r]*")


def _skip(s: str, at: int) -> int:
    found = _BLANK.match(s, at)
    return found.end() if found else at


_scanstring: Any = getattr(json.decoder, "scanstring")
_make_scanner: Any = getattr(json.scanner, "py_make_scanner")


class StrictJsonError(ValueError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.reason = message


def _object(
    s_and_end: tuple[str, int],
    strict: bool,
    scan_once: Any,
    object_hook: Any,
    object_pairs_hook: Any,
    memo: Any = None,
) -> tuple[dict[str, Any], int]:
    s, end = s_and_end
    out: dict[str, Any] = {}
    end = _skip(s, end)
    if s[end : end + 1] == "}":
        return out, end + 1
    while True:
        if s[end : end + 1] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", s, end)
        at = end
        key, end = _scanstring(s, end + 1, strict)
        if key in out:
            raise json.JSONDecodeError(f"the key {key!r} appears twice in one object", s, at)
        end = _skip(s, end)
        if s[end : end + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", s, end)
        end = _skip(s, end + 1)
        try:
            value, end = scan_once(s, end)
        except StopIteration as err:
            raise json.JSONDecodeError("Expecting value", s, err.value) from None
        out[key] = value
        end = _skip(s, end)
        char = s[end : end + 1]
        end += 1
        if char == "}":
            return out, end
        if char != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", s, end - 1)
        end = _skip(s, end)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decoder() -> json.JSONDecoder:
    decoder: Any = json.JSONDecoder(parse_constant=_no_constant)
    # The pure-Python scanner calls back into parse_object; the C one would not.
    decoder.parse_object = _object
    decoder.scan_once = _make_scanner(decoder)
    return decoder


_DECODER: json.JSONDecoder = _decoder()


def loads(data: bytes | str, first_line: int = 1) -> Any:
    """Parses one JSON text; raises StrictJsonError with the (1-based) line of the fault."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + first_line
            raise StrictJsonError("not valid UTF-8", line) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        raise StrictJsonError("a byte order mark is not allowed", first_line)
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise StrictJsonError(exc.msg, exc.lineno + first_line - 1) from None
    except ValueError as exc:
        raise StrictJsonError(str(exc), first_line) from None


def key_line(text: str, key: str) -> int | None:
    """The line where `"key":` first stands in a pretty-printed document (for messages)."""
    needle = json.dumps(key, ensure_ascii=False) + ":"
    at = text.find(needle)
    return None if at < 0 else text.count("\n", 0, at) + 1
