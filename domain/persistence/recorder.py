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
from psycopg import ClientCursor
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from eventsourcing.persistence import InterfaceError, OperationalError  # isort: skip


BULK = 8


class LeanPostgresApplicationRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        # The whole transaction is one simple-protocol query with client-side bound values:
        # the table lock is held for a single round trip, and never while this process waits
        # for the GIL between statements.
        self.lean_head: Composed = SQL(
            "BEGIN; SET LOCAL lock_timeout = '{0}s'; LOCK TABLE {1}.{2} IN EXCLUSIVE MODE; "
            "NOTIFY {3}; INSERT INTO {1}.{2} (originator_id, originator_version, topic, state) "
            "VALUES "
        ).format(self.datastore.lock_timeout, *table, Identifier(self.channel_name))
        self.lean_row = SQL("(%s, %s, %s, %s)")
        self.lean_tail = SQL(" RETURNING notification_id; COMMIT")

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
        query = self.lean_head + SQL(", ").join([self.lean_row] * len(stored_events))
        query += self.lean_tail
        params: list[Any] = []
        for e in stored_events:
            params += [e.originator_id, e.originator_version, e.topic, e.state]
        with self.datastore.get_connection() as conn:
            assert conn.autocommit
            curs = ClientCursor(conn, row_factory=tuple_row)
            try:
                curs.execute(query, params)
                ids: list[int] = []
                while True:
                    if curs.pgresult is not None and curs.pgresult.ntuples:
                        ids.extend(int(r[0]) for r in curs.fetchall())
                    if not curs.nextset():
                        break
            except BaseException:
                if not conn.closed:
                    conn.execute(b"ROLLBACK")
                raise
            finally:
                curs.close()
        # Values are inserted in order, so their serial ids ascend in the same order.
        return sorted(ids)
