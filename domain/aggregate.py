"""The base of bewijsketen's aggregates: every event records who did it, and which request.

`actor` (R1) and `command` (the idempotency key and fingerprint of the request that caused the
event) are fields of every event. They are taken from the execution context
(`domain.context.acting`), never passed through the command and event methods; the aggregate
remembers, per idempotency key, the version its request reached, so that a repeat is answered
from the events alone.
"""

from __future__ import annotations

import pickle
from typing import Any, Self

from eventsourcing.domain import Aggregate

from domain import context
from domain.values import Actor, CommandRef


class RecordedAggregate(Aggregate):
    class Event(Aggregate.Event):
        actor: Actor
        command: CommandRef | None

        def mutate(self, aggregate: Any) -> Any:
            aggregate = super().mutate(aggregate)
            aggregate.recorded(self)
            return aggregate

        def summary(self) -> str:
            """One line a person can read, for the history (R1)."""
            return type(self).__name__

    class Created(Event, Aggregate.Created):
        pass

    commands: dict[str, list[Any]]

    @classmethod
    def _create(cls, event_class: type[Any], **kwargs: Any) -> Self:
        acting = context.current()
        return super()._create(event_class, actor=acting.actor, command=acting.command, **kwargs)

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        acting = context.current()
        super().trigger_event(event_class, actor=acting.actor, command=acting.command, **kwargs)

    def recorded(self, event: RecordedAggregate.Event) -> None:
        """Called after every event is applied (also on replay)."""
        if event.command is not None:
            self.commands[event.command.key] = [event.command.fingerprint, self.version]

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        # The repository copies cached aggregates before each command; the state is plain data,
        # and a pickle round trip copies it several times faster than copy.deepcopy.
        copied: Self = pickle.loads(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))
        return copied
