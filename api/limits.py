"""Limits on request bodies, enforced before anything parses them.

An ASGI middleware reads the body of every request first (at most `max_bytes` of it) and answers
itself when the body is too large (413) or nested too deep (422), with a problem document. Only
bodies within both limits reach the routes, so no parser downstream (pydantic, the Unicode check
in api/schemas/common.py) ever meets a body that could exhaust the stack or the memory.

The depth check never parses the JSON: it strips the string literals (brackets inside strings do
not nest), keeps only the brackets, and removes the innermost empty pairs once per allowed level.
A body whose brackets survive `max_depth` rounds is nested deeper than that. Nearly every body
has fewer brackets than the limit and skips the check altogether.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from api.problems import PROBLEM_JSON, TYPE_BASE

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 32

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")


def nesting_exceeds(body: bytes, max_depth: int) -> bool:
    """Whether the JSON text nests arrays and objects more than `max_depth` levels deep."""
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    for _ in range(max_depth):
        brackets, removed = _EMPTY_PAIR.subn(b"", brackets)
        if not removed:
            return False
    # Whatever is left is nested deeper; a leftover without an empty pair is not nesting but
    # unbalanced text, which the JSON parser reports by itself.
    return _EMPTY_PAIR.search(brackets) is not None


class BodyLimits:
    """ASGI middleware: 413 for a body over `max_bytes`, 422 for JSON nested over `max_depth`."""

    def __init__(
        self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            # Refused unread; the server discards the rest and keeps the connection.
            await self._too_large(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away; let the app see the disconnect as it would have.
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and nesting_exceeds(body, self.max_depth):
            await _problem(
                scope,
                send,
                422,
                "Body too deep",
                f"The JSON body nests arrays and objects more than {self.max_depth} levels deep.",
                "body-too-deep",
                max_depth=self.max_depth,
                errors=[
                    {
                        "loc": ["body"],
                        "msg": f"nested more than {self.max_depth} levels deep",
                        "type": "json_depth",
                    }
                ],
            )
            return
        await self.app(scope, _replay([body], None, receive), send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await _problem(
            scope,
            send,
            413,
            "Content too large",
            f"The request body is larger than {self.max_bytes} bytes.",
            "body-too-large",
            max_bytes=self.max_bytes,
        )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _replay(chunks: list[bytes], pending: Message | None, receive: Receive) -> Receive:
    """A `receive` that hands out the body already read, then whatever the server sends."""
    queue: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]
    if pending is not None:
        queue = [pending]

    async def replay() -> Message:
        if queue:
            return queue.pop(0)
        return await receive()

    return replay


async def _problem(
    scope: Scope, send: Send, status: int, title: str, detail: str, kind: str, **extra: Any
) -> None:
    body = json.dumps(
        {
            "type": TYPE_BASE + kind,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope.get("path", ""),
            **extra,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
