"""The read models hold no plaintext of personal data or free text: their tables and states keep
envelopes (opened when read) or facts about a text; after a shred, a purge derives the
student's rows again with the placeholder, leaves every other student's rows as they were, and
gives what a rebuild gives."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen
from domain.commands import Retention
from domain.journey import Journey, setup_program
from domain.privacy.envelope import PLACEHOLDER
from domain.privacy.mapper import candidates
from domain.values import Actor, FeedbackSource, Role
from projections import codec, sealed
from projections.config import ProjectionConfig
from projections.models import all_models
from projections.purge import purge_trajectories
from projections.queries import ReadQueries
from projections.runner import Runner
from projections.state import TrajectoryState
from projections.store import ReadStore, open_store
from tests.test_projections_support import assert_equal_dumps, dump, read_config, rebuilt

COMMITTEE = Actor("committee-1", Role.COMMITTEE)


@pytest.fixture
def config(settings: Settings) -> ProjectionConfig:
    return read_config(settings)


@pytest.fixture
def read_store(config: ProjectionConfig) -> Iterator[ReadStore]:
    store = open_store(config)
    yield store
    store.close()


def walk(j: Journey, tag: str) -> None:
    """A passed attempt with texts of the student's own: a green light, an AI explanation, a
    correction and a borging follow-up."""
    j.start()
    j.evidence_for_all(ai_first=True)
    for code in j.outcomes:
        j.feedback(FeedbackSource.SELF, j.student.person_id, [code])
        j.feedback(FeedbackSource.COACH, j.coach.person_id, [code])
    j.medium_stake("vakkundig")
    j.medium_stake("bekwaam")
    j.green_light(f"Groen licht voor {tag}: bewijs op elke leeropbrengst")
    attempt = j.request_high_stake(ai_explanation=f"Uitleg over AI van {tag}, per onderdeel")
    j.run(
        j.on(
            c.RecordCorrection,
            corrects_version=2,
            reason=f"Verkeerd bestand bij {tag} vervangen",
            details={"outcomes": [j.outcomes[1]]},
        ),
        j.student,
    )
    j.assign(attempt)
    j.judge(attempt, "assessor-1", "bekwaam")
    j.judge(attempt, "assessor-2", "bekwaam")
    j.conclude(attempt)
    j.votes(attempt)
    j.follow_up(attempt, "evidence_variety", f"Met {tag} en de coach besproken", COMMITTEE)


def texts_of(app: Bewijsketen, trajectory_id: uuid.UUID) -> set[str]:
    """Every marked text the trajectory's events hold (opened), long enough to be telling."""
    found: set[str] = set()
    for event in app.trajectory_events(trajectory_id):
        for name in candidates(type(event)):
            value = getattr(event, name, None)
            items = (
                list(value.values())
                if isinstance(value, dict)
                else value
                if isinstance(value, list)
                else [value]
            )
            found |= {v for v in items if isinstance(v, str) and len(v) >= 12}
    return found


def stored_text(store: ReadStore) -> str:
    """Every value of every read-model table as text, the states decompressed."""
    parts: list[str] = []
    for model in all_models():
        for table in model.all_tables:
            for row in store.query(f"SELECT * FROM {store.live.q(table.name)}"):
                for value in row.values():
                    if isinstance(value, bytes | memoryview):
                        raw = bytes(value)
                        parts.append(zlib.decompress(raw).decode() if table.kind == "state" else "")
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


def rows_of(store: ReadStore, trajectory_id: uuid.UUID) -> dict[str, list[tuple[Any, ...]]]:
    found: dict[str, list[tuple[Any, ...]]] = {}
    for model in all_models():
        for table in (*model.rows_tables, model.state_table):
            rows = store.query(
                f"SELECT {', '.join(table.column_names)} FROM {store.live.q(table.name)} "
                f"WHERE trajectory_id = {store.ph}",
                (str(trajectory_id),),
            )
            found[table.name] = sorted((tuple(r.values()) for r in rows), key=repr)
    return found


def explained(store: ReadStore, trajectory_id: uuid.UUID) -> Any:
    found = store.query(
        f"SELECT evidence FROM {store.live.q('borging_checks')} WHERE trajectory_id = {store.ph}",
        (str(trajectory_id),),
    )
    evidence = found[0]["evidence"]
    return (codec.loads(evidence) if isinstance(evidence, str) else evidence)["ai_use_explained"][
        "explained"
    ]


def projected(app: Bewijsketen, store: ReadStore, config: ProjectionConfig) -> None:
    runner = Runner(app, store, all_models(), config)
    runner.ensure()
    runner.catch_up()
    assert runner.failures == {}


