"""JSON transcodings for every value type stored in events and snapshots."""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain import values
from domain.trajectory import STATE_CLASSES


class EnumTranscoding(Transcoding):
    def __init__(self, enum_type: type[Enum]) -> None:
        self.type = enum_type
        self.name = f"enum:{enum_type.__name__}"
        self._enum = enum_type

    def encode(self, obj: Enum) -> str:
        return str(obj.value)

    def decode(self, data: str) -> Enum:
        return self._enum(data)


class DateTranscoding(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class SetTranscoding(Transcoding):
    type = set
    name = "set"

    def encode(self, obj: set[Any]) -> list[Any]:
        return sorted(obj, key=repr)

    def decode(self, data: list[Any]) -> set[Any]:
        return set(data)


class DataclassTranscoding(Transcoding):
    """Field-by-field; nested values are transcoded by the encoder itself."""

    def __init__(self, cls: type, name: str) -> None:
        self.type = cls
        self.name = name
        self._cls = cls

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self._cls(**data)


ENUMS: tuple[type[Enum], ...] = (
    values.Role,
    values.StaffRole,
    values.FeedbackSource,
    values.EvidenceKind,
    values.TrafficLight,
    values.Verdict,
    values.Vote,
    values.Phase,
    values.GreenLight,
    values.EarlyRoute,
    values.Decision,
    values.Result,
)


def register_all(transcoder: JSONTranscoder) -> None:
    for enum_type in ENUMS:
        transcoder.register(EnumTranscoding(enum_type))
    transcoder.register(DateTranscoding())
    transcoder.register(SetTranscoding())
    transcoder.register(DataclassTranscoding(values.Actor, "actor"))
    transcoder.register(DataclassTranscoding(values.CommandRef, "command_ref"))
    for cls in STATE_CLASSES:
        transcoder.register(DataclassTranscoding(cls, f"state:{cls.__name__}"))
