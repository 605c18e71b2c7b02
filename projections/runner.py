"""The projection runner: one loop for both stores, exactly once, safe with several workers.

Each step is one transaction on the read-model store that
1. locks the tracking rows of the projections (PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so
   a second worker takes the projections the first is not busy with, or waits; SQLite: the
   transaction is `BEGIN IMMEDIATE`, which serialises writers),
2. reads the next batch of events after the lowest of those positions and decodes it once,
3. applies to each projection the events after its own position,
4. writes each projection's new position,
and commits. Rows and position commit together, so a crash anywhere (even SIGKILL) leaves the
previous batch applied and this one not: after a restart it is applied once.

Between steps the runner sleeps until there is something to do: on PostgreSQL it LISTENs on the
event store's channel (the store NOTIFYs it in every inserting transaction) with a polling
fallback; on SQLite, which has no notifications, it polls.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from domain.application import Bewijsketen
from domain.persistence.outage import is_unavailable
from projections import log
from projections.config import ProjectionConfig
from projections.engine import ReadModel, apply_events
from projections.events import Definitions
from projections.failures import Failure, describe, error_text
from projections.store import ReadStore

logger = logging.getLogger("bewijsketen.projections")

LAG_SAMPLES = 10_000
# Pause after a step failed because the database was unreachable, doubling up to this: short,
# so that the read models catch up soon after it is back.
MAX_BACKOFF = 5.0


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class StepResult:
    events: int = 0  # events read from the log in this step
    applied: dict[str, int] = field(default_factory=dict)  # per projection
    caught_up: bool = True
    busy: list[str] = field(default_factory=list)  # projections another worker holds
    positions: dict[str, int] = field(default_factory=dict)  # new position per projection

    def merge(self, other: StepResult) -> None:
        self.events = max(self.events, other.events)
        self.applied.update(other.applied)
        self.positions.update(other.positions)
        self.caught_up = self.caught_up and other.caught_up
        self.busy = sorted(set(self.busy) | set(other.busy))


class Wakeup:
    """Waits for new events: NOTIFY on PostgreSQL, plain polling otherwise."""

    def __init__(self, app: Bewijsketen, config: ProjectionConfig) -> None:
        self.poll_interval = config.poll_interval
        recorder = app.recorder
        self.channel = (
            recorder.channel_name if isinstance(recorder, PostgresApplicationRecorder) else None
        )
        self.url = config.store.database_url
        self.connect_timeout = config.store.connect_timeout
        self._conn: psycopg.Connection[Any] | None = None

    def listen(self) -> None:
        """Starts listening; call before the first step so no notification falls in between."""
        if self.channel is None or self.url is None or self._conn is not None:
            return
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self._conn = conn
        except psycopg.Error as exc:
            logger.warning("cannot LISTEN for new events (%s); polling instead", exc)

    def wait(self, stop: threading.Event) -> bool:
        """Returns when an event may have arrived, the poll interval passed, or stop is set."""
        deadline = time.monotonic() + self.poll_interval
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            slice_ = min(remaining, 0.5)
            if self._conn is None:
                stop.wait(slice_)
                continue
            try:
                notified = False
                for _ in self._conn.notifies(timeout=slice_, stop_after=1):
                    notified = True
                if notified:
                    # Drain what queued up meanwhile: one step serves them all.
                    for _ in self._conn.notifies(timeout=0.0):
                        pass
                    return True
            except psycopg.Error as exc:
                logger.warning("lost the LISTEN connection (%s); polling until it is back", exc)
                self.close()
                stop.wait(min(remaining, self.poll_interval))
                self.listen()
        return False

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


class Runner:
    def __init__(
        self,
        app: Bewijsketen,
        store: ReadStore,
        models: Sequence[ReadModel],
        config: ProjectionConfig,
        worker: str | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.models = {m.name: m for m in models}
        self.config = config
        self.worker = worker or worker_id()
        self.definitions = Definitions()
        self.lag_samples: deque[float] = deque(maxlen=LAG_SAMPLES)
        self.committed = threading.Condition()
        self.batches = 0
        # Projections that met an event they cannot apply (projections/failures.py).
        self.failures: dict[str, Failure] = {}
        self.last_error: str | None = None

    def ensure(self) -> None:
        self.store.ensure(
            {m.name: m.all_tables for m in self.models.values()},
            {m.name: m.fingerprint for m in self.models.values()},
        )

    def step(self, limit: int | None = None, only: Sequence[str] | None = None) -> StepResult:
        """Applies at most one batch to every projection (of `only`) this worker can lock.

        Raises whatever stops the batch; `advance` is the step that never stops on an event.
        """
        limit = limit or self.config.batch_size
        names = sorted(only if only is not None else self.models)
        result = StepResult()
        with self.store.transaction(pipeline=True) as tx:
            positions = tx.lock_positions(self.store.live, names, wait=False)
            result.busy = sorted(set(names) - set(positions))
            if not positions:
                result.caught_up = False
                return result
            start = min(positions.values())
            top = log.head(self.app)
            if top <= start:
                return result
            notifications = log.read(self.app, start, top, limit)
            full = len(notifications) == limit
            # A short batch read everything up to the head, so the position may move to the
            # head even where the last events were of topics the read models do not follow.
            new_position = notifications[-1].id if full else top
            events = log.decode(self.app, notifications)
            ids = [n.id for n in notifications]
            result.events = len(events)
            result.caught_up = not full
            for name, position in sorted(positions.items()):
                if new_position <= position:
                    continue
                mine = events[bisect_right(ids, position) :]
                apply_events(tx, self.store.live, self.models[name], mine, self.definitions)
                tx.set_position(self.store.live, name, new_position, self.worker)
                result.applied[name] = len(mine)
                result.positions[name] = new_position
        if result.applied:
            self._committed(events)
            logger.debug(
                "%s applied %s up to position %d",
                self.worker,
                ", ".join(f"{n}: {k} events" for n, k in sorted(result.applied.items())),
                new_position,
            )
        return result

    def _committed(self, events: Sequence[Any]) -> None:
        now = datetime.now(UTC)
        self.lag_samples.extend((now - e.timestamp).total_seconds() for e in events)
        self.batches += 1
        with self.committed:
            self.committed.notify_all()

    def advance(self, limit: int | None = None) -> StepResult:
        """One step that no event can stop: the projections that are not failed go on together;
        if that batch fails, each goes on alone, so that only the projection that cannot apply
        an event is marked failed (at that event). A failed projection is retried when its
        pause is over. Raises only when the database is unreachable."""
        healthy = [n for n in sorted(self.models) if n not in self.failures]
        due = [n for n, f in sorted(self.failures.items()) if f.due]
        result = StepResult()
        if healthy:
            try:
                result = self.step(limit, healthy)
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                logger.warning("a batch failed (%s); applying each projection alone", exc)
                result = StepResult()
                for name in healthy:
                    result.merge(self._advance_alone(name, limit or self.config.batch_size))
        for name in due:
            # The failing event comes next: try it alone before anything larger.
            result.merge(self._advance_alone(name, 1))
        return result

    def _advance_alone(self, name: str, size: int) -> StepResult:
        """Steps one projection, halving the batch on failure; marks it failed when a single
        event fails. Returns what was applied."""
        done = StepResult()
        full = size
        while True:
            try:
                result = self.step(size, [name])
            except Exception as exc:
                if is_unavailable(exc):
                    raise
                if size > 1:
                    size = max(1, size // 2)
                    continue
                self._failed(name, exc)
                return done
            done.merge(result)
            failure = self.failures.get(name)
            if failure is not None and result.positions.get(name, 0) >= failure.position:
                logger.info("projection %s applied %s; no longer failed", name, failure.event)
                del self.failures[name]
                self.store.clear_failure(name)
            if result.caught_up or result.busy or (size == full and name not in self.failures):
                return done
            if name in self.failures:
                size = 1  # still before the failing event: go on one at a time

    def _failed(self, name: str, exc: BaseException) -> None:
        position = self.store.position(name) or 0
        found = log.read(self.app, position, log.head(self.app), 1)
        at = found[0].id if found else position
        event = describe(self.app, found[0]) if found else f"position {at}"
        failure = self.failures.get(name)
        if failure is not None and failure.position == at:
            failure.again(error_text(exc))
        else:
            failure = self.failures[name] = Failure(name, at, event, error_text(exc))
        logger.error(
            "projection %s cannot apply %s (attempt %d, next in %.0f s): %s",
            name,
            event,
            failure.attempts,
            failure.pause,
            failure.error,
        )
        self.store.record_failure(name, failure.report(), self.worker)

    def catch_up(self, limit: int | None = None) -> int:
        """Steps until every projection has reached the head (as seen at each step), except
        those marked failed (see `failures`)."""
        total = 0
        while True:
            result = self.advance(limit)
            total += result.events
            if result.caught_up and not result.busy:
                return total
            if result.busy and not result.events:
                # Another worker holds some projections: give it time to commit its batch.
                time.sleep(0.05)

    def run(self, stop: threading.Event, wakeup: Wakeup | None = None) -> None:
        """The worker loop, until `stop` is set. Errors are logged and retried with backoff."""
        wakeup = wakeup or Wakeup(self.app, self.config)
        wakeup.listen()
        backoff = self.config.poll_interval
        try:
            while not stop.is_set():
                try:
                    result = self.advance()
                except Exception as exc:
                    self.last_error = error_text(exc)
                    logger.warning("projection step failed; retrying in %.1f s: %s", backoff, exc)
                    stop.wait(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                self.last_error = None
                backoff = self.config.poll_interval
                if result.caught_up and not result.busy:
                    wakeup.wait(stop)
                elif not result.events:
                    stop.wait(min(self.config.poll_interval, 0.2))
        finally:
            wakeup.close()

    def lag_percentiles(self) -> dict[str, float | None]:
        samples = sorted(self.lag_samples)
        if not samples:
            return {"p50": None, "p99": None, "max": None}

        def pick(q: float) -> float:
            return samples[min(len(samples) - 1, int(q * len(samples)))]

        return {"p50": pick(0.5), "p99": pick(0.99), "max": samples[-1]}


def wait_for_position(
    store: ReadStore,
    name: str,
    target: int,
    timeout: float,
    committed: threading.Condition | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Waits (bounded) until projection `name` has applied the log up to `target`.

    Returns the position reached, which is below `target` if the timeout passed first.
    """
    deadline = clock() + timeout
    while True:
        position = store.position(name) or 0
        remaining = deadline - clock()
        if position >= target or remaining <= 0:
            return position
        if committed is not None:
            with committed:
                committed.wait(min(remaining, 0.05))
        else:
            time.sleep(min(remaining, 0.02))


def status(
    app: Bewijsketen, store: ReadStore, names: Sequence[str], cap: int = 100_000
) -> dict[str, Any]:
    """Each projection's position, the log head, and the lag in events and in seconds.

    The lag in events is counted exactly up to `cap`; the lag in seconds is the age of the
    oldest event not yet applied (0 when none is pending).
    """
    top = log.head(app)
    now = datetime.now(UTC)
    tracked = {t.name: t for t in store.tracking()}
    failures = store.failures()
    projections = []
    for name in names:
        t = tracked.get(name)
        position = t.position if t else 0
        lag_events = log.count_after(app.recorder, position, cap) if position < top else 0
        oldest = log.oldest_pending_at(app, position) if lag_events else None
        lag_seconds = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
        projections.append(
            {
                "name": name,
                "position": position,
                "head": top,
                "lag_events": lag_events,
                "lag_events_capped": lag_events >= cap,
                "lag_seconds": round(lag_seconds, 3),
                "updated_at": _text(t.updated_at) if t else None,
                "rebuilt_at": _text(t.rebuilt_at) if t else None,
                "worker": t.worker if t else None,
                "state": "failed" if name in failures else "running",
                "failure": failures.get(name),
            }
        )
    return {"head": top, "projections": projections}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)
