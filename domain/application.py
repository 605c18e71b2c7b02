"""The application service: one `execute` for every command, and the queries.

`execute` is the service layer of every write: it finds the aggregate the command acts on,
authorises the actor by their relation to it (`domain.policy`), answers a repeated request from
the events it caused before, checks If-Match, lets the aggregate decide (`domain.commands.handles`
marks the method), saves, and on a version conflict loads again and decides again (bounded).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Transcoder,
)
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from eventsourcing.utils import get_topic
from psycopg import sql

from domain import policy
from domain.aggregate import RecordedAggregate
from domain.commands import Command, StartTrajectory, all_commands
from domain.context import acting
from domain.directory import Directory
from domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DomainError,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    VersionMismatch,
)
from domain.persistence.command_cache import CommandCache
from domain.persistence.config import StoreConfig
from domain.persistence.positions import log_position
from domain.persistence.transcodings import register_all
from domain.privacy.database import database_of
from domain.privacy.kek import Kek, KekSource
from domain.privacy.keys import KeyStore, ShredNotice
from domain.privacy.ledger import PrivacyRecord
from domain.privacy.mapper import SealingMapper, SnapshotStore, sealing_for
from domain.program import Program
from domain.trajectory import Trajectory
from domain.values import Actor, CommandRef, Decision

AGGREGATES: tuple[type[RecordedAggregate], ...] = (Program, Trajectory, PrivacyRecord)
# The events one command writes lie at the end of its versions; none writes more than this.
MAX_EVENTS_PER_COMMAND = 8


@dataclass(frozen=True)
class CommandResult:
    """What every command answers: the aggregate, its new version and the log position."""

    aggregate_id: uuid.UUID
    version: int
    position: int | None
    replayed: bool = False
    value: Any = None


@dataclass(frozen=True)
class Handler:
    """How a command is decided: by which aggregate method, with which context."""

    command: type[Command]
    aggregate: type[RecordedAggregate]
    name: str
    creates: bool
    wants: frozenset[str]  # of "program", "actor"

    def call(self, target: Any, command: Command, context: dict[str, Any]) -> Any:
        method = getattr(target, self.name)
        return method(command, **{k: context[k] for k in self.wants})


def dispatch_table() -> dict[type[Command], Handler]:
    """Every command's handler, found by the `handles` marks on the aggregates' methods."""
    table: dict[type[Command], Handler] = {}
    for aggregate in AGGREGATES:
        for name, member in vars(aggregate).items():
            function = member.__func__ if isinstance(member, classmethod) else member
            command = getattr(function, "__handles__", None)
            if command is None:
                continue
            if command in table:
                raise TypeError(f"{command.__name__} is handled twice")
            wanted = set(inspect.signature(function).parameters) & {"program", "actor"}
            table[command] = Handler(
                command, aggregate, name, isinstance(member, classmethod), frozenset(wanted)
            )
    missing = [cmd.__name__ for cmd in all_commands() if cmd not in table]
    if missing:
        raise TypeError(f"commands without a handler: {missing}")
    return table


DISPATCH = dispatch_table()


def fingerprint(command: Command, actor: Actor) -> str:
    """sha256 over what makes two requests the same request: the command and who sends it.

    The command in canonical JSON, so key order, whitespace and spelled-out defaults do not
    matter."""
    canonical = json.dumps(
        command.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    text = "\n".join((type(command).__name__, actor.person_id, actor.role.value, canonical))
    return hashlib.sha256(text.encode()).hexdigest()


DECISIONS = {
    Trajectory.DecisionRatified: Decision.RATIFIED,
    Trajectory.DecisionReferredBack: Decision.REFERRED_BACK,
}


def _answer_of(command: Command, events: list[Any]) -> Any:
    """The value a command answered, read back from the events it wrote (for a repeat): the
    named field of its first event, or for a vote, the decision its last event records."""
    if command.result is None or not events:
        return None
    if command.result.name == "decision":
        return DECISIONS.get(type(events[-1]))
    return getattr(events[0], command.result.name)


class Bewijsketen(Application[uuid.UUID]):
    name = "bewijsketen"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Trajectory: 50}
    # Retries after a version conflict; set from the store configuration by the factory.
    command_retries = 8

    def __init__(
        self,
        env: Any = None,
        cache_size: int = 1000,
        kek: KekSource | Kek | None = None,
        keys: KeyStore | None = None,
    ) -> None:
        """`kek`: where the key-encryption key comes from (default: BEWIJSKETEN_KEK or
        BEWIJSKETEN_KEK_FILE in the environment; an in-memory store without one gets a fresh
        key). `keys`: another application's key store, shared (the demo's in-memory twin seals
        exactly as the store it is copied into)."""
        super().__init__(env)
        self.command_cache = CommandCache(cache_size)
        self.directory = Directory(self.recorder, self.mapper)
        # Version conflicts met by commands (each one retried or reported); for monitoring.
        self.conflicts_met = 0
        if keys is None:
            keys = KeyStore(
                database_of(self.recorder),
                kek if kek is not None else self._kek_from_env(),
                next_position=lambda: (self.recorder.max_notification_id() or 0) + 1,
                started=self._started_trajectories,
            )
            keys.resolve_owner = self._student_of
        self.keys = keys
        self.sealing_mapper.keys = keys
        keys.on_shred(self._shredded)

    def close(self) -> None:
        self.keys.off_shred(self._shredded)
        super().close()

    @property
    def sealing_mapper(self) -> SealingMapper:
        """The mapper, as the sealing mapper it is (`domain.privacy.mapper`)."""
        assert isinstance(self.mapper, SealingMapper)
        return self.mapper

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        return SealingMapper(self.construct_transcoder())

    def construct_snapshot_store(self) -> EventStore[uuid.UUID]:
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return SnapshotStore(mapper=self.mapper, recorder=recorder)

    def _kek_from_env(self) -> KekSource | Kek:
        value = self.env.get("BEWIJSKETEN_KEK")
        file = self.env.get("BEWIJSKETEN_KEK_FILE")
        if value is None and file is None and database_of(self.recorder).in_memory:
            # Nothing outlives the process: a key of its own is as good as any.
            return Kek.generate()
        return KekSource(value=value, file=Path(file) if file else None)

    def _started_trajectories(self) -> Iterator[tuple[uuid.UUID, str]]:
        """Every trajectory in the store with its student, in log order."""
        topic = get_topic(Trajectory.Started)
        start = 1
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic])
            if not batch:
                return
            for notification in batch:
                started = self.sealing_mapper.to_sealed_event(notification)
                yield started.originator_id, started.student_id
            start = batch[-1].id + 1

    def _student_of(self, trajectory_id: uuid.UUID) -> str | None:
        for stored in self.recorder.select_events(trajectory_id, lte=1):
            started = self.sealing_mapper.to_sealed_event(stored)
            return getattr(started, "student_id", None)
        return None

    def _shredded(self, notice: ShredNotice) -> None:
        """Nothing decrypted outlives a shred: the student's aggregates leave the command
        cache, and (by the process that shredded) their snapshots are deleted."""
        trajectories = self.keys.trajectories_of(notice.student_id)
        for trajectory_id in trajectories:
            self.command_cache.evict(trajectory_id)
        if notice.local:
            self.delete_snapshots(trajectories)

    def delete_snapshots(self, trajectory_ids: list[uuid.UUID]) -> int:
        """Deletes every snapshot of these aggregates; returns how many went."""
        if self.snapshots is None or not trajectory_ids:
            return 0
        recorder = self.snapshots.recorder
        deleted = 0
        if isinstance(recorder, PostgresAggregateRecorder):
            query = sql.SQL("DELETE FROM {}.{} WHERE originator_id = ANY(%s)").format(
                sql.Identifier(recorder.datastore.schema),
                sql.Identifier(recorder.events_table_name),
            )
            with recorder.datastore.transaction(commit=True) as curs:
                curs.execute(query, (list(trajectory_ids),))
                deleted = curs.rowcount
        elif isinstance(recorder, SQLiteAggregateRecorder):
            marks = ", ".join("?" for _ in trajectory_ids)
            with recorder.datastore.transaction(commit=True) as c:
                c.execute(
                    f"DELETE FROM {recorder.events_table_name} WHERE originator_id IN ({marks})",
                    [t.hex for t in trajectory_ids],
                )
                deleted = c.sqlite_cursor.rowcount
        else:
            stored = getattr(recorder, "_stored_events_index", None)
            if isinstance(stored, dict):
                for trajectory_id in trajectory_ids:
                    deleted += len(stored.pop(str(trajectory_id), {}))
        return deleted

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_all(transcoder)

    def construct_transcoder(self) -> Transcoder:
        transcoder = JSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    # ---- commands

    def execute(
        self,
        command: Command,
        actor: Actor,
        idempotency: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Runs one command as `actor`. `idempotency` is the request's key: a repeat with the
        same key and command answers as the first time and writes nothing; `expected_version`
        (If-Match) refuses the command if the aggregate has moved on."""
        handler = DISPATCH[type(command)]
        self.keys.refresh()
        ref = CommandRef(idempotency, fingerprint(command, actor)) if idempotency else None
        if handler.creates:
            return self._create(handler, command, actor, ref)
        target = command.target_field()
        assert target is not None
        aggregate_id = getattr(command, target)
        return self._decide(handler, aggregate_id, command, actor, ref, expected_version)

    def _authorize(self, command: Command, actor: Actor, aggregate: Any) -> policy.Permission:
        if isinstance(aggregate, Trajectory):
            return policy.authorize(
                command.issuers(),
                command.rule,
                actor,
                aggregate.program_id,
                aggregate,
                self.directory,
                ("trajectory", aggregate.id),
                policy.READ_TRAJECTORY,
            )
        return policy.authorize(
            command.issuers(),
            command.rule,
            actor,
            aggregate.id if aggregate is not None else None,
            None,
            self.directory,
            ("program", getattr(aggregate, "id", None)),
            policy.READS["program"].readers,
        )

    def _context(self, handler: Handler, actor: Actor, aggregate: Any) -> dict[str, Any]:
        context: dict[str, Any] = {"actor": actor}
        if "program" in handler.wants:
            context["program"] = self.directory.program(aggregate.program_id)
        return context

    def _decide(
        self,
        handler: Handler,
        aggregate_id: uuid.UUID,
        command: Command,
        actor: Actor,
        ref: CommandRef | None,
        expected_version: int | None,
    ) -> CommandResult:
        """Load, authorise, decide, save; on a version conflict load and decide again."""
        cls = handler.aggregate
        for attempt in range(self.command_retries + 1):
            with self.command_cache.lock_for(aggregate_id):
                # A shred seen meanwhile may have evicted this aggregate: then it is not put back.
                generation = self.keys.generation
                aggregate: Any = self.command_cache.get(aggregate_id) if attempt == 0 else None
                if not isinstance(aggregate, cls) or (
                    expected_version is not None and aggregate.version != expected_version
                ):
                    aggregate = self._load(cls, aggregate_id)
                permission = self._authorize(command, actor, aggregate)
                try:
                    replay = self._replay(aggregate, command, ref)
                    if replay is not None:
                        return replay
                    if expected_version is not None and aggregate.version != expected_version:
                        raise VersionMismatch(expected_version, aggregate.version)
                    with acting(actor, ref, sealing_for(type(command))):
                        value = handler.call(
                            aggregate, command, self._context(handler, actor, aggregate)
                        )
                        position = self._save(aggregate)
                except IntegrityError:
                    self.command_cache.evict(aggregate_id)
                    self.conflicts_met += 1
                    if expected_version is not None:
                        # The winner may have been this very request, sent twice.
                        fresh: Any = self._load(cls, aggregate_id)
                        replay = self._replay(fresh, command, ref)
                        if replay is not None:
                            return replay
                        raise self._masked(
                            VersionMismatch(expected_version, fresh.version), permission, fresh
                        ) from None
                except DomainError as refused:
                    self.command_cache.evict(aggregate_id)
                    raise self._masked(refused, permission, aggregate) from None
                except BaseException:
                    # A refused command leaves no pending events behind in the cache.
                    self.command_cache.evict(aggregate_id)
                    raise
                else:
                    if self.keys.generation == generation:
                        self.command_cache.put(aggregate_id, aggregate)
                    return CommandResult(aggregate.id, aggregate.version, position, value=value)
            time.sleep(random.uniform(0, 0.002 * (2**attempt)))
        raise ConcurrencyConflict(
            f"{cls.__name__} {aggregate_id} kept changing; gave up after "
            f"{self.command_retries + 1} attempts"
        )

    @staticmethod
    def _masked(refused: DomainError, permission: policy.Permission, aggregate: Any) -> Exception:
        """A caller who may not read the trajectory learns nothing from a refusal: to them it
        does not exist (their own reused idempotency key excepted)."""
        if permission.reader or isinstance(refused, IdempotencyMismatch):
            return refused
        return policy.not_found("trajectory", aggregate.id)

    def _create(
        self, handler: Handler, command: Command, actor: Actor, ref: CommandRef | None
    ) -> CommandResult:
        program_id = getattr(command, "program_id", None)
        if isinstance(command, StartTrajectory):
            try:
                self.directory.program(command.program_id)
            except NotFound:
                # The program is named in the body, not the path: an invalid reference.
                raise InvalidInput("R4", f"there is no program {command.program_id}") from None
        policy.authorize(
            command.issuers(),
            command.rule,
            actor,
            program_id,
            command.subject(),
            self.directory,
            ("program", program_id),
            policy.READS["program"].readers,
        )
        context: dict[str, Any] = {"actor": actor}
        if "program" in handler.wants:
            assert isinstance(program_id, uuid.UUID)
            context["program"] = self.directory.program(program_id)
        with acting(actor, ref, sealing_for(type(command))):
            aggregate = handler.call(handler.aggregate, command, context)
            try:
                position = self._save(aggregate)
            except IntegrityError:
                existing: Any = self._load(handler.aggregate, aggregate.id)
                replay = self._replay(existing, command, ref)
                if replay is not None:
                    return replay
                raise AlreadyExists(handler.aggregate.__name__.lower(), aggregate.id) from None
        return CommandResult(aggregate.id, aggregate.version, position)

    def _replay(
        self, aggregate: Any, command: Command, ref: CommandRef | None
    ) -> CommandResult | None:
        """The first answer to a repeated request, rebuilt from the events it wrote."""
        if ref is None or ref.key not in aggregate.commands:
            return None
        recorded_fingerprint, recorded_version = aggregate.commands[ref.key]
        if recorded_fingerprint != ref.fingerprint:
            raise IdempotencyMismatch(ref.key)
        version = int(recorded_version)
        recent: list[Any] = list(
            self.events.get(aggregate.id, gt=max(0, version - MAX_EVENTS_PER_COMMAND), lte=version)
        )
        events = [e for e in recent if e.command is not None and e.command.key == ref.key]
        position = log_position(self.recorder, aggregate.id, version)
        return CommandResult(
            aggregate.id, version, position, replayed=True, value=_answer_of(command, events)
        )

    def _save(self, aggregate: RecordedAggregate) -> int | None:
        followed = isinstance(aggregate, Program) or aggregate.version == 1
        recordings = self.save(aggregate)
        if followed:
            # The directory follows programs and the start of trajectories: see it at once.
            self.directory.stale()
        return recordings[-1].notification.id if recordings else None

    # ---- loading

    def _load(self, cls: type[Any], aggregate_id: uuid.UUID, version: int | None = None) -> Any:
        try:
            aggregate: Any = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise policy.not_found(cls.__name__.lower(), aggregate_id) from None
        if getattr(aggregate, "stale_snapshot", False):
            # A snapshot of an older state shape: rebuild from the events instead.
            aggregate = project_aggregate(None, self.events.get(aggregate_id, lte=version))
        if not isinstance(aggregate, cls):
            raise policy.not_found(cls.__name__.lower(), aggregate_id)
        return aggregate

    # ---- queries

    def get_program(self, program_id: uuid.UUID) -> Program:
        """The program as stored now (shared with the directory: do not change it)."""
        return self.directory.program(program_id)

    def get_trajectory(self, trajectory_id: uuid.UUID, version: int | None = None) -> Trajectory:
        self.keys.refresh()
        trajectory: Trajectory = self._load(Trajectory, trajectory_id, version)
        if version is not None and trajectory.version != version:
            raise NotFound("trajectory version", version)
        return trajectory

    def version_at(self, trajectory_id: uuid.UUID, moment: datetime) -> int:
        """The trajectory's last version recorded at or before a moment."""
        version = None
        for domain_event in self.trajectory_events(trajectory_id):
            if domain_event.timestamp > moment:
                break
            version = domain_event.originator_version
        if version is None:
            raise NotFound("trajectory at", moment.isoformat())
        return int(version)

    def trajectory_as_of(self, trajectory_id: uuid.UUID, moment: datetime) -> Trajectory:
        """The trajectory as it stood at a moment: its last version at or before that time."""
        return self.get_trajectory(trajectory_id, self.version_at(trajectory_id, moment))

    def trajectory_events(self, trajectory_id: uuid.UUID) -> Iterator[Any]:
        found = False
        for domain_event in self.events.get(trajectory_id):
            found = True
            yield domain_event
        if not found:
            raise policy.not_found("trajectory", trajectory_id)

    def read_access(
        self,
        actor: Actor,
        trajectory: Trajectory,
        readers: frozenset[policy.Relation] = policy.READ_TRAJECTORY,
    ) -> policy.ReadAccess:
        """How much of the trajectory the actor may read; NotFound if nothing."""
        return policy.read_access(actor, trajectory, self.directory, trajectory.id, readers)


def build_application(config: StoreConfig) -> Bewijsketen:
    """One application per process, configured from the store configuration."""
    app = Bewijsketen(
        env=config.event_store_env(), cache_size=config.aggregate_cache, kek=config.kek_source()
    )
    app.command_retries = config.command_retries
    app.snapshotting_intervals = {Trajectory: config.snapshot_interval}  # type: ignore[misc]
    return app


def check_keys(config: StoreConfig) -> None:
    """Opens the store's key store and closes it again: KekError (a clear message) if the
    key-encryption key is missing or not the store's, before a server starts."""
    build_application(config).close()
