"""Helpers for the projection tests: read stores per test, table dumps, a random command driver.

The driver walks trajectories through the real application service: most moves take the step
the domain itself says is next (`next_step`), with random parameters (levels, verdicts, votes),
the others are side moves (extra evidence, feedback, traffic lights, withdrawals, corrections).
A move the domain refuses writes nothing and is simply skipped, so every sequence is valid.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen, build_application
from domain.errors import DomainError
from domain.journey import ADMIN, Journey, Staff, content_hash, setup_program
from domain.trajectory import Trajectory
from domain.values import (
    Actor,
    EvidenceKind,
    FeedbackSource,
    Role,
    TrafficLight,
    Verdict,
    Vote,
)
from projections.config import ProjectionConfig
from projections.models import all_models
from projections.rebuild import rebuild
from projections.store import ReadStore, open_store
from tests.conftest import SERVER_URL

Pick = Callable[[int], int]  # pick(n) -> a number in [0, n)

STAFF = Staff(
    coaches=["coach-1", "coach-2", "coach-3"],
    mentors=["mentor-1", "mentor-2"],
    assessors=["assessor-1", "assessor-2", "assessor-3", "coach-1"],
    committee=["committee-1", "committee-2", "committee-3"],
)


def read_config(settings: Settings, tag: str = "") -> ProjectionConfig:
    """Read models of this test: a schema next to the test's event schema, or a SQLite file."""
    schema = f"{settings.database_schema or 'public'}_read{tag}"
    return ProjectionConfig.build(
        settings.store,
        read_schema=schema,
        read_database=settings.data_dir / f"read_models{tag}.sqlite",
        poll_interval=0.05,
    )


def dump(store: ReadStore) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of every read model, rows sorted, for comparing two stores."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for model in all_models():
        for table in model.all_tables:
            rows = store.query(
                f"SELECT {', '.join(table.column_names)} FROM {store.live.q(table.name)}"
            )
            tables[table.name] = sorted((tuple(r.values()) for r in rows), key=repr)
    return tables


def rebuilt(app: Bewijsketen, settings: Settings, tag: str = "_rebuilt") -> dict[str, Any]:
    """What a rebuild from position 0 produces, in a store of its own."""
    store = open_store(read_config(settings, tag))
    try:
        rebuild(app, store, all_models())
        return dump(store)
    finally:
        store.close()


def assert_equal_dumps(live: dict[str, Any], expected: dict[str, Any]) -> None:
    assert live.keys() == expected.keys()
    for table in expected:
        assert live[table] == expected[table], f"{table} differs from a rebuild"


def assert_progress_matches_aggregates(app: Bewijsketen, store: ReadStore) -> int:
    """The progress rows say what the aggregates themselves say (phase, next step, missing)."""
    rows = store.query(
        f"SELECT trajectory_id, phase, next_step, missing, version, closed "
        f"FROM {store.live.q('progress_trajectories')}"
    )
    for row in rows:
        trajectory = app.get_trajectory(uuid.UUID(str(row["trajectory_id"])))
        step = trajectory.next_step()
        missing = row["missing"]
        missing = json.loads(missing) if isinstance(missing, str) else missing
        assert row["phase"] == trajectory.phase.value
        assert row["next_step"] == step.step
        assert missing == list(step.missing)
        assert row["version"] == trajectory.version
        assert bool(row["closed"]) == trajectory.closed
    return len(rows)


@contextmanager
def fresh_store(kind: str, tmp: Path, pg_database: str | None) -> Iterator[Settings]:
    """An empty event store (SQLite file or PostgreSQL schema) outside pytest's fixtures, for
    tests that need a new one per hypothesis example."""
    if kind == "sqlite":
        yield Settings(data_dir=tmp, database_url=None, _env_file=None)
        return
    assert pg_database is not None
    schema = f"h_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield Settings(
            data_dir=tmp,
            database_url=pg_database,
            database_schema=schema,
            _env_file=None,
        )
    finally:
        with psycopg.connect(pg_database, autocommit=True) as conn:
            for name in (schema, f"{schema}_read", f"{schema}_read_rebuilt"):
                for suffix in ("", "__rebuild"):
                    conn.execute(
                        sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                            sql.Identifier(name + suffix)
                        )
                    )


