"""A trajectory's events as stored, with positions, leaf hashes and plain payloads.

The only place where the dossier touches the live application: to find the trajectory's
program, to open the sealed values of its events with the key store (`envelopes`; the
placeholder where a key is shredded), and to decrypt payloads if the store encrypts them whole.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from domain.application import Bewijsketen
from projections.audit import envelopes
from projections.audit.dossier import DossierEvent, build_dossier
from projections.audit.leaf import StoredRow, row_hash
from projections.audit.payload import decode_plain
from projections.audit.store import AuditStore


@dataclass(frozen=True)
class SourcedEvent:
    row: StoredRow
    event: DossierEvent
    # The decrypted payload when the stored bytes are not plain JSON (encryption at rest).
    payload: dict[str, Any] | None
    # The data keys that opened sealed values of the event (a bundle carries them).
    keys: frozenset[str] = frozenset()


def _plain(app: Bewijsketen, state: bytes) -> tuple[dict[str, Any], bool]:
    try:
        return decode_plain(state), False
    except ValueError:
        mapper = app.mapper
        data = state
        if mapper.cipher is not None:
            data = mapper.cipher.decrypt(data)
        if mapper.compressor is not None:
            data = mapper.compressor.decompress(data)
        return decode_plain(data), True


def trajectory_events(
    app: Bewijsketen, store: AuditStore, trajectory_id: uuid.UUID
) -> list[SourcedEvent]:
    """The trajectory's events and its program's events up to the trajectory's last one."""
    trajectory = app.get_trajectory(trajectory_id)  # NotFound for an unknown id
    rows = store.find_events([trajectory_id, trajectory.program_id])
    last = max(r.position for r in rows if r.aggregate_id == trajectory_id)
    out = []
    for row in rows:
        if row.position > last:
            continue
        data, decrypted = _plain(app, row.state)
        opened = envelopes.open_event(data, app.keys.lookup, str(row.aggregate_id), row.topic)
        event = DossierEvent(
            row.position,
            str(row.aggregate_id),
            row.version,
            row.topic,
            opened.data,
            row_hash(row).hex(),
        )
        out.append(SourcedEvent(row, event, data if decrypted else None, frozenset(opened.used)))
    return out


def dossier_of(
    app: Bewijsketen, store: AuditStore, trajectory_id: uuid.UUID, attempt: int | None
) -> tuple[dict[str, Any], list[SourcedEvent]]:
    """The dossier and the events it covers (after the cut-off for one attempt)."""
    sourced = trajectory_events(app, store, trajectory_id)
    dossier = build_dossier(str(trajectory_id), [s.event for s in sourced], attempt)
    covered = {step["position"] for step in dossier["steps"]}
    return dossier, [s for s in sourced if s.row.position in covered]
