"""Encryption at rest, per student, in the event store (SQLite and PostgreSQL).

What a command marks (`Holds`) is sealed in the stored bytes, opened again on reading, and reads
as the placeholder once the student's key is shredded; other students and the other retention
class are untouched; snapshots are sealed and purged; the key-encryption key is checked before
anything is written; a store from before encryption keeps verifying and seals from a recorded
position on.
"""

from __future__ import annotations

import os
import threading
import typing
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain.application import Bewijsketen, build_application
from domain.commands import Retention, TrajectoryCommand, all_commands
from domain.demo import seed_demo
from domain.demo.copy import copy_events, in_memory
from domain.journey import Journey, setup_program
from domain.privacy import envelope
from domain.privacy.envelope import PLACEHOLDER
from domain.privacy.kek import KekError, generate_text
from domain.privacy.mapper import candidates
from domain.trajectory import Trajectory
from domain.values import FeedbackSource, TrafficLight
from tests.test_audit_tamper import RawStore
from tests.test_rules import event_count

runner = CliRunner()
TABLES = ("privacy_keys", "privacy_key_owners", "privacy_state")


def raw_events(settings: Settings) -> bytes:
    """Every stored event's state, as bytes, straight from the table."""
    rows = RawStore(settings).run("SELECT state FROM {events}")
    return b"\n".join(bytes(r[0]) for r in rows)


def raw_snapshots(app: Bewijsketen, settings: Settings) -> list[bytes]:
    raw = RawStore(settings)
    assert app.snapshots is not None
    table = raw.prefix + app.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    return [bytes(r[0]) for r in raw.run(f"SELECT state FROM {table}")]


def feedback_texts(app: Bewijsketen, trajectory_id: uuid.UUID) -> list[str]:
    return [
        e.text
        for e in app.trajectory_events(trajectory_id)
        if isinstance(e, Trajectory.FeedbackGiven)
    ]


def walk(app: Bewijsketen, student: str) -> Journey:
    """A started trajectory with formative feedback and a progress check, and exam evidence."""
    program = next(iter(app.directory.programs()), None)
    journey = Journey(app, program.id if program else setup_program(app), student)
    journey.start()
    journey.feedback(
        FeedbackSource.SELF, student, journey.outcomes[:1], text=f"Formatief over {student}"
    )
    journey.progress_check(TrafficLight.ORANGE, notes=f"Voortgang van {student}")
    journey.evidence(journey.outcomes[:1], title=f"Bewijs van {student}")
    return journey


def test_every_marked_field_is_an_attribute_of_some_trajectory_event() -> None:
    """The mapper seals event attributes named like marked command fields: each one exists."""
    events = [
        v
        for v in vars(Trajectory).values()
        if isinstance(v, type) and issubclass(v, Trajectory.Event)
    ]
    attributes = {name for e in events for name in typing.get_type_hints(e)}
    marked = {
        name
        for command in all_commands()
        if issubclass(command, TrajectoryCommand)
        for name in command.sensitive_fields()
    }
    assert marked and marked <= attributes, marked - attributes
    assert {name for e in events for name in candidates(e)} == marked
    assert candidates(Trajectory.Started) == ()


def test_stored_bytes_hold_no_plaintext_and_reading_opens_them(
    app: Bewijsketen, settings: Settings
) -> None:
    journey = walk(app, "student-1")
    secret = "Mijn geheime reflectie over de stage bij Bakkerij Jansen"
    journey.feedback(FeedbackSource.SELF, "student-1", journey.outcomes[:1], text=secret)
    stored = raw_events(settings)
    for text in (secret, "Formatief over student-1", "Voortgang van student-1", "Bewijs van"):
        assert text.encode() not in stored
    # Ids stay plain: they are pseudonyms, and the read side and policy need them.
    assert b'"student_id":"student-1"' in stored
    assert secret in feedback_texts(app, journey.id)
    trajectory = app.get_trajectory(journey.id)
    assert trajectory.progress_checks[-1].notes == "Voortgang van student-1"
    # The read side decodes without opening: envelopes, bound to their place.
    (n,) = [
        n
        for n in app.recorder.select_notifications(1, 10**6)
        if n.topic.endswith("FeedbackGiven") and n.originator_id == journey.id
    ][-1:]
    sealed = app.sealing_mapper.to_sealed_event(n)
    assert envelope.is_sealed(sealed.text)
    where = envelope.aad(journey.id, n.topic, "text")
    assert envelope.open_sealed(sealed.text, app.keys.lookup, where) == secret
    with pytest.raises(envelope.EnvelopeError):
        envelope.open_sealed(sealed.text, app.keys.lookup, envelope.aad(journey.id, n.topic, "x"))
    assert app.sealing_mapper.open_event(sealed).text == secret


