"""After a shred: the read-model rows of a student's trajectories derived again from their
events, so that the values whose keys are gone read as the placeholder in the tables themselves.

The read models keep sealed references, never plaintext (`projections.sealed`), so a shredded
value is unreadable in them at once; the purge also drops the ciphertext, leaving the
placeholder, and derives every fact again from what the events still say. Each read model is
done in one transaction that holds its tracking row (the runner waits meanwhile); a trajectory
is folded up to the version its stored state reflects, so the increment continues where it was.
Rows of other trajectories are not touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from domain.application import Bewijsketen
from domain.trajectory import Trajectory
from projections import sealed
from projections.config import ProjectionConfig
from projections.engine import ReadModel, load_states, replace_trajectories
from projections.events import Definitions
from projections.models import all_models
from projections.runner import Runner
from projections.state import ProjectionIntegrityError, TrajectoryState, start
from projections.store import ReadStore, open_store


def _fold(events: Sequence[Any], upto: int, definitions: Definitions) -> TrajectoryState:
    first = events[0]
    if not isinstance(first, Trajectory.Started):
        raise ProjectionIntegrityError(
            f"trajectory {first.originator_id} does not begin with its Started event"
        )
    state = start(first)
    definitions.add(state.key, first.definition)
    definition = definitions.get(state.key)
    for event in events[1:]:
        if event.originator_version > upto:
            break
        state.apply(event, definition)
    return state


def purge_trajectories(
    app: Bewijsketen,
    store: ReadStore,
    trajectory_ids: Iterable[uuid.UUID],
    models: Sequence[ReadModel] | None = None,
) -> int:
    """Derives the read-model rows of these trajectories again from their events; returns how
    many trajectories were derived again (those no read model holds yet are skipped)."""
    models = list(models) if models is not None else list(all_models())
    ids = sorted({str(t) for t in trajectory_ids})
    if not ids:
        return 0
    Runner(app, store, models, store.config).ensure()
    app.keys.refresh(force=True)  # every shred so far, another process's too
    decode = sealed.decoder(app)
    events = {tid: [decode(e) for e in app.recorder.select_events(uuid.UUID(tid))] for tid in ids}
    events = {tid: found for tid, found in events.items() if found}
    done: set[str] = set()
    for model in models:
        definitions = Definitions()
        with store.transaction() as tx:
            tx.lock_positions(store.live, [model.name], wait=True)
            old = load_states(tx, store.live, model, list(events), definitions)
            if not old:
                continue
            contributed = {
                tid: model.contributions(state, definitions.get(state.key))
                for tid, state in old.items()
            }
            new = {tid: _fold(events[tid], s.version, definitions) for tid, s in old.items()}
            replace_trajectories(tx, store.live, model, sorted(new), new, contributed, definitions)
        done |= set(new)
    return len(done)


def purge_student(app: Bewijsketen, config: ProjectionConfig, student_id: str) -> int:
    """`purge_trajectories` for every trajectory of a student, with a store of its own (for
    the CLI, which has no projection service)."""
    store = open_store(config)
    try:
        return purge_trajectories(app, store, app.keys.trajectories_of(student_id))
    finally:
        store.close()
