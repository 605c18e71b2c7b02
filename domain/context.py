"""Who is acting, for the events a command triggers.

The application sets it around the aggregate method that decides a command; every event the
method triggers records it (`domain.aggregate`). So the actor and the request's idempotency
reference travel once, not through every command and event method.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from domain.values import Actor, CommandRef


@dataclass(frozen=True)
class Acting:
    actor: Actor
    command: CommandRef | None = None


_acting: ContextVar[Acting | None] = ContextVar("acting", default=None)


@contextmanager
def acting(actor: Actor, command: CommandRef | None = None) -> Iterator[Acting]:
    token = _acting.set(Acting(actor, command))
    try:
        yield Acting(actor, command)
    finally:
        _acting.reset(token)


def current() -> Acting:
    found = _acting.get()
    if found is None:
        raise RuntimeError("an event was triggered outside a command: use `acting(actor)`")
    return found