def test_a_marked_dict_is_sealed_value_by_value(app: Bewijsketen, settings: Settings) -> None:
    journey = walk(app, "student-1")
    journey.correct(1, "Verkeerde datum", {"coach": "De coach heette Pietersen"}, by=journey.coach)
    (event,) = [
        e for e in app.trajectory_events(journey.id) if isinstance(e, Trajectory.CorrectionRecorded)
    ]
    assert event.details == {"coach": "De coach heette Pietersen"}
    assert b"Pietersen" not in raw_events(settings)
    assert b'"coach"' in raw_events(settings)  # keys stay plain
    app.keys.shred("student-1", [Retention.EXAM])
    (event,) = [
        e for e in app.trajectory_events(journey.id) if isinstance(e, Trajectory.CorrectionRecorded)
    ]
    assert event.details == {"coach": PLACEHOLDER} and event.reason == PLACEHOLDER


def test_a_shredded_class_reads_as_the_placeholder_and_others_are_untouched(
    app: Bewijsketen, settings: Settings
) -> None:
    one, two = walk(app, "student-1"), walk(app, "student-2")
    before = event_count(app)
    shredded = app.keys.shred("student-1", [Retention.FORMATIVE])
    assert [k.retention for k in shredded] == [Retention.FORMATIVE]
    assert event_count(app) == before  # a shred rewrites no stored byte and adds no event
    assert feedback_texts(app, one.id) == [PLACEHOLDER]
    first = app.get_trajectory(one.id)
    assert first.progress_checks[-1].notes == PLACEHOLDER
    # The exam record of the same student stays readable...
    assert [e.title for e in first.evidence.values()] == ["Bewijs van student-1"]
    # ...and so does everything of another student.
    assert feedback_texts(app, two.id) == ["Formatief over student-2"]
    assert app.get_trajectory(two.id).progress_checks[-1].notes == "Voortgang van student-2"
    # The key rows keep a tombstone without key material.
    infos = {k.retention: k for k in app.keys.keys_of("student-1")}
    assert infos[Retention.FORMATIVE].shredded and not infos[Retention.EXAM].shredded
    wrapped = RawStore(settings).run(
        "SELECT retention, wrapped FROM {p}privacy_keys WHERE student_id = %s", ("student-1",)
    )
    # The snapshot key (a snapshot holds every class) goes with any shred.
    assert {r[0]: r[1] is None for r in wrapped} == {
        "formative": True,
        "exam": False,
        "snapshot": True,
    }
    assert app.keys.lookup(infos[Retention.FORMATIVE].key_id) is None
    # New formative data of the student gets a new key; the old values stay gone.
    one.feedback(FeedbackSource.SELF, "student-1", one.outcomes[:1], text="Na het wissen")
    assert feedback_texts(app, one.id) == [PLACEHOLDER, "Na het wissen"]
    assert len(app.keys.keys_of("student-1")) == 3
    # A fresh process reads the same.
    other = build_application(settings.store)
    try:
        assert feedback_texts(other, one.id) == [PLACEHOLDER, "Na het wissen"]
        assert feedback_texts(other, two.id) == ["Formatief over student-2"]
    finally:
        other.close()


