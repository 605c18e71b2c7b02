"""The canonical leaf: every stored column of one event, as bytes (docs/audit.md, "Leaf").

    leaf = 0x01                                  encoding version
         ‖ uint64(position)                      the notification id
         ‖ uint8(len(id)) ‖ id                   aggregate id: 16 raw bytes for a UUID
         ‖ uint64(version)                       the aggregate version
         ‖ uint32(len(topic)) ‖ topic            UTF-8
         ‖ uint32(len(state)) ‖ state            the stored bytes, as stored (maybe encrypted)

All integers are unsigned big-endian. The stored bytes are hashed as they are, so encrypting
payloads never changes what is sealed. Pure: no database, no domain.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from projections.audit.merkle import leaf_hash

LEAF_VERSION = 1
_HEAD = struct.Struct(">BQB")
_VERSION = struct.Struct(">Q")
_LENGTH = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One row of the events table, as stored."""

    position: int
    aggregate_id: uuid.UUID | str
    version: int
    topic: str
    state: bytes


def aggregate_id_bytes(aggregate_id: uuid.UUID | str) -> bytes:
    if isinstance(aggregate_id, uuid.UUID):
        return aggregate_id.bytes
    try:
        return uuid.UUID(aggregate_id).bytes
    except ValueError:
        return aggregate_id.encode()


def encode_leaf(
    position: int, aggregate_id: uuid.UUID | str, version: int, topic: str, state: bytes
) -> bytes:
    ident = aggregate_id_bytes(aggregate_id)
    topic_bytes = topic.encode()
    return b"".join(
        (
            _HEAD.pack(LEAF_VERSION, position, len(ident)),
            ident,
            _VERSION.pack(version),
            _LENGTH.pack(len(topic_bytes)),
            topic_bytes,
            _LENGTH.pack(len(state)),
            state,
        )
    )


def row_leaf(row: StoredRow) -> bytes:
    return encode_leaf(row.position, row.aggregate_id, row.version, row.topic, row.state)


def row_hash(row: StoredRow, position: int | None = None) -> bytes:
    """The leaf hash of a row, optionally as if it stood at another position."""
    return leaf_hash(
        encode_leaf(
            row.position if position is None else position,
            row.aggregate_id,
            row.version,
            row.topic,
            row.state,
        )
    )
