"""Recorded events, copied from one application's store into another's, in log order.

The demo is played on an in-memory application (every command through `execute`), and its
events are then written to the real store in a few large transactions. The in-memory twin
shares the target's key store, so it seals every event exactly as the target would have (each
student's keys, each command's retention class); the stored events are then copied as they are,
byte for byte, with their recorded times.
"""

from __future__ import annotations

from eventsourcing.persistence import StoredEvent

from domain.application import Bewijsketen
from domain.privacy.keys import KeyStore

BATCH = 2_000


def in_memory(keys: KeyStore | None = None) -> Bewijsketen:
    """An in-memory application; with `keys`, one that seals with that (the target's) store."""
    return Bewijsketen(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, cache_size=100_000, keys=keys
    )


def copy_events(source: Bewijsketen, target: Bewijsketen) -> int:
    """Writes every event of `source`'s log into `target`'s store; returns how many."""
    if source.keys is not target.keys:
        raise ValueError("the source must seal with the target's key store (`in_memory(keys)`)")
    copied = 0
    start = 1
    while True:
        batch = source.recorder.select_notifications(start, BATCH)
        if not batch:
            break
        stored = [
            StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in batch
        ]
        target.recorder.insert_events(stored)
        copied += len(batch)
        start = batch[-1].id + 1
    # What the target's directory (programs, staff, students) follows was written behind it.
    target.directory.stale()
    return copied
