"""Who is acting, for the events a command triggers.

The application sets it around the aggregate method that decides a command; every event the
method triggers records it (`domain.aggregate`). So the actor and the request's idempotency
reference travel once, not through every command and event method. It also carries how the
command's events are sealed (`Sealing`: its retention class and its marked fields), for the
event mapper that writes them (`domain.privacy.mapper`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.values import Actor, CommandRef

if TYPE_CHECKING:
    from domain.commands import Retention


@dataclass(frozen=True)
class Sealing:
    """How the events of one command are sealed: with the student's key of the command's
    retention class, the event attributes named like its marked fields."""

    retention: Retention
    fields: frozenset[str]


@dataclass(frozen=True)
class Acting:
    actor: Actor
    command: CommandRef | None = None
    sealing: Sealing | None = None


_acting: ContextVar[Acting | None] = ContextVar("acting", default=None)


@contextmanager
def acting(
    actor: Actor, command: CommandRef | None = None, sealing: Sealing | None = None
) -> Iterator[Acting]:
    here = Acting(actor, command, sealing)
    token = _acting.set(here)
    try:
        yield here
    finally:
        _acting.reset(token)


def current() -> Acting:
    found = _acting.get()
    if found is None:
        raise RuntimeError("an event was triggered outside a command: use `acting(actor)`")
    return found


def sealing() -> Sealing | None:
    """How the events being written now are sealed; None outside a command."""
    found = _acting.get()
    return found.sealing if found is not None else None
