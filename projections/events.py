"""The event topics the read models follow, and the program definitions they carry.

Only Trajectory events feed the read models: the program version a trajectory runs under
travels in its Started event (R3), so Program events are not needed.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.program import ProgramDefinition
from domain.trajectory import Trajectory, event_classes

# Derived from the aggregate: a new event is followed without being listed anywhere.
TOPICS: tuple[str, ...] = tuple(get_topic(cls) for cls in event_classes(Trajectory))

DefinitionKey = tuple[str, int]


class Definitions:
    """Program definitions by (program id, version): immutable once published, so cached."""

    def __init__(self) -> None:
        self._parsed: dict[DefinitionKey, ProgramDefinition] = {}
        self._raw: dict[DefinitionKey, dict[str, Any]] = {}

    def __contains__(self, key: DefinitionKey) -> bool:
        return key in self._parsed

    def add(self, key: DefinitionKey, data: dict[str, Any]) -> ProgramDefinition:
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = ProgramDefinition.from_dict(data)
            self._parsed[key] = parsed
            self._raw[key] = data
        return parsed

    def get(self, key: DefinitionKey) -> ProgramDefinition:
        return self._parsed[key]

    def raw(self, key: DefinitionKey) -> dict[str, Any]:
        return self._raw[key]
