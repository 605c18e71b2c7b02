"""How a read model's tables follow the trajectories' states, incrementally or all at once.

A read model is three pure functions of one trajectory's state: its rows (replaced when they
change), its contributions to aggregates (the difference between old and new is added), and a
refresh of derived aggregate columns. Because the same functions serve the increment and the
rebuild, an incrementally maintained table can only differ from a rebuilt one if an event was
missed or applied twice, which is what the tests look for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from domain.program import ProgramDefinition
from domain.trajectory import Trajectory
from projections import codec
from projections.events import DefinitionKey, Definitions
from projections.schema import Column, Table, TableSet
from projections.state import STATE_VERSION, ProjectionIntegrityError, TrajectoryState, start
from projections.store import Namespace, Tx

Row = tuple[Any, ...]
Rows = dict[str, list[Row]]  # per rows-table
Contributions = dict[str, dict[Row, tuple[int, ...]]]  # per aggregate table: key -> values
Touched = dict[str, set[Row]]  # per aggregate table: keys whose sums changed


class ReadModel(ABC):
    """One projection: its name, its tables and how a trajectory's state maps onto them."""

    name: str
    tables: tuple[Table, ...]

    @abstractmethod
    def rows(self, state: TrajectoryState, definition: ProgramDefinition) -> Rows: ...

    def contributions(self, state: TrajectoryState, definition: ProgramDefinition) -> Contributions:
        return {}

    def refresh(self, tx: Tx, ns: Namespace, touched: Touched) -> None:  # noqa: B027
        """Recomputes derived aggregate columns for the keys whose sums changed (if any)."""

    # ---- the tables every read model has besides its own

    @property
    def state_table(self) -> Table:
        return Table(
            f"{self.name}_state",
            "state",
            (
                Column("trajectory_id", "uuid"),
                Column("program_id", "uuid"),
                Column("program_version", "int"),
                Column("state", "bytes", doc="zlib-compressed JSON"),
            ),
            key=("trajectory_id",),
            doc="working state per trajectory (internal)",
        )

    @property
    def definitions_table(self) -> Table:
        return Table(
            f"{self.name}_definitions",
            "definitions",
            (
                Column("program_id", "uuid"),
                Column("program_version", "int"),
                Column("definition", "text"),
            ),
            key=("program_id", "program_version"),
            doc="program versions the trajectories run under (internal)",
        )

    @property
    def all_tables(self) -> tuple[Table, ...]:
        return (*self.tables, self.state_table, self.definitions_table)

    @property
    def fingerprint(self) -> str:
        return f"{TableSet(self.all_tables).fingerprint()}.{STATE_VERSION}"

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)

    @property
    def rows_tables(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.kind == "rows")

    @property
    def aggregate_tables(self) -> tuple[Table, ...]:
        return tuple(t for t in self.tables if t.kind == "aggregate")


def _aggregate_row(table: Table, key: Row, values: tuple[int, ...]) -> Row:
    return (*key, *values, *([None] * len(table.derived)))


def _load_definitions(
    tx: Tx, ns: Namespace, model: ReadModel, keys: Iterable[DefinitionKey], definitions: Definitions
) -> None:
    missing = sorted({k for k in keys if k not in definitions})
    if not missing:
        return
    table = model.definitions_table
    for program_id, version in missing:
        found = tx.fetchall(
            f"SELECT definition FROM {ns.q(table.name)} "
            f"WHERE program_id = {tx.ph} AND program_version = {tx.ph}",
            (program_id, version),
        )
        if not found:
            raise ProjectionIntegrityError(
                f"{model.name}: program {program_id} version {version} was never started on"
            )
        definitions.add((program_id, version), codec.loads(found[0][0]))


def apply_events(
    tx: Tx,
    ns: Namespace,
    model: ReadModel,
    events: Sequence[Any],
    definitions: Definitions,
) -> None:
    """Applies a batch of events (in log order) to one read model's tables in `ns`."""
    if not events:
        return
    ids = list(dict.fromkeys(str(e.originator_id) for e in events))
    states = load_states(tx, ns, model, ids, definitions)

    # Sums need what each trajectory contributed before; its own rows are simply replaced
    # (nearly every event changes them anyway: version, time of the latest activity).
    old_contrib: dict[str, Contributions] = {}
    for tid, state in states.items():
        old_contrib[tid] = model.contributions(state, definitions.get(state.key))

    new_definitions: list[Row] = []
    for event in events:
        tid = str(event.originator_id)
        known = states.get(tid)
        if known is not None:
            if isinstance(event, Trajectory.Started):
                raise ProjectionIntegrityError(f"{model.name}: trajectory {tid} started twice")
            known.apply(event, definitions.get(known.key))
            continue
        if not isinstance(event, Trajectory.Started):
            raise ProjectionIntegrityError(
                f"{model.name}: {type(event).__name__} for trajectory {tid}, never started"
            )
        opened = start(event)
        definitions.add(opened.key, event.definition)
        new_definitions.append(
            (opened.program_id, opened.program_version, codec.dumps(event.definition))
        )
        states[tid] = opened

    if new_definitions:
        table = model.definitions_table
        tx.executemany(
            f"INSERT INTO {ns.q(table.name)} (program_id, program_version, definition) "
            f"VALUES ({tx.ph}, {tx.ph}, {tx.ph}) ON CONFLICT (program_id, program_version) "
            f"DO NOTHING",
            new_definitions,
        )
    replace_trajectories(tx, ns, model, ids, states, old_contrib, definitions)


