"""The application service: use cases over Programs and Trajectories, with retries on conflict."""

from __future__ import annotations

import copy
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoder

from domain.command_cache import CommandCache
from domain.config import Settings
from domain.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    IdempotencyMismatch,
    InvalidInput,
    NotFound,
    NotPermitted,
    RuleViolation,
    VersionMismatch,
)
from domain.positions import log_position
from domain.program import Program, ProgramDefinition
from domain.trajectory import Trajectory
from domain.transcodings import register_all
from domain.values import (
    Actor,
    CommandRef,
    EvidenceKind,
    FeedbackSource,
    Role,
    StaffRole,
    TrafficLight,
    Verdict,
    Vote,
)

A = TypeVar("A", bound=Aggregate)
T = TypeVar("T")


@dataclass(frozen=True)
class CommandResult:
    """What every command answers: the aggregate, its new version and the log position."""

    aggregate_id: uuid.UUID
    version: int
    position: int | None
    replayed: bool = False
    value: Any = None


class Bewijsketen(Application[uuid.UUID]):
    name = "bewijsketen"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {Trajectory: 50}
    # Retries after a version conflict; set from Settings by the factory.
    command_retries = 8

    def __init__(self, env: Any = None, cache_size: int = 1000) -> None:
        super().__init__(env)
        self.command_cache = CommandCache(cache_size)
        # Programs are read by many commands and change rarely; see get_program.
        self._programs: dict[uuid.UUID, Program] = {}
        self._programs_lock = threading.Lock()
        # Version conflicts met by commands (each one retried or reported); for monitoring.
        self.conflicts_met = 0

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_all(transcoder)

    def construct_transcoder(self) -> Transcoder:
        transcoder = JSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    # ---- plumbing

    def _load(self, cls: type[A], aggregate_id: uuid.UUID, version: int | None = None) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(cls.__name__, aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(cls.__name__, aggregate_id)
        return aggregate

    def _replay(self, aggregate: Any, command: CommandRef | None) -> CommandResult | None:
        if command is None or command.key not in aggregate.commands:
            return None
        fingerprint, version = aggregate.commands[command.key]
        if fingerprint != command.fingerprint:
            raise IdempotencyMismatch(command.key)
        position = log_position(self.recorder, aggregate.id, int(version))
        return CommandResult(aggregate.id, int(version), position, replayed=True)

    def _save(self, aggregate: Aggregate) -> int | None:
        recordings = self.save(aggregate)
        return recordings[-1].notification.id if recordings else None

    def _execute(
        self,
        cls: type[A],
        aggregate_id: uuid.UUID,
        action: Callable[[A], Any],
        command: CommandRef | None,
        expected_version: int | None,
    ) -> CommandResult:
        """Load, decide, save; on a version conflict reload and decide again (bounded)."""
        for attempt in range(self.command_retries + 1):
            with self.command_cache.lock_for(aggregate_id):
                aggregate: Any = self.command_cache.get(aggregate_id) if attempt == 0 else None
                if not isinstance(aggregate, cls) or (
                    expected_version is not None and aggregate.version != expected_version
                ):
                    aggregate = self._load(cls, aggregate_id)
                try:
                    replay = self._replay(aggregate, command)
                    if replay is not None:
                        return replay
                    if expected_version is not None and aggregate.version != expected_version:
                        raise VersionMismatch(expected_version, aggregate.version)
                    value = action(aggregate)
                    position = self._save(aggregate)
                except IntegrityError:
                    self.command_cache.evict(aggregate_id)
                    self.conflicts_met += 1
                    if expected_version is not None:
                        # The winner may have been this very request, sent twice.
                        fresh: Any = self._load(cls, aggregate_id)
                        replay = self._replay(fresh, command)
                        if replay is not None:
                            return replay
                        raise VersionMismatch(expected_version, fresh.version) from None
                except BaseException:
                    # A refused command leaves no pending events behind in the cache.
                    self.command_cache.evict(aggregate_id)
                    raise
                else:
                    self.command_cache.put(aggregate_id, aggregate)
                    return CommandResult(aggregate.id, aggregate.version, position, value=value)
            time.sleep(random.uniform(0, 0.002 * (2**attempt)))
        raise ConcurrencyConflict(
            f"{cls.__name__} {aggregate_id} kept changing; gave up after "
            f"{self.command_retries + 1} attempts"
        )

    def _create(self, aggregate: A, command: CommandRef | None, what: str) -> CommandResult:
        try:
            position = self._save(aggregate)
        except IntegrityError:
            existing: Any = self._load(type(aggregate), aggregate.id)
            replay = self._replay(existing, command)
            if replay is not None:
                return replay
            raise AlreadyExists(what, aggregate.id) from None
        return CommandResult(aggregate.id, aggregate.version, position)

    # ---- programs

    def register_program(
        self, code: str, title: str, actor: Actor, command: CommandRef | None = None
    ) -> CommandResult:
        _require_admin(actor)
        if not code.strip() or not title.strip():
            raise InvalidInput("R3", "a program needs a code and a title")
        return self._create(Program(code, title, actor, command), command, "program")

    def publish_program_version(
        self,
        program_id: uuid.UUID,
        definition: ProgramDefinition,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        _require_admin(actor)
        return self._execute(
            Program,
            program_id,
            lambda p: p.publish_version(definition, actor, command),
            command,
            expected_version,
        )

    def register_staff(
        self,
        program_id: uuid.UUID,
        person_id: str,
        role: StaffRole,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        _require_admin(actor)
        return self._execute(
            Program,
            program_id,
            lambda p: p.register_staff(person_id, role, actor, command),
            command,
            expected_version,
        )

    def deregister_staff(
        self,
        program_id: uuid.UUID,
        person_id: str,
        role: StaffRole,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        _require_admin(actor)
        return self._execute(
            Program,
            program_id,
            lambda p: p.deregister_staff(person_id, role, actor, command),
            command,
            expected_version,
        )

    def get_program(self, program_id: uuid.UUID) -> Program:
        """The program as stored now: a cached copy, brought up to date from the store."""
        with self._programs_lock:
            program = self._programs.get(program_id)
            if program is None:
                program = self._load(Program, program_id)
            else:
                newer: Any = self.events.get(program_id, gt=program.version)
                for domain_event in newer:
                    domain_event.mutate(program)
            self._programs[program_id] = program
            return copy.deepcopy(program)

    # ---- trajectories

    def start_trajectory(
        self,
        program_id: uuid.UUID,
        student_id: str,
        cohort: str,
        coach_id: str,
        mentor_id: str,
        actor: Actor,
        program_version: int | None = None,
        command: CommandRef | None = None,
    ) -> CommandResult:
        if actor.role not in (Role.ADMIN, Role.COACH):
            raise NotPermitted("R1", "a trajectory is started by a coach or a program admin")
        program = self.get_program(program_id)
        number = program_version or program.latest_version
        if number is None or number not in program.versions:
            raise RuleViolation(
                "R3", f"program {program.code} has no published version {number or ''}".strip()
            )
        for text, what in ((student_id, "student"), (cohort, "cohort")):
            if not text.strip():
                raise InvalidInput("R1", f"the {what} must not be empty")
        if not program.is_staff(coach_id, StaffRole.COACH):
            raise RuleViolation("R7", f"{coach_id} is not registered as coach for {program.code}")
        if not program.is_staff(mentor_id, StaffRole.MENTOR):
            raise RuleViolation("R1", f"{mentor_id} is not registered as mentor for {program.code}")
        if student_id in (coach_id, mentor_id):
            raise RuleViolation("R10", "a student cannot coach or mentor themselves")
        trajectory = Trajectory(
            program_id,
            number,
            program.versions[number],
            student_id,
            cohort,
            coach_id,
            mentor_id,
            actor,
            command,
        )
        return self._create(trajectory, command, "trajectory")

    def get_trajectory(self, trajectory_id: uuid.UUID, version: int | None = None) -> Trajectory:
        trajectory = self._load(Trajectory, trajectory_id, version)
        if version is not None and trajectory.version != version:
            raise NotFound("trajectory version", version)
        return trajectory

    def trajectory_as_of(self, trajectory_id: uuid.UUID, moment: datetime) -> Trajectory:
        """The trajectory as it stood at a moment: its last version at or before that time."""
        version = None
        for domain_event in self.trajectory_events(trajectory_id):
            if domain_event.timestamp > moment:
                break
            version = domain_event.originator_version
        if version is None:
            raise NotFound("trajectory at", moment.isoformat())
        return self.get_trajectory(trajectory_id, version)

    def trajectory_events(self, trajectory_id: uuid.UUID) -> Iterator[Any]:
        found = False
        for domain_event in self.events.get(trajectory_id):
            found = True
            yield domain_event
        if not found:
            raise NotFound("Trajectory", trajectory_id)

    def _on_trajectory(
        self,
        trajectory_id: uuid.UUID,
        action: Callable[[Trajectory], Any],
        command: CommandRef | None,
        expected_version: int | None,
    ) -> CommandResult:
        return self._execute(Trajectory, trajectory_id, action, command, expected_version)

    def _program_for(self, trajectory: Trajectory) -> Program:
        return self.get_program(trajectory.program_id)

    def reassign_coach(
        self,
        tid: uuid.UUID,
        coach_id: str,
        reason: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        def action(t: Trajectory) -> None:
            if not self._program_for(t).is_staff(coach_id, StaffRole.COACH):
                raise RuleViolation("R7", f"{coach_id} is not registered as coach")
            t.reassign_coach(coach_id, reason, actor, command)

        return self._on_trajectory(tid, action, command, expected_version)

    def reassign_mentor(
        self,
        tid: uuid.UUID,
        mentor_id: str,
        reason: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        def action(t: Trajectory) -> None:
            if not self._program_for(t).is_staff(mentor_id, StaffRole.MENTOR):
                raise RuleViolation("R1", f"{mentor_id} is not registered as mentor")
            t.reassign_mentor(mentor_id, reason, actor, command)

        return self._on_trajectory(tid, action, command, expected_version)

    def measure_baseline(
        self,
        tid: uuid.UUID,
        outcome: str,
        level: str,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.measure_baseline(outcome, level, rationale, actor, command),
            command,
            expected_version,
        )

    def submit_evidence(
        self,
        tid: uuid.UUID,
        *,
        evidence_id: str,
        title: str,
        kind: EvidenceKind,
        uri: str,
        sha256: str,
        outcomes: list[str],
        criteria: list[str] | None = None,
        ai_use: bool = False,
        external_sources: bool = False,
        declaration: str = "",
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.submit_evidence(
                evidence_id,
                title,
                kind,
                uri,
                sha256,
                outcomes,
                criteria or [],
                ai_use,
                external_sources,
                declaration,
                actor,
                command,
            ),
            command,
            expected_version,
        )

    def withdraw_evidence(
        self,
        tid: uuid.UUID,
        evidence_id: str,
        reason: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.withdraw_evidence(evidence_id, reason, actor, command),
            command,
            expected_version,
        )

    def request_feedback(
        self,
        tid: uuid.UUID,
        *,
        request_id: str,
        requested_from: str,
        source: FeedbackSource,
        outcomes: list[str],
        evidence_id: str | None = None,
        question: str = "",
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.request_feedback(
                request_id, requested_from, source, outcomes, evidence_id, question, actor, command
            ),
            command,
            expected_version,
        )

    def give_feedback(
        self,
        tid: uuid.UUID,
        *,
        feedback_id: str,
        source: FeedbackSource,
        giver_id: str,
        outcomes: list[str],
        criteria: list[str] | None = None,
        evidence_id: str | None = None,
        text: str,
        request_id: str | None = None,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.give_feedback(
                feedback_id,
                source,
                giver_id,
                outcomes,
                criteria or [],
                evidence_id,
                text,
                request_id,
                actor,
                command,
            ),
            command,
            expected_version,
        )

    def check_progress(
        self,
        tid: uuid.UUID,
        light: TrafficLight,
        notes: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid, lambda t: t.check_progress(light, notes, actor, command), command, expected_version
        )

    def hold_medium_stake(
        self,
        tid: uuid.UUID,
        *,
        portfolio: list[str],
        levels: dict[str, str],
        feedback: str,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.hold_medium_stake(portfolio, levels, feedback, rationale, actor, command),
            command,
            expected_version,
        )

    def give_green_light(
        self,
        tid: uuid.UUID,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid, lambda t: t.give_green_light(rationale, actor, command), command, expected_version
        )

    def withhold_green_light(
        self,
        tid: uuid.UUID,
        advice: str,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.withhold_green_light(advice, rationale, actor, command),
            command,
            expected_version,
        )

    def request_early_high_stake(
        self,
        tid: uuid.UUID,
        motivation: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.request_early_high_stake(motivation, actor, command),
            command,
            expected_version,
        )

    def decide_early_high_stake(
        self,
        tid: uuid.UUID,
        grant: bool,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.decide_early_high_stake(grant, rationale, actor, command),
            command,
            expected_version,
        )

    def request_high_stake(
        self,
        tid: uuid.UUID,
        *,
        portfolio: list[str],
        reading_guide_uri: str,
        reading_guide_sha256: str,
        ai_explanation: str = "",
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.request_high_stake(
                portfolio, reading_guide_uri, reading_guide_sha256, ai_explanation, actor, command
            ),
            command,
            expected_version,
        )

    def assign_assessors(
        self,
        tid: uuid.UUID,
        attempt: int,
        assessor_ids: list[str],
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        if actor.role not in (Role.ADMIN, Role.COMMITTEE):
            raise NotPermitted("R10", "assessors are assigned by the committee or a program admin")

        def action(t: Trajectory) -> None:
            registered = self._program_for(t).staff[StaffRole.ASSESSOR.value]
            t.assign_assessors(attempt, assessor_ids, set(registered), actor, command)

        return self._on_trajectory(tid, action, command, expected_version)

    def submit_judgment(
        self,
        tid: uuid.UUID,
        attempt: int,
        *,
        levels: dict[str, str],
        level_rationales: dict[str, str],
        verdict: Verdict,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.submit_judgment(
                attempt, levels, level_rationales, verdict, rationale, actor, command
            ),
            command,
            expected_version,
        )

    def hold_criterion_interview(
        self,
        tid: uuid.UUID,
        attempt: int,
        notes: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.hold_criterion_interview(attempt, notes, actor, command),
            command,
            expected_version,
        )

    def agree_final_levels(
        self,
        tid: uuid.UUID,
        attempt: int,
        levels: dict[str, str],
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.agree_final_levels(attempt, levels, rationale, actor, command),
            command,
            expected_version,
        )

    def conclude_assessment(
        self,
        tid: uuid.UUID,
        attempt: int,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.conclude_assessment(attempt, rationale, actor, command),
            command,
            expected_version,
        )

    def cast_vote(
        self,
        tid: uuid.UUID,
        attempt: int,
        vote: Vote,
        rationale: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        def action(t: Trajectory) -> str | None:
            members = set(self._program_for(t).staff[StaffRole.COMMITTEE.value])
            return t.cast_vote(attempt, vote, rationale, members, actor, command)

        return self._on_trajectory(tid, action, command, expected_version)

    def record_development_plan(
        self,
        tid: uuid.UUID,
        attempt: int,
        plan: str,
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.record_development_plan(attempt, plan, actor, command),
            command,
            expected_version,
        )

    def record_correction(
        self,
        tid: uuid.UUID,
        corrects_version: int,
        reason: str,
        details: dict[str, Any],
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        def action(t: Trajectory) -> None:
            if actor.role is Role.COMMITTEE and not self._program_for(t).is_staff(
                actor.person_id, StaffRole.COMMITTEE
            ):
                raise RuleViolation("R14", "only members of the program's committee correct")
            t.record_correction(corrects_version, reason, details, actor, command)

        return self._on_trajectory(tid, action, command, expected_version)

    def publish_exhibition(
        self,
        tid: uuid.UUID,
        exhibition_id: str,
        title: str,
        evidence_ids: list[str],
        actor: Actor,
        command: CommandRef | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_trajectory(
            tid,
            lambda t: t.publish_exhibition(exhibition_id, title, evidence_ids, actor, command),
            command,
            expected_version,
        )


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise NotPermitted("R3", "programs and their staff are managed by a program admin")


def build_application(settings: Settings | None = None) -> Bewijsketen:
    """One application per process, configured from the environment."""
    settings = settings or Settings()
    app = Bewijsketen(env=settings.event_store_env(), cache_size=settings.aggregate_cache)
    app.command_retries = settings.command_retries
    app.snapshotting_intervals = {Trajectory: settings.snapshot_interval}  # type: ignore[misc]
    return app