def test_snapshots_are_sealed_and_purged_on_a_shred(app: Bewijsketen, settings: Settings) -> None:
    one, two = walk(app, "student-1"), walk(app, "student-2")
    app.take_snapshot(one.id)
    app.take_snapshot(two.id)
    snapshots = raw_snapshots(app, settings)
    assert len(snapshots) == 2
    for state in snapshots:
        assert state.startswith(b'{"$sealed"')
        assert b"Formatief" not in state and b"Bewijs van" not in state
    assert app.get_trajectory(one.id).progress_checks[-1].notes == "Voortgang van student-1"
    app.command_cache.put(one.id, app.get_trajectory(one.id))
    app.keys.shred("student-1", [Retention.FORMATIVE])
    # Only the other student's snapshot is left, and the cached aggregate is gone.
    assert len(raw_snapshots(app, settings)) == 1
    assert app.command_cache.get(one.id) is None
    assert app.get_trajectory(one.id).progress_checks[-1].notes == PLACEHOLDER
    assert app.get_trajectory(two.id).progress_checks[-1].notes == "Voortgang van student-2"


def test_a_shred_leaves_no_copy_of_the_key_in_the_database_files(
    app: Bewijsketen, settings: Settings
) -> None:
    walk(app, "student-1")
    raw = RawStore(settings)
    (wrapped,) = raw.run(
        "SELECT wrapped FROM {p}privacy_keys WHERE retention = 'formative'",
    )
    node = "SELECT pg_relation_filenode(%s)"
    table = f"{raw.prefix}privacy_keys"
    before = raw.run(node, (table,)) if raw.pg else None
    app.keys.shred("student-1", [Retention.FORMATIVE])
    if raw.pg:
        # Rewritten: no dead row version with the key is left in the table's file.
        assert raw.run(node, (table,)) != before
    else:
        files = b"".join(p.read_bytes() for p in settings.data_dir.rglob("*") if p.is_file())
        assert bytes(wrapped[0]) not in files


def test_another_process_drops_its_keys_within_a_second(
    app: Bewijsketen, settings: Settings
) -> None:
    journey = walk(app, "student-1")
    other = build_application(settings.store)
    seen: list[str] = []
    other.keys.on_shred(lambda notice: seen.append(notice.student_id))
    try:
        assert feedback_texts(other, journey.id) == ["Formatief over student-1"]
        other.command_cache.put(journey.id, other.get_trajectory(journey.id))
        app.keys.shred("student-1", [Retention.FORMATIVE, Retention.EXAM])
        other.keys.refresh(force=True)
        assert seen == ["student-1"]
        assert other.command_cache.get(journey.id) is None
        assert feedback_texts(other, journey.id) == [PLACEHOLDER]
        assert other.keys.generation == app.keys.generation
    finally:
        other.close()