def test_the_tables_hold_envelopes_and_a_purge_after_a_shred_leaves_placeholders(
    app: Bewijsketen, settings: Settings, read_store: ReadStore, config: ProjectionConfig
) -> None:
    program = setup_program(app)
    shredded, other = Journey(app, program, "student-a"), Journey(app, program, "student-b")
    walk(shredded, "Anna")
    walk(other, "Bram")
    projected(app, read_store, config)
    texts = texts_of(app, shredded.id) | texts_of(app, other.id)
    assert "Groen licht voor Anna: bewijs op elke leeropbrengst" in texts
    stored = stored_text(read_store)
    assert [t for t in texts if t in stored] == []
    if settings.database_url is None:
        raw = config.store.data_dir  # the SQLite file of the read models, as bytes
        files = [p for p in raw.rglob("read_models*") if p.is_file()]
        assert files
        for path in files:
            data = path.read_bytes()
            assert [t for t in texts if t.encode() in data] == [], path

    # Opened when read: the text for a reader; the placeholder without the key store.
    queries = ReadQueries(read_store, app.keys.lookup)
    where = queries.where().eq("trajectory_id", shredded.id)
    row = queries.progress_of(shredded.id, where)
    assert row is not None
    assert row["trajectory"]["green_light_note"] == (
        "Groen licht voor Anna: bewijs op elke leeropbrengst"
    )
    locked = ReadQueries(read_store).progress_of(shredded.id, where)
    assert locked is not None and locked["trajectory"]["green_light_note"] == PLACEHOLDER
    assert explained(read_store, shredded.id) is True

    before_other = rows_of(read_store, other.id)
    assert app.keys.shred("student-a", [Retention.FORMATIVE, Retention.EXAM])
    assert purge_trajectories(app, read_store, [shredded.id]) == 1

    # The student's texts are gone from the tables themselves: the placeholder stands there.
    after = rows_of(read_store, shredded.id)
    note = read_store.query(
        f"SELECT green_light_note FROM {read_store.live.q('progress_trajectories')} "
        f"WHERE trajectory_id = {read_store.ph}",
        (str(shredded.id),),
    )[0]["green_light_note"]
    assert sealed.open_column(note, None) == PLACEHOLDER and "$sealed" not in note
    for table in ("report_corrections", "report_follow_ups"):
        column = "reason" if table == "report_corrections" else "action"
        values = read_store.query(
            f"SELECT {column} FROM {read_store.live.q(table)} WHERE trajectory_id = "
            f"{read_store.ph}",
            (str(shredded.id),),
        )
        assert [sealed.open_column(v[column], None) for v in values] == [PLACEHOLDER]
    state = TrajectoryState.decode(bytes(after["progress_state"][0][-1]))
    assert state.green_light_note == PLACEHOLDER
    assert state.correction_log[0][1] == PLACEHOLDER
    assert state.attempts[0].follow_ups[0][1] == PLACEHOLDER
    # A fact about a text survives its text: the explanation was given.
    assert state.attempts[0].ai_explanation is True
    assert explained(read_store, shredded.id) is True
    row = ReadQueries(read_store, app.keys.lookup).progress_of(shredded.id, where)
    assert row is not None and row["trajectory"]["green_light_note"] == PLACEHOLDER
    assert "$sealed" not in "".join(str(v) for rows in after.values() for r in rows for v in r[:-1])

    # Nobody else's rows changed; the other student's text still opens.
    assert rows_of(read_store, other.id) == before_other
    other_row = queries.progress_of(other.id, queries.where().eq("trajectory_id", other.id))
    assert other_row is not None
    assert other_row["trajectory"]["green_light_note"].startswith("Groen licht voor Bram")

    # The increment continues from the purged state (a new text is sealed with a new key), and
    # a rebuild gives the same tables.
    shredded.follow_up(1, "feedback_givers", "Na het wissen opnieuw besproken", COMMITTEE)
    projected(app, read_store, config)
    actions = ReadQueries(read_store, app.keys.lookup)
    follow_ups = read_store.query(
        f"SELECT action FROM {read_store.live.q('report_follow_ups')} WHERE trajectory_id = "
        f"{read_store.ph} ORDER BY seq",
        (str(shredded.id),),
    )
    assert [sealed.open_column(r["action"], actions.keys) for r in follow_ups] == [
        PLACEHOLDER,
        "Na het wissen opnieuw besproken",
    ]
    assert_equal_dumps(dump(read_store), rebuilt(app, settings))


def test_a_purge_of_trajectories_no_read_model_holds_changes_nothing(
    app: Bewijsketen, read_store: ReadStore, config: ProjectionConfig
) -> None:
    program = setup_program(app)
    j = Journey(app, program, "student-a")
    walk(j, "Anna")
    projected(app, read_store, config)
    before = dump(read_store)
    assert purge_trajectories(app, read_store, []) == 0
    assert purge_trajectories(app, read_store, [uuid.uuid4()]) == 0
    # Purged with its keys alive, a trajectory's rows come out as they were.
    assert purge_trajectories(app, read_store, [j.id]) == 1
    assert dump(read_store) == before
