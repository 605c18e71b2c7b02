"""Rebuilding read models from position 0, beside the live tables, then swapping them in.

1. Read the whole log up to its current head in large batches, decode each event once and fold
   it into one in-memory state per trajectory (shared by all the read models being rebuilt).
2. Write every table of those read models into empty tables beside the live ones (PostgreSQL:
   a separate schema, bulk-loaded with COPY, indexed afterwards; SQLite: tables with a suffix).
3. In one transaction that locks the projections' tracking rows: apply the events that arrived
   meanwhile to the new tables (the ordinary incremental path), drop the old tables, move the
   new ones in and set the positions. Readers see the old tables until this commits, and the
   position never goes backwards.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from domain.application import Bewijsketen
from domain.persistence.outage import is_unavailable
from domain.trajectory import Trajectory
from projections import log, sealed
from projections.engine import ReadModel, apply_events, write_all
from projections.events import Definitions
from projections.failures import PoisonEvent, describe, error_text
from projections.runner import Runner, worker_id
from projections.state import ProjectionIntegrityError, TrajectoryState, start
from projections.store import ReadStore

READ_BATCH = 10_000
Progress = Callable[[int, int], None]  # (position reached, head)


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The rebuild keeps every trajectory's state alive while it folds a million events; the
    cyclic garbage collector would walk that growing heap again and again (a third of the
    time, measured), and finds nothing: decoded events are freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def fold(
    app: Bewijsketen,
    upto: int,
    definitions: Definitions,
    progress: Progress | None = None,
    batch: int = READ_BATCH,
) -> dict[uuid.UUID, TrajectoryState]:
    """Every trajectory's state after the log up to `upto`, read and decoded once."""
    states: dict[uuid.UUID, TrajectoryState] = {}
    to_domain_event = sealed.decoder(app)  # sealed values are kept, never opened
    for notifications in log.batches(app, 0, upto, batch):
        for notification in notifications:
            event: Any = to_domain_event(notification)
            state = states.get(event.originator_id)
            if state is None:
                if not isinstance(event, Trajectory.Started):
                    raise ProjectionIntegrityError(
                        f"{type(event).__name__} for trajectory {event.originator_id} before "
                        "its Started event"
                    )
                state = start(event)
                definitions.add(state.key, event.definition)
                states[event.originator_id] = state
            else:
                state.apply(event, definitions.get(state.key))
        if progress is not None:
            progress(notifications[-1].id, upto)
    if progress is not None:
        progress(upto, upto)
    return states


def write_built(
    store: ReadStore,
    models: Sequence[ReadModel],
    states: dict[uuid.UUID, TrajectoryState],
    definitions: Definitions,
) -> None:
    """Writes the read models' tables from the folded states into the build namespace."""
    ordered = [states[k] for k in sorted(states, key=str)]
    encoded = [state.encode() for state in ordered]  # the same stored state for every model

    def write(model: ReadModel) -> None:
        with store.transaction() as tx:
            write_all(tx, store.build, model, ordered, definitions, encoded)
        store.finish_build(model.all_tables)

    if store.dialect == "pg":
        # Two writers: while one builds rows in Python, the server loads or indexes the other's.
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="rebuild") as pool:
            for done in [pool.submit(write, model) for model in models]:
                done.result()
    else:
        for model in models:  # SQLite has one writer at a time anyway
            write(model)


class RebuildFailed(RuntimeError):
    """Some read models cannot be rebuilt: each meets an event it cannot apply (named). The
    others were rebuilt and swapped in at `position` (None if there were none)."""

    def __init__(
        self, poisoned: list[PoisonEvent], rebuilt: list[str], position: int | None
    ) -> None:
        super().__init__("; ".join(str(p) for p in poisoned))
        self.poisoned = poisoned
        self.rebuilt = rebuilt
        self.position = position


def locate_poison(
    app: Bewijsketen, store: ReadStore, model: ReadModel, batch_size: int
) -> PoisonEvent | None:
    """The first event the model cannot apply, found by applying the log to empty tables
    beside the live ones in batches that halve on failure (None if every event applies)."""
    definitions = Definitions()
    store.prepare_build(model.all_tables)
    position, top, size = 0, log.head(app), batch_size
    while position < top:
        notifications = log.read(app, position, top, size)
        if not notifications:
            return None
        try:
            with store.transaction() as tx:
                apply_events(tx, store.build, model, log.decode(app, notifications), definitions)
        except Exception as exc:
            if is_unavailable(exc):
                raise
            if size == 1:
                found = notifications[0]
                return PoisonEvent(model.name, found.id, describe(app, found), error_text(exc))
            size = max(1, size // 2)
            continue
        position = notifications[-1].id
    return None


def rebuild(
    app: Bewijsketen,
    store: ReadStore,
    models: Sequence[ReadModel],
    batch_size: int = 1000,
    progress: Progress | None = None,
    stage: Callable[[str], None] | None = None,
) -> int:
    """Rebuilds the given read models; returns the log position they were swapped in at.

    If an event stops the rebuild, each model's first event it cannot apply is found, the
    models that apply every event are rebuilt all the same, and `RebuildFailed` names the
    events of the others (their live tables stay as they were)."""
    with store.rebuild_lock():
        try:
            return _rebuild(app, store, models, batch_size, progress, stage)
        except Exception as exc:
            if is_unavailable(exc):
                raise
            if stage is not None:
                stage(f"looking for the event that stopped the rebuild ({type(exc).__name__})")
            poisoned = [
                found
                for model in models
                if (found := locate_poison(app, store, model, batch_size)) is not None
            ]
            store.drop_build()
            if not poisoned:
                raise
        names = {p.name for p in poisoned}
        healthy = [m for m in models if m.name not in names]
        position = _rebuild(app, store, healthy, batch_size, None, stage) if healthy else None
        raise RebuildFailed(poisoned, [m.name for m in healthy], position)


def _rebuild(
    app: Bewijsketen,
    store: ReadStore,
    models: Sequence[ReadModel],
    batch_size: int,
    progress: Progress | None,
    stage: Callable[[str], None] | None,
) -> int:
    runner = Runner(app, store, models, store.config, worker=f"rebuild@{worker_id()}")
    runner.ensure()
    tables = [t for m in models for t in m.all_tables]
    definitions = runner.definitions
    built_at = log.head(app)
    with without_cycle_collection():
        states = fold(app, built_at, definitions, progress)
        if stage is not None:
            stage(f"writing {len(states)} trajectories into new tables")
        store.prepare_build(tables)
        write_built(store, models, states, definitions)
        del states
    if stage is not None:
        stage("catching up and swapping the new tables in")
    names = sorted(m.name for m in models)
    with store.transaction() as tx:
        tx.lock_positions(store.live, names, wait=True)
        position = built_at
        while True:
            # Events that arrived during the build go through the incremental path.
            top = log.head(app)
            notifications = log.read(app, position, top, batch_size)
            events = log.decode(app, notifications)
            for model in models:
                apply_events(tx, store.build, model, events, definitions)
            if len(notifications) < batch_size:
                position = top
                break
            position = notifications[-1].id
        store.swap(tx, tables)
        for model in models:
            tx.set_position(store.live, model.name, position, runner.worker, model.fingerprint)
    store.drop_build()
    for model in models:
        store.clear_failure(model.name)
    return position
