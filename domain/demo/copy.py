"""Recorded events, copied from one application's store into another's, in log order.

The demo is played on an in-memory application (every command through `execute`), and its
events are then written to the real store in a few large transactions. Each event is decoded
with the source's mapper and encoded with the target's, so whatever the target's store does to
an event (a cipher, compression) it does to these too; the events themselves, with their
recorded times, are exactly those the commands wrote.
"""

from __future__ import annotations

from domain.application import Bewijsketen

BATCH = 2_000


def in_memory() -> Bewijsketen:
    return Bewijsketen(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, cache_size=100_000)


def copy_events(source: Bewijsketen, target: Bewijsketen) -> int:
    """Writes every event of `source`'s log into `target`'s store; returns how many."""
    copied = 0
    start = 1
    while True:
        batch = source.recorder.select_notifications(start, BATCH)
        if not batch:
            break
        stored = [target.mapper.to_stored_event(source.mapper.to_domain_event(n)) for n in batch]
        target.recorder.insert_events(stored)
        copied += len(batch)
        start = batch[-1].id + 1
    # What the target's directory (programs, staff, students) follows was written behind it.
    target.directory.stale()
    return copied