assert SERVER_URL  # the PostgreSQL server the fixtures use


# ---------------------------------------------------------------- the random driver


@dataclass
class Walker:
    """One trajectory the driver moves."""

    journey: Journey
    started: bool = False


class Driver:
    """Random valid commands over several trajectories (see the module docstring)."""

    LEVELS = ("verkennend", "beginnend", "ontwikkelend", "vakkundig", "bekwaam", "professional")

    def __init__(self, app: Bewijsketen, pick: Pick, trajectories: int, programs: int = 1) -> None:
        self.app = app
        self.pick = pick
        self.program_ids = [setup_program(app, code=f"P{i}", staff=STAFF) for i in range(programs)]
        self.walkers = [
            Walker(
                Journey(
                    app,
                    self.program_ids[i % programs],
                    f"student-{i}",
                    cohort=f"cohort-{i % 2}",
                    coach_id=STAFF.coaches[i % 2],
                    mentor_id=STAFF.mentors[i % 2],
                )
            )
            for i in range(trajectories)
        ]
        self.written = 0
        self.refused = 0

    def choice(self, options: list[Any] | tuple[Any, ...]) -> Any:
        return options[self.pick(len(options))]

    def run(self, command: c.Command, actor: Actor) -> None:
        self.app.execute(command, actor)

    def peer_of(self, w: Walker) -> str:
        """A fellow student: one whose trajectory in the same program has started, else one
        who is no one's fellow (the domain refuses that)."""
        peers = [
            other.journey.student.person_id
            for other in self.walkers
            if other is not w and other.started and other.journey.program_id == w.journey.program_id
        ]
        return self.choice(peers) if peers else "student-peer"

    def move(self) -> None:
        """One random command on one random trajectory."""
        walker = self.choice(self.walkers)
        try:
            if not walker.started:
                walker.journey.start()
                walker.started = True
                self.written += 1
                return
            t = self.app.get_trajectory(walker.journey.id)
            moves: list[Callable[[Walker, Trajectory], None]] = [
                *([self.advance] * 8),
                self.side_evidence,
                self.side_feedback,
                self.side_light,
                self.side_misc,
            ]
            if self.pick(3) == 0:
                moves.append(self.side_withdraw)
            self.choice(moves)(walker, t)
            self.written += 1
        except DomainError:
            self.refused += 1

    # ---- the step the domain names as next

    def advance(self, w: Walker, t: Trajectory) -> None:
        j, step = w.journey, t.next_step()
        name = step.step
        attempt = t.current_attempt
        if name == "closed":
            self.run(
                j.on(
                    c.RecordCorrection,
                    corrects_version=self.pick(t.version) + 1,
                    reason="Appeal outcome",
                    details={"note": "corrected"},
                ),
                Actor("committee-1", Role.COMMITTEE),
            )
        elif name.startswith("medium_stake"):
            if step.missing and self.pick(3):
                self.evidence(w, t, [self.choice(list(t.definition.outcome_codes))])
            else:
                levels = {c: self.choice(self.LEVELS[2:]) for c in t.definition.outcome_codes}
                self.run(
                    j.on(
                        c.HoldMediumStake,
                        portfolio=self.active(t)[:3] or ["none"],
                        levels=levels,
                        feedback="Discussed",
                        rationale="Against the rubric",
                    ),
                    j.coach,
                )
        elif name == "early_route_decision":
            self.run(
                j.on(c.DecideEarlyHighStake, grant=bool(self.pick(2)), rationale="Considered"),
                j.coach,
            )
        elif name == "green_light":
            if self.pick(4):
                self.run(j.on(c.DecideGreenLight, decision="give", rationale="Ready"), j.coach)
            else:
                withheld = j.on(
                    c.DecideGreenLight,
                    decision="withhold",
                    advice="Gather more on LO3",
                    rationale="Not yet",
                )
                self.run(withheld, j.coach)
        elif name in ("high_stake_request", "high_stake_resit"):
            short = [m.split(" ")[1] for m in step.missing]
            if short:
                # One item may cover several outcomes; sometimes only one of those still short.
                self.evidence(w, t, short if self.pick(2) else [self.choice(short)])
            else:
                portfolio = self.active(t)
                declared = any(t.evidence[e].ai_use for e in portfolio)
                self.run(
                    j.on(
                        c.RequestHighStake,
                        portfolio=portfolio,
                        reading_guide_uri="https://example.nl/guide",
                        reading_guide_sha256=content_hash(f"{t.id}/{len(t.attempts)}"),
                        ai_explanation="AI drafted text; explained"
                        if declared and self.pick(4)
                        else "",
                    ),
                    j.student,
                )
        elif name == "development_plan" and attempt is not None:
            plan = j.on(c.RecordDevelopmentPlan, attempt=attempt.number, plan="More evidence")
            self.run(plan, j.student)
        elif name == "assign_assessors" and attempt is not None:
            pool = list(STAFF.assessors)
            first = self.choice(pool)
            pool.remove(first)
            chosen = [first, self.choice(pool)]
            if self.pick(4) == 0:
                pool.remove(chosen[1])
                chosen.append(self.choice(pool))
            self.run(j.on(c.AssignAssessors, attempt=attempt.number, assessor_ids=chosen), ADMIN)
        elif name == "judgments" and attempt is not None:
            waiting = [a for a in attempt.assessors if a not in attempt.judgments]
            assessor = self.choice(waiting)
            levels = {c: self.choice(self.LEVELS[2:]) for c in t.definition.outcome_codes}
            judgment = j.on(
                c.SubmitJudgment,
                attempt=attempt.number,
                levels=levels,
                level_rationales={code: "Seen in the portfolio" for code in levels},
                verdict=self.choice(list(Verdict)),
                rationale="Holistic",
            )
            self.run(judgment, Actor(assessor, Role.ASSESSOR))
        elif name == "criterion_interview" and attempt is not None:
            self.run(
                j.on(c.HoldCriterionInterview, attempt=attempt.number, notes="CGI held"),
                Actor(attempt.assessors[0], Role.ASSESSOR),
            )
        elif name == "final_levels" and attempt is not None:
            levels = {code: self.choice(self.LEVELS[3:]) for code in t.definition.outcome_codes}
            self.run(
                j.on(c.AgreeFinalLevels, attempt=attempt.number, levels=levels, rationale="Agreed"),
                Actor(attempt.assessors[-1], Role.ASSESSOR),
            )
        elif name == "conclusion" and attempt is not None:
            self.run(
                j.on(c.ConcludeAssessment, attempt=attempt.number, rationale="Concluded"),
                Actor(attempt.assessors[0], Role.ASSESSOR),
            )
        elif name == "committee_decision" and attempt is not None:
            members = [m for m in STAFF.committee if m not in attempt.votes]
            vote = Vote.REFER_BACK if self.pick(6) == 0 else Vote.RATIFY
            self.run(
                j.on(c.CastVote, attempt=attempt.number, vote=vote, rationale="Considered"),
                Actor(self.choice(members), Role.COMMITTEE),
            )

    # ---- side moves

    def active(self, t: Trajectory) -> list[str]:
        return [e for e, item in t.evidence.items() if not item.withdrawn]

    def evidence(self, w: Walker, t: Trajectory, outcomes: list[str]) -> None:
        evidence_id = f"ev-{len(t.evidence) + 1}"
        ai = self.pick(5) == 0
        sent = w.journey.on(
            c.SubmitEvidence,
            evidence_id=evidence_id,
            title="Work",
            kind=self.choice(list(EvidenceKind)),
            uri=f"https://example.nl/{evidence_id}",
            sha256=content_hash(f"{t.id}/{evidence_id}"),
            outcomes=outcomes,
            ai_use=ai,
            declaration="Used an AI assistant" if ai else "",
        )
        self.run(sent, w.journey.student)

    def side_evidence(self, w: Walker, t: Trajectory) -> None:
        codes = list(t.definition.outcome_codes)
        first = self.choice(codes)
        outcomes = [first] if self.pick(2) else sorted({first, self.choice(codes)})
        self.evidence(w, t, outcomes)

    def side_feedback(self, w: Walker, t: Trajectory) -> None:
        j = w.journey
        source = self.choice(list(FeedbackSource))
        codes = list(t.definition.outcome_codes)
        peer = self.peer_of(w)
        giver, actor = {
            FeedbackSource.SELF: (j.student.person_id, j.student),
            FeedbackSource.PEER: (peer, Actor(peer, Role.STUDENT)),
            FeedbackSource.COACH: (t.coach_id, Actor(t.coach_id, Role.COACH)),
            FeedbackSource.PRACTICE: ("practice-1", j.student),
            FeedbackSource.CLIENT: ("client-1", Actor(t.coach_id, Role.COACH)),
        }[source]
        criteria = [f"{self.choice(codes)}.1"] if self.pick(3) == 0 else []
        sent = j.on(
            c.GiveFeedback,
            feedback_id=f"fb-{len(t.feedback) + 1}",
            source=source,
            giver_id=giver,
            outcomes=[] if criteria else [self.choice(codes)],
            criteria=criteria,
            text="Noted",
        )
        self.run(sent, actor)

    def side_light(self, w: Walker, t: Trajectory) -> None:
        light = self.choice(list(TrafficLight))
        by = Actor(t.mentor_id, Role.MENTOR) if self.pick(2) else Actor(t.coach_id, Role.COACH)
        notes = "Must improve" if light is not TrafficLight.GREEN else ""
        self.run(w.journey.on(c.CheckProgress, light=light, notes=notes), by)

    def side_withdraw(self, w: Walker, t: Trajectory) -> None:
        active = self.active(t)
        if active:
            withdraw = w.journey.on(
                c.WithdrawEvidence, evidence_id=self.choice(active), reason="Replaced"
            )
            self.run(withdraw, w.journey.student)

    def side_misc(self, w: Walker, t: Trajectory) -> None:
        j = w.journey
        what = self.pick(5)
        if what == 0:
            baseline = j.on(
                c.MeasureBaseline,
                outcome=self.choice(list(t.definition.outcome_codes)),
                level=self.choice(self.LEVELS),
                rationale="Start",
            )
            self.run(baseline, j.student)
        elif what == 1:
            self.run(j.on(c.RequestEarlyHighStake, motivation="I am ready early"), j.student)
        elif what == 2:
            coach = self.choice([c for c in STAFF.coaches if c != t.coach_id])
            self.run(j.on(c.ReassignCoach, coach_id=coach, reason="Team change"), ADMIN)
        elif what == 3:
            correction = j.on(
                c.RecordCorrection,
                corrects_version=t.version,
                reason="Typo",
                details={"field": "text"},
            )
            self.run(correction, Actor(t.event_actors[-1], Role.ADMIN))
        else:
            active = self.active(t)
            if active:
                exhibition = j.on(
                    c.PublishExhibition,
                    exhibition_id=f"ex-{self.pick(1000)}",
                    title="Showcase",
                    evidence_ids=active[:2],
                )
                self.run(exhibition, j.student)


def drive(app: Bewijsketen, pick: Pick, trajectories: int, moves: int) -> Driver:
    driver = Driver(app, pick, trajectories)
    for _ in range(moves):
        driver.move()
    return driver


def new_app(settings: Settings) -> Bewijsketen:
    return build_application(settings.store)