def load_states(
    tx: Tx, ns: Namespace, model: ReadModel, ids: Sequence[str], definitions: Definitions
) -> dict[str, TrajectoryState]:
    """The stored states of those trajectories the model holds (their definitions loaded)."""
    states: dict[str, TrajectoryState] = {
        str(tid): TrajectoryState.decode(bytes(stored))
        for tid, stored in tx.select_by_trajectories(
            ns, model.state_table, ("trajectory_id", "state"), ids
        )
    }
    _load_definitions(tx, ns, model, (s.key for s in states.values()), definitions)
    return states


def replace_trajectories(
    tx: Tx,
    ns: Namespace,
    model: ReadModel,
    ids: Sequence[str],
    states: dict[str, TrajectoryState],
    old_contrib: dict[str, Contributions],
    definitions: Definitions,
) -> None:
    """Writes the trajectories' new states: their rows replaced, the aggregates moved by the
    difference from what they contributed before (`old_contrib`), the states stored."""
    inserts: dict[str, list[Row]] = defaultdict(list)
    deltas: dict[str, dict[Row, list[int]]] = {}
    for tid in ids:
        state = states[tid]
        definition = definitions.get(state.key)
        for name, rows in model.rows(state, definition).items():
            inserts[name] += rows
        contrib = model.contributions(state, definition)
        old = old_contrib.get(tid, {})
        for table in model.aggregate_tables:
            _difference(deltas, table, old.get(table.name, {}), contrib.get(table.name, {}))

    for table in model.rows_tables:
        tx.delete_trajectories(ns, table, ids)
        if inserts[table.name]:
            tx.insert_rows(ns, table, inserts[table.name])

    touched: Touched = {}
    for table in model.aggregate_tables:
        delta = {key: values for key, values in deltas.get(table.name, {}).items() if any(values)}
        if delta:
            tx.add_to_aggregate(ns, table, [(*key, *values) for key, values in delta.items()])
            touched[table.name] = set(delta)

    state_table = model.state_table
    tx.delete_trajectories(ns, state_table, ids)
    tx.insert_rows(
        ns,
        state_table,
        [
            (tid, states[tid].program_id, states[tid].program_version, states[tid].encode())
            for tid in ids
        ],
    )
    model.refresh(tx, ns, touched)


def _difference(
    deltas: dict[str, dict[Row, list[int]]],
    table: Table,
    old: dict[Row, tuple[int, ...]],
    new: dict[Row, tuple[int, ...]],
) -> None:
    """Adds new minus old, per aggregate key, to the batch's running differences."""
    if old == new:
        return
    delta = deltas.setdefault(table.name, {})
    zero = (0,) * len(table.values)
    for key in old.keys() | new.keys():
        before, after = old.get(key, zero), new.get(key, zero)
        if before != after:
            running = delta.setdefault(key, [0] * len(zero))
            for i, (b, a) in enumerate(zip(before, after, strict=True)):
                running[i] += a - b


def write_all(
    tx: Tx,
    ns: Namespace,
    model: ReadModel,
    states: Sequence[TrajectoryState],
    definitions: Definitions,
    encoded: Sequence[bytes] | None = None,
) -> None:
    """Writes a read model's tables from scratch into empty tables (the rebuild).

    `encoded` may hold each state's stored form, when several read models are written from the
    same states: encoding them once is a good part of the work.
    """
    rows: dict[str, list[Row]] = defaultdict(list)
    sums: dict[str, dict[Row, list[int]]] = defaultdict(dict)
    state_rows: list[Row] = []
    keys: set[DefinitionKey] = set()
    for index, state in enumerate(states):
        definition = definitions.get(state.key)
        keys.add(state.key)
        for name, table_rows in model.rows(state, definition).items():
            rows[name] += table_rows
        for name, contributions in model.contributions(state, definition).items():
            table_sums = sums[name]
            for key, values in contributions.items():
                total = table_sums.get(key)
                if total is None:
                    table_sums[key] = list(values)
                else:
                    for i, v in enumerate(values):
                        total[i] += v
        stored = encoded[index] if encoded is not None else state.encode()
        state_rows.append((state.trajectory_id, state.program_id, state.program_version, stored))
    for table in model.rows_tables:
        tx.insert_rows(ns, table, rows.get(table.name, []))
    touched: Touched = {}
    for table in model.aggregate_tables:
        table_sums = sums.get(table.name, {})
        tx.insert_rows(
            ns,
            table,
            [_aggregate_row(table, key, tuple(v)) for key, v in table_sums.items() if any(v)],
        )
        touched[table.name] = {key for key, v in table_sums.items() if any(v)}
    tx.insert_rows(ns, model.state_table, state_rows)
    tx.insert_rows(
        ns,
        model.definitions_table,
        [
            (pid, version, codec.dumps(definitions.raw((pid, version))))
            for pid, version in sorted(keys)
        ],
    )
    model.refresh(tx, ns, touched)
