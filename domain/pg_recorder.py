"""A leaner insert path for the PostgreSQL event store, with the library's guarantees.

The library's recorder pipelines a composite-array insert; most of a command's time went to
building that in Python. This recorder sends the same statements as plain SQL: it still takes
`LOCK TABLE … IN EXCLUSIVE MODE` in the inserting transaction (so notification ids are assigned
in commit order and no reader can skip one) and still NOTIFYs the channel the library listens on.
Calls that carry tracking records or use database functions go to the library's own path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier

from eventsourcing.persistence import InterfaceError, OperationalError  # isort: skip


BULK = 8


class LeanPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        # Pool connections are in autocommit mode: one simple-protocol round trip opens the
        # transaction, takes the lock and queues the notification.
        self.lean_prelude: Composed = SQL(
            "BEGIN; SET LOCAL lock_timeout = '{0}s'; LOCK TABLE {1}.{2} IN EXCLUSIVE MODE; "
            "NOTIFY {3}"
        ).format(self.datastore.lock_timeout, *table, Identifier(self.channel_name))
        self.lean_insert: Composed = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s) RETURNING notification_id"
        ).format(*table)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if (
            kwargs.get("tracking") is not None
            or self.datastore.enable_db_functions
            or len(stored_events) > BULK
        ):
            # Bulk loads and tracked writes: the library's pipelined array insert.
            return super().insert_events(stored_events, **kwargs)
        if not stored_events:
            return []
        ids: list[int] = []
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            assert conn.autocommit
            try:
                curs.execute(self.lean_prelude)
                for e in stored_events:
                    curs.execute(
                        self.lean_insert,
                        (e.originator_id, e.originator_version, e.topic, e.state),
                        prepare=True,
                    )
                    row = curs.fetchone()
                    assert row is not None
                    ids.append(int(row["notification_id"]))
                curs.execute(b"COMMIT")
            except BaseException:
                if not conn.closed:
                    curs.execute(b"ROLLBACK")
                raise
        return ids
