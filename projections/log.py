"""Reading the application's event log: its head, batches of events, and how far behind one is.

Notification ids have gaps (a failed insert burns sequence values), so nothing here assumes
that ids are dense: a position is "every event with an id up to here has been applied".
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import ApplicationRecorder, Notification
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.application import Bewijsketen
from domain.privacy.mapper import SealingMapper
from projections import sealed
from projections.events import TOPICS


def head(app: Bewijsketen) -> int:
    """The id of the latest event in the log (0 for an empty log).

    The event store assigns ids in commit order (it locks the table while inserting), so every
    event with an id up to this one is committed: a reader that stops here skips nothing.
    """
    return int(app.recorder.max_notification_id() or 0)


def read(app: Bewijsketen, after: int, upto: int, limit: int) -> Sequence[Notification]:
    """Events with after < id <= upto, of the topics the read models follow, in log order."""
    return app.recorder.select_notifications(after + 1, limit, stop=upto, topics=list(TOPICS))


def batches(
    app: Bewijsketen, after: int, upto: int, limit: int, prefetch: bool = True
) -> Iterator[Sequence[Notification]]:
    """Every event after `after` up to `upto`, in batches of `limit`, in log order.

    With `prefetch`, a thread reads the next batch while the caller works on this one, so that
    the database's work and the network overlap with the caller's decoding.
    """
    if not prefetch:
        while after < upto:
            batch = read(app, after, upto, limit)
            if not batch:
                return
            yield batch
            after = batch[-1].id
        return
    ready: queue.Queue[Sequence[Notification] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        position = after
        try:
            while position < upto and not stop.is_set():
                batch = read(app, position, upto, limit)
                if not batch:
                    break
                ready.put(batch)
                position = batch[-1].id
            ready.put(None)
        except BaseException as exc:  # handed to the consumer, raised there
            ready.put(exc)

    reader = threading.Thread(target=produce, name="log-prefetch", daemon=True)
    reader.start()
    try:
        while True:
            item = ready.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                ready.get_nowait()
            reader.join(timeout=0.05)


def decode(app: Bewijsketen, notifications: Sequence[Notification]) -> list[Any]:
    """The events as the read models fold them: sealed values not opened (`sealed.decoder`)."""
    to_event = sealed.decoder(app)
    return [to_event(n) for n in notifications]


def count_after(recorder: ApplicationRecorder, position: int, cap: int) -> int:
    """How many events lie after a position, counted up to `cap` (an exact count is linear)."""
    if isinstance(recorder, PostgresApplicationRecorder):
        statement = (
            f'SELECT count(*) AS n FROM (SELECT 1 FROM "{recorder.datastore.schema}".'
            f'"{recorder.events_table_name}" WHERE notification_id > %s LIMIT %s) AS lag'
        )
        with recorder.datastore.transaction(commit=False) as curs:
            curs.execute(statement.encode(), (position, cap))
            row = curs.fetchone()
            return int(row["n"]) if row else 0
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {recorder.events_table_name} "
                "WHERE rowid > ? LIMIT ?)",
                (position, cap),
            )
            return int(c.fetchone()[0])
    return len(recorder.select_notifications(position + 1, cap))


def oldest_pending_at(app: Bewijsketen, position: int) -> datetime | None:
    """When the first event after a position happened (None if there is none)."""
    found = app.recorder.select_notifications(position + 1, 1)
    if not found:
        return None
    mapper = app.mapper
    assert isinstance(mapper, SealingMapper)
    event: Any = mapper.to_sealed_event(found[0])
    moment: datetime = event.timestamp
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
