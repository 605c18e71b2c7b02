"""The inspection sample: the same seed draws the same students on SQLite and PostgreSQL, the
archive verifies offline (every bundle on one checkpoint, the draw redone from the cohort list),
and any alteration is named."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.cli.main import app as cli
from api.settings import Settings
from domain import commands as c
from domain.application import Bewijsketen, build_application
from domain.journey import Journey, setup_program
from domain.values import Actor, Role, Verdict
from projections.audit import bundle_format
from projections.audit.bundle_verify import HOW_TO_PIN, BundleTrust, verify_bundle_bytes
from projections.audit.checkpoint import log_verifier
from projections.audit.config import AuditConfig
from projections.audit.keys import public_pem
from projections.audit.policy import parse_policy
from projections.audit.runtime import AuditRuntime, open_runtime
from projections.audit.sealer import Sealer
from projections.models import all_models
from projections.reports import sample_format as fmt
from projections.reports.sample import Sample, SampleError, draw_sample, write_archive
from projections.reports.sample_verify import verify_sample, verify_sample_bytes
from projections.runner import Runner
from projections.store import ReadStore, open_store
from tests.test_projections_support import fresh_store, read_config

COHORT = "2026-A"
STUDENTS = [f"stud-{i:02d}" for i in range(1, 13)]
SEED = "inspectie-2026-ronde-1"


def play(app: Bewijsketen) -> None:
    """A cohort of twelve (passes, fails, some still under way) and a second cohort of two."""
    program = setup_program(app)
    for i, student in enumerate(STUDENTS):
        j = Journey(app, program, student, cohort=COHORT)
        j.to_green_light()
        if i % 3 == 2:
            continue
        attempt = j.request_high_stake()
        j.assign(attempt)
        level = "bekwaam" if i % 3 == 0 else "vakkundig"
        verdict = Verdict.PASS if i % 3 == 0 else Verdict.FAIL
        j.judge(attempt, "assessor-1", level, verdict)
        j.judge(attempt, "assessor-2", level, verdict)
        j.conclude(attempt)
        j.votes(attempt)
        if i == 0:
            # A follow-up of the borging travels in the bundle (and its dossier) too.
            follow_up = c.RecordBorgingFollowUp(
                trajectory_id=j.id, attempt=attempt, item="evidence_variety", action="Besproken"
            )
            app.execute(follow_up, Actor("committee-1", Role.COMMITTEE))
    for student in ("stud-90", "stud-91"):
        Journey(app, program, student, cohort="2026-B").start()


def trust(audit: AuditRuntime) -> BundleTrust:
    """The inspector's trust: the log's published verifier key pinned in a policy."""
    assert audit.sealer.vkey is not None
    return BundleTrust(parse_policy(f"log {audit.sealer.vkey}\nquorum none\n", "policy.txt"))


@dataclass
class Store:
    app: Bewijsketen
    read: ReadStore
    audit: AuditRuntime

    def sample(self, seed: str = SEED, size: int | None = 4) -> Sample:
        program = next(self.app.directory.programs())
        return draw_sample(self.app, self.read, self.audit, program, COHORT, seed, size)


@contextmanager
def opened(kind: str, tmp: Path, pg: str | None) -> Iterator[Store]:
    with fresh_store(kind, tmp, pg) as settings:
        app = build_application(settings.store)
        config = read_config(settings)
        read = open_store(config)
        key = Ed25519PrivateKey.generate()
        audit = open_runtime(app, settings.store, AuditConfig(create_key=False))
        audit.signing_key = key
        audit.sealer = Sealer(app.recorder, audit.store, audit.audit, key)
        try:
            play(app)
            runner = Runner(app, read, all_models(), config)
            runner.ensure()
            runner.catch_up()
            yield Store(app, read, audit)
        finally:
            audit.close()
            read.close()
            app.close()


@pytest.fixture(scope="module")
def sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with opened("sqlite", tmp_path_factory.mktemp("sample-sqlite"), None) as store:
        yield store


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory, pg_database: str) -> Iterator[Store]:
    with opened("postgres", tmp_path_factory.mktemp("sample-pg"), pg_database) as store:
        yield store


def students(sample: Sample) -> list[str]:
    return [s["student_id"] for s in sample.manifest["sample"]]


def archive(sample: Sample, tmp: Path) -> bytes:
    path = tmp / "steekproef.zip"
    write_archive(sample, path)
    return path.read_bytes()


def test_the_same_seed_draws_the_same_students_on_both_stores(
    sqlite: Store, postgres: Store
) -> None:
    one, other = sqlite.sample(), postgres.sample()
    assert students(one) == students(other)
    assert one.trajectories == other.trajectories
    # The draw as documented: the lowest SHA-256 of "<seed>:<trajectory id>".
    cohort = json.loads(one.files[fmt.COHORT_JSON])
    ranked = sorted(
        cohort, key=lambda m: hashlib.sha256(f"{SEED}:{m['trajectory_id']}".encode()).hexdigest()
    )
    assert students(one) == [m["student_id"] for m in ranked[:4]]
    # Drawn again: the same; another seed: another sample (for these twelve and these seeds).
    assert students(sqlite.sample()) == students(one)
    assert students(sqlite.sample(seed="ronde-2")) != students(one)


def test_the_cohort_list_is_complete_with_outcomes(sqlite: Store) -> None:
    sample = sqlite.sample()
    cohort = json.loads(sample.files[fmt.COHORT_JSON])
    assert sorted(m["student_id"] for m in cohort) == STUDENTS  # not the other cohort's
    outcome = {m["student_id"]: m["outcome"] for m in cohort}
    for i, student in enumerate(STUDENTS):
        assert outcome[student] == ("passed", "not_passed", "open")[i % 3], student
    assert sorted(m["student_id"] for m in cohort if m["sampled"]) == sorted(students(sample))
    table = sample.files[fmt.COHORT_CSV].decode("utf-8-sig").splitlines()
    assert table[0] == "traject;student;fase;pogingen;uitslag;besloten_op;rang;getrokken"
    assert len(table) == 1 + len(STUDENTS)
    assert any(";geslaagd;" in line for line in table)
    assert any(";niet geslaagd;" in line for line in table)


def test_the_archive_verifies_offline(
    sqlite: Store, postgres: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for store in (sqlite, postgres):
        sample = store.sample()
        data = archive(sample, tmp_path)
        # Without a trust anchor nothing is judged, as for one bundle.
        unjudged = verify_sample_bytes(data)
        assert not unjudged.ok and unjudged.refused == HOW_TO_PIN
        report = verify_sample_bytes(data, trust(store.audit))
        assert report.ok, report.failures
        assert report.bundles == 4 and report.cohort_size == len(STUDENTS)
        # One checkpoint covers every bundle; each one verifies on its own too.
        checkpoints = set()
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for name in z.namelist():
                if name.startswith(fmt.BUNDLES):
                    bundle = z.read(name)
                    assert verify_bundle_bytes(bundle, trust(store.audit)).ok
                    with zipfile.ZipFile(io.BytesIO(bundle)) as inner:
                        checkpoints.add(inner.read(bundle_format.CHECKPOINT))
        assert checkpoints == {sample.files[bundle_format.CHECKPOINT]}
        first_look = verify_sample_bytes(data, BundleTrust(trust_bundle_key=True))
        assert first_look.ok and first_look.warnings, first_look.lines()
        origin = store.audit.audit.origin
        other = log_verifier(origin, Ed25519PrivateKey.generate().public_key()).vkey
        foreign = BundleTrust(parse_policy(f"log {other}\nquorum none\n", "other.txt"))
        assert not verify_sample_bytes(data, foreign).ok
    # And from the command line, with no configuration at all.
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "steekproef.zip"
    runner = CliRunner()
    unjudged_cli = runner.invoke(cli, ["inspection", "verify", str(path)])
    assert unjudged_cli.exit_code == 2 and "NOT JUDGED" in unjudged_cli.output
    assert postgres.audit.sealer.vkey is not None
    policy = tmp_path / "trust.policy"
    policy.write_text(f"log {postgres.audit.sealer.vkey}\nquorum none\n")
    verified = runner.invoke(cli, ["inspection", "verify", str(path), "--policy", str(policy)])
    assert verified.exit_code == 0 and "OK:" in verified.output, verified.output
    key = tmp_path / "key.pem"
    assert postgres.audit.public_key is not None
    key.write_text(public_pem(postgres.audit.public_key))
    pinned_cli = runner.invoke(cli, ["inspection", "verify", str(path), "--public-key", str(key)])
    assert pinned_cli.exit_code == 0, pinned_cli.output
    stranger = tmp_path / "stranger.pem"
    stranger.write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    wrong = runner.invoke(cli, ["inspection", "verify", str(path), "--public-key", str(stranger)])
    assert wrong.exit_code == 1, wrong.output
    with zipfile.ZipFile(path) as z:
        first = next(n for n in z.namelist() if n.startswith(fmt.BUNDLES))
        (tmp_path / "bundle.zip").write_bytes(z.read(first))
    one = runner.invoke(
        cli, ["audit", "verify-export", str(tmp_path / "bundle.zip"), "--policy", str(policy)]
    )
    assert one.exit_code == 0, one.output


def rewritten(data: bytes, change: dict[str, bytes | None], fix_manifest: bool) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        files = {n: z.read(n) for n in z.namelist()}
    for name, value in change.items():
        if value is None:
            files.pop(name)
        else:
            files[name] = value
    if fix_manifest:
        manifest = json.loads(files[fmt.MANIFEST])
        manifest["files"] = {
            n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != fmt.MANIFEST
        }
        files[fmt.MANIFEST] = fmt.canonical_json(manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, value in files.items():
            z.writestr(name, value)
    return out.getvalue()


def test_every_alteration_is_named(sqlite: Store, tmp_path: Path) -> None:
    sample = sqlite.sample()
    data = archive(sample, tmp_path)
    cohort = json.loads(sample.files[fmt.COHORT_JSON])

    def failures(changed: bytes) -> str:
        report = verify_sample_bytes(changed, trust(sqlite.audit))
        assert not report.ok
        return "\n".join(report.failures)

    # A file changed without the manifest: its hash no longer matches.
    changed = rewritten(data, {fmt.COHORT_CSV: b"traject;student\n"}, fix_manifest=False)
    assert f"{fmt.COHORT_CSV} was altered" in failures(changed)
    # A bundle left out, even with the manifest made to match.
    bundle = sample.manifest["sample"][0]["bundle"]
    assert "not those of the sampled" in failures(rewritten(data, {bundle: None}, True))
    # A student of one's own choosing instead of the draw.
    manifest = json.loads(sample.files[fmt.MANIFEST])
    outsider = next(m for m in cohort if not m["sampled"])
    manifest["sample"][0]["trajectory_id"] = outsider["trajectory_id"]
    chosen = rewritten(data, {fmt.MANIFEST: fmt.canonical_json(manifest)}, True)
    assert "not the draw of the seed" in failures(chosen)
    # A cohort list without the students one would rather not show.
    shortened = [m for m in cohort if m["sampled"] or m["outcome"] != "not_passed"]
    shorter = rewritten(data, {fmt.COHORT_JSON: fmt.canonical_json(shortened)}, True)
    assert "disagree on the cohort size" in failures(shorter)
    # A bundle of another trajectory under a sampled one's name.
    other = sqlite.sample(seed="ronde-2")
    foreign = next(n for n in other.files if n.startswith(fmt.BUNDLES) and n not in sample.files)
    swapped = rewritten(data, {bundle: other.files[foreign]}, True)
    assert "is the dossier of" in failures(swapped)
    assert not verify_sample(tmp_path / "missing.zip", trust(sqlite.audit)).ok


def test_all_exports_the_whole_cohort(sqlite: Store, tmp_path: Path) -> None:
    whole = sqlite.sample(seed="", size=None)
    assert whole.manifest["whole_cohort"] is True
    assert sorted(students(whole)) == STUDENTS
    report = verify_sample_bytes(archive(whole, tmp_path), trust(sqlite.audit))
    assert report.ok, report.failures
    assert report.bundles == len(STUDENTS)
    # The bundle with the committee's follow-up verified like the others, and shows it.
    with_follow_up = [
        name
        for name, data in whole.files.items()
        if name.startswith(fmt.BUNDLES)
        and "Opvolging borging"
        in zipfile.ZipFile(io.BytesIO(data)).read(bundle_format.DOSSIER_HTML).decode()
    ]
    assert len(with_follow_up) == 1
    # More asked than there are: the whole cohort, and it says so.
    larger = sqlite.sample(size=50)
    assert larger.manifest["size"] == len(STUDENTS) and larger.manifest["whole_cohort"]
    program = next(sqlite.app.directory.programs())
    with pytest.raises(SampleError):
        draw_sample(sqlite.app, sqlite.read, sqlite.audit, program, "2030-X", SEED, 3)


def test_the_command_line_draws_and_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    app = build_application(Settings(data_dir=data_dir, _env_file=None).store)
    try:
        play(app)
    finally:
        app.close()
    monkeypatch.setenv("BEWIJSKETEN_DATA_DIR", str(data_dir))
    monkeypatch.delenv("BEWIJSKETEN_DATABASE_URL", raising=False)
    runner = CliRunner()
    out = tmp_path / "steekproef.zip"
    base = ["inspection", "sample", "--program", "SD-AI", "--cohort", COHORT, "-o", str(out)]
    drawn = runner.invoke(cli, [*base, "--size", "3", "--seed", SEED])
    assert drawn.exit_code == 0, drawn.output
    trusting = ["--trust-archive-key"]
    assert runner.invoke(cli, ["inspection", "verify", str(out), *trusting]).exit_code == 0
    manifest = json.loads(zipfile.ZipFile(out).read(fmt.MANIFEST))
    assert manifest["size"] == 3 and manifest["seed"] == SEED
    assert runner.invoke(cli, [*base, "--size", "3"]).exit_code == 2  # no seed
    assert runner.invoke(cli, [*base, "--size", "3", "--all", "--seed", SEED]).exit_code == 2
    unknown = runner.invoke(
        cli,
        ["inspection", "sample", "--program", "SD-AI", "--cohort", "nope", "--all", "-o", str(out)],
    )
    assert unknown.exit_code == 2 and "nope" in unknown.output
    out.write_bytes(b"not a zip")
    assert runner.invoke(cli, ["inspection", "verify", str(out), *trusting]).exit_code == 1


def test_the_sample_verifier_needs_no_database_and_no_domain() -> None:
    code = (
        "import sys, projections.reports.sample_verify\n"
        "bad = [m for m in ('domain', 'eventsourcing', 'psycopg', 'sqlite3', 'api') "
        "if m in sys.modules]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
