"""A leaner insert path for the PostgreSQL event store, with the library's guarantees.

The library's recorder pipelines a composite-array insert; most of a command's time went to
building that in Python. This recorder sends the same statements as plain SQL: it still takes
`LOCK TABLE … IN EXCLUSIVE MODE` in the inserting transaction (so notification ids are assigned
in commit order and no reader can skip one) and still NOTIFYs the channel the library listens on.
Calls that carry tracking records or use database functions go to the library's own path.

`Factory` (PERSISTENCE_MODULE=domain.persistence.recorder:Factory) builds these recorders for
the events and the snapshots, with the retries of `domain.persistence.outage.retry_briefly`
instead of the library's (10 attempts 0.2 s apart, each waiting the pool timeout), and tunes
the connection pool so that
an outage fails fast and the pool reconnects at once when the database is back:

- POSTGRES_POOL_TIMEOUT: seconds a caller waits for a pooled connection (then PoolTimeout);
- POSTGRES_RECONNECT_TIMEOUT: seconds the pool keeps retrying a lost connection before it gives
  it up (its pause between retries doubles meanwhile); a caller that then finds the pool empty
  has it connect anew at once. The library's 300 s let the pause grow past a minute, so the
  pool came back long after the database did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import Environment, EnvType
from psycopg import ClientCursor
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier

from domain.persistence.outage import retry_briefly

BULK = 8
POOL_TIMEOUT = "POSTGRES_POOL_TIMEOUT"
RECONNECT_TIMEOUT = "POSTGRES_RECONNECT_TIMEOUT"


class Factory(PostgresFactory):
    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        pool = self.datastore.pool
        pool.timeout = float(self.env.get(POOL_TIMEOUT) or pool.timeout)
        pool.reconnect_timeout = float(self.env.get(RECONNECT_TIMEOUT) or 2.0)
        # The library sets no connect timeout on the pool's own connections (libpq waits for
        # ever by default); the pool's workers then wait at most this long for a dead host.
        if isinstance(pool.kwargs, dict):
            pool.kwargs.setdefault("connect_timeout", max(2, round(pool.timeout)))


class LeanPostgresAggregateRecorder(PostgresAggregateRecorder):
    """The snapshots' recorder: the library's, with brief retries."""

    @retry_briefly
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return PostgresAggregateRecorder.insert_events.__wrapped__(self, stored_events, **kwargs)

    @retry_briefly
    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        return PostgresAggregateRecorder.select_events.__wrapped__(self, *args, **kwargs)


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

    @retry_briefly
    def select_events(self, *args: Any, **kwargs: Any) -> Any:
        return PostgresAggregateRecorder.select_events.__wrapped__(self, *args, **kwargs)

    @retry_briefly
    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        return PostgresApplicationRecorder.select_notifications.__wrapped__(self, *args, **kwargs)

    @retry_briefly
    def max_notification_id(self) -> int | None:
        return PostgresApplicationRecorder.max_notification_id.__wrapped__(self)

    @retry_briefly
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if (
            kwargs.get("tracking") is not None
            or self.datastore.enable_db_functions
            or len(stored_events) > BULK
        ):
            # Bulk loads and tracked writes: the library's pipelined array insert (without the
            # library's retries: this method's own apply).
            insert = PostgresApplicationRecorder.insert_events.__wrapped__
            return insert(self, stored_events, **kwargs)
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


Factory.aggregate_recorder_class = LeanPostgresAggregateRecorder
Factory.application_recorder_class = LeanPostgresApplicationRecorder