def test_the_key_store_tables(app: Bewijsketen, settings: Settings) -> None:
    journey = walk(app, "student-1")
    raw = RawStore(settings)
    if raw.pg:
        found = raw.run(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (settings.database_schema,),
        )
    else:
        found = raw.run("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert set(TABLES) <= {r[0] for r in found}
    owners = raw.run("SELECT trajectory_id, student_id FROM {p}privacy_key_owners")
    assert [(uuid.UUID(str(t)), s) for t, s in owners] == [(journey.id, "student-1")]
    keys = raw.run("SELECT student_id, retention, wrapped FROM {p}privacy_keys ORDER BY 2")
    assert [(s, r) for s, r, _ in keys] == [
        ("student-1", "exam"),
        ("student-1", "formative"),
        ("student-1", "snapshot"),
    ]
    # Wrapped, not the key itself: 12 bytes nonce + 32 bytes key + 16 bytes tag.
    _, key = app.keys.key_for("student-1", Retention.EXAM)
    assert all(len(bytes(w)) == 60 and key not in bytes(w) for _, _, w in keys)
    ((check, start, generation),) = raw.run(
        "SELECT kek_check, encrypted_from, shred_generation FROM {p}privacy_state"
    )
    assert start == 1 and generation == 0 and len(bytes(check)) > 16
    assert app.keys.owner(journey.id) == "student-1"
    assert app.keys.trajectories_of("student-1") == [journey.id]


def test_concurrent_key_creation_for_one_student_gives_one_key(settings: Settings) -> None:
    apps = [build_application(settings.store) for _ in range(4)]
    barrier = threading.Barrier(len(apps))
    found: list[str] = []

    def create(app: Bewijsketen) -> None:
        barrier.wait()
        found.append(app.keys.key_for("student-9", Retention.FORMATIVE)[0])

    threads = [threading.Thread(target=create, args=(a,)) for a in apps]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(found) == 4 and len(set(found)) == 1
        assert [k.key_id for k in apps[0].keys.keys_of("student-9")] == found[:1]
        keys = {a.keys.key_for("student-9", Retention.FORMATIVE)[1] for a in apps}
        assert len(keys) == 1
    finally:
        for a in apps:
            a.close()


def test_a_wrong_key_encryption_key_refuses_to_start_and_writes_nothing(
    app: Bewijsketen, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk(app, "student-1")
    before = event_count(app)
    monkeypatch.setenv("BEWIJSKETEN_KEK", generate_text())
    with pytest.raises(KekError, match="not the one this store was made with"):
        build_application(Settings(**_store_of(settings)).store)
    assert event_count(app) == before
    monkeypatch.setenv("BEWIJSKETEN_KEK", "not base64!")
    with pytest.raises(KekError, match="not base64"):
        build_application(Settings(**_store_of(settings)).store)


def test_the_command_line_says_in_one_line_that_the_key_encryption_key_is_wrong(
    app: Bewijsketen,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from api.cli.main import run as command_line

    walk(app, "student-1")
    before = event_count(app)
    for name, value in _cli_env(settings, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BEWIJSKETEN_KEK", generate_text())
    monkeypatch.setattr("sys.argv", ["bewijsketen", "projections", "status"])
    with pytest.raises(SystemExit) as ended:
        command_line()
    assert ended.value.code == 1
    said = capsys.readouterr().err
    assert said.startswith("bewijsketen: ") and "not the one this store was made with" in said
    assert "Traceback" not in said and said.count("\n") == 1
    assert event_count(app) == before


def test_a_missing_key_encryption_key_refuses_to_start(
    app: Bewijsketen, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk(app, "student-1")
    before = event_count(app)
    monkeypatch.delenv("BEWIJSKETEN_KEK")
    with pytest.raises(KekError, match="none is configured"):
        build_application(Settings(**_store_of(settings)).store)
    assert event_count(app) == before


def test_a_new_store_without_a_key_refuses_unless_embedded(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An embedded store may make its own key file (0600); PostgreSQL never: every process
    sharing it must be given the same key."""
    monkeypatch.delenv("BEWIJSKETEN_KEK")
    store = Settings(**_store_of(settings)).store
    if settings.uses_postgres:
        with pytest.raises(KekError, match="no key-encryption key"):
            build_application(store)
        return
    app = build_application(store)
    try:
        walk(app, "student-1")
    finally:
        app.close()
    assert store.kek_path.stat().st_mode & 0o777 == 0o600
    again = build_application(store)
    try:
        (trajectory_id,) = again.keys.trajectories_of("student-1")
        assert feedback_texts(again, trajectory_id) == ["Formatief over student-1"]
    finally:
        again.close()
    no_create = Settings(**_store_of(settings), create_kek=False)
    store.kek_path.unlink()
    with pytest.raises(KekError, match="none is configured"):
        build_application(no_create.store)


def test_a_store_from_before_encryption_keeps_verifying_and_seals_from_then_on(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = build_application(settings.store)
    old.sealing_mapper.keys = None  # writes as a release before encryption did
    journey = walk(old, "student-1")
    old.take_snapshot(journey.id)
    old.close()
    raw = RawStore(settings)
    for table in TABLES:
        raw.run(f"DROP TABLE {{p}}{table}")
    assert b"Formatief over student-1" in raw_events(settings)
    head = len(raw.positions())

    for name, value in _cli_env(settings, tmp_path).items():
        monkeypatch.setenv(name, value)
    if not settings.database_url:
        monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    run("audit", "keygen")
    anchor = tmp_path / "anchor.checkpoint"
    run("audit", "checkpoint", "--export", str(anchor))

    app = build_application(settings.store)
    try:
        assert app.keys.encrypted_from == head + 1
        assert app.keys.trajectories_of("student-1") == [journey.id]
        # Old values read as they were; the old trajectory goes on, sealed.
        assert feedback_texts(app, journey.id) == ["Formatief over student-1"]
        journey.app = app
        journey.feedback(
            FeedbackSource.SELF, "student-1", journey.outcomes[:1], text="Na de upgrade"
        )
        newer = walk(app, "student-2")
        stored = raw_events(settings)
        assert b"Na de upgrade" not in stored and b"Formatief over student-2" not in stored
        assert b"Formatief over student-1" in stored  # never rewritten
        sealed_at = [
            n.id
            for n in app.recorder.select_notifications(1, 10**6)
            if envelope.key_ids(vars(app.sealing_mapper.to_sealed_event(n)))
        ]
        assert sealed_at and min(sealed_at) >= app.keys.encrypted_from
        # The old plaintext snapshot is purged by a shred like any other.
        app.keys.shred("student-1", [Retention.FORMATIVE])
        assert feedback_texts(app, journey.id) == ["Formatief over student-1", PLACEHOLDER]
        assert raw_snapshots(app, settings) == []
        assert feedback_texts(app, newer.id) == ["Formatief over student-2"]
    finally:
        app.close()
    run("audit", "checkpoint")
    assert "OK" in run("audit", "verify", "--against", str(anchor))


def test_the_demo_seals_as_if_written_directly(app: Bewijsketen, settings: Settings) -> None:
    summary = seed_demo(app, students=4, seed=3)
    stored = raw_events(settings)
    texts = [text for t in summary.trajectories.values() for text in feedback_texts(app, t)]
    assert texts and PLACEHOLDER not in texts
    assert not [t for t in texts if t.encode() in stored]
    students = {app.keys.owner(t) for t in summary.trajectories.values()}
    assert None not in students and len(students) == len(summary.trajectories)
    # Each command's retention class: feedback under a formative key.
    (formative,) = [
        k
        for k in app.keys.keys_of(next(iter(students)) or "")
        if k.retention is Retention.FORMATIVE
    ]
    assert formative.key_id


def test_events_sealed_under_other_keys_are_not_copied(app: Bewijsketen) -> None:
    """The demo's twin must seal with the target's key store: its events are copied as stored,
    and the target could not open what another store's keys sealed."""
    stranger = in_memory()
    try:
        walk(stranger, "student-1")
        before = event_count(app)
        with pytest.raises(ValueError, match="key store"):
            copy_events(stranger, app)
        assert event_count(app) == before
    finally:
        stranger.close()


def _store_of(settings: Settings) -> dict[str, object]:
    return {
        "data_dir": settings.data_dir,
        "database_url": settings.database_url,
        "database_schema": settings.database_schema,
        "_env_file": None,
    }


def _cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    env = {
        "BEWIJSKETEN_DATA_DIR": str(settings.data_dir),
        "BEWIJSKETEN_AUDIT_KEY_FILE": str(tmp_path / "keys" / "audit.pem"),
        "BEWIJSKETEN_AUDIT_ORIGIN": "bewijsketen.test/audit",
    }
    if settings.database_url:
        env["BEWIJSKETEN_DATABASE_URL"] = settings.database_url
        env["BEWIJSKETEN_DATABASE_SCHEMA"] = str(settings.database_schema)
    return env


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (args, result.exit_code, result.output, result.exception)
    return result.output


def test_nonces_are_never_repeated() -> None:
    """Within a process, across a counter running out, and in a forked child."""
    nonces = envelope.Nonces()
    nonces.LIMIT = 1000
    drawn = [nonces.next() for _ in range(2500)]
    assert len(set(drawn)) == len(drawn) and {len(n) for n in drawn} == {12}
    assert len({n[:8] for n in drawn}) == 3  # a new prefix each time the counter ran out
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.write(write, nonces.next())
        os._exit(0)
    os.close(write)
    in_child = os.read(read, 12)
    os.close(read)
    os.waitpid(child, 0)
    assert in_child[:8] != drawn[-1][:8] and in_child not in drawn


@pytest.mark.parametrize(
    "student_id", ["student-1", "a\x00b", "back\\slash", "\\0", "\\\x00\\\\0", "", "\x00"]
)
def test_a_student_id_is_kept_in_the_key_tables_reversibly(student_id: str) -> None:
    from domain.privacy.keys import _column, _from_column

    stored = _column(student_id)
    assert "\x00" not in stored
    assert _from_column(stored) == student_id
