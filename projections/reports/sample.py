"""Draws the inspection sample of a cohort and writes its archive (layout in sample_format.py).

The cohort is every trajectory of the program started in that cohort, as the read models hold
it (they are brought up to the log's head first by the caller). Each sampled trajectory's
dossier bundle is made by the audit log's own bundle writer (`projections.audit.bundle`), all
against the same signed checkpoint, signed just before.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.application import Bewijsketen
from domain.program import Program
from projections.audit import bundle_format
from projections.audit.bundle import bundle_files, write_zip
from projections.audit.runtime import AuditRuntime
from projections.models import progress, reports
from projections.queries import Where
from projections.reports import sample_format as fmt
from projections.store import ReadStore

OUTCOMES_NL = {"passed": "geslaagd", "not_passed": "niet geslaagd", "open": "nog geen uitslag"}
PHASES_NL = {
    "orientation": "oriëntatie",
    "low_stakes": "low-stakes",
    "medium_stakes": "medium-stakes",
    "high_stake": "high-stake",
    "resit": "herkansing",
    "closed": "afgesloten",
}
# A checkpoint signed while the bundles were being made would give them different ones.
ATTEMPTS = 3


class SampleError(RuntimeError):
    """The sample cannot be drawn or written (an empty cohort, no signing key, ...)."""


@dataclass(frozen=True)
class Member:
    trajectory_id: str
    student_id: str
    phase: str
    attempts: int
    outcome: str  # passed, not_passed or open
    decided_at: str | None  # of the latest ratified result

    def as_json(self, seed: str, sampled: bool) -> dict[str, Any]:
        return {
            "trajectory_id": self.trajectory_id,
            "student_id": self.student_id,
            "phase": self.phase,
            "attempts": self.attempts,
            "outcome": self.outcome,
            "decided_at": self.decided_at,
            "rank": fmt.rank(seed, self.trajectory_id),
            "sampled": sampled,
        }


def _text_time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return datetime.fromisoformat(str(value)).astimezone(UTC).isoformat(timespec="microseconds")


def cohort_members(store: ReadStore, program_id: uuid.UUID, cohort: str) -> list[Member]:
    """Every trajectory of the cohort, with its outcome: the latest ratified result."""
    where = Where(store).eq("program_id", program_id).eq("cohort", cohort)
    rows = store.query(
        "SELECT trajectory_id, student_id, phase, attempts "
        f"FROM {store.live.q(progress.TRAJECTORIES.name)}{where.sql()}",
        where.params,
    )
    decided = Where(store).eq("program_id", program_id).eq("cohort", cohort)
    decided.add("decision = ?", "ratified")
    latest: dict[str, tuple[int, bool, str | None]] = {}
    for row in store.query(
        "SELECT trajectory_id, attempt, passed, decided_at "
        f"FROM {store.live.q(reports.DECISIONS.name)}{decided.sql()}",
        decided.params,
    ):
        tid = str(row["trajectory_id"]).lower()
        if tid not in latest or int(row["attempt"]) > latest[tid][0]:
            latest[tid] = (int(row["attempt"]), bool(row["passed"]), _text_time(row["decided_at"]))
    members = []
    for row in rows:
        tid = str(row["trajectory_id"]).lower()
        found = latest.get(tid)
        outcome = "open" if found is None else "passed" if found[1] else "not_passed"
        members.append(
            Member(
                tid,
                str(row["student_id"]),
                str(row["phase"]),
                int(row["attempts"]),
                outcome,
                found[2] if found else None,
            )
        )
    return sorted(members, key=lambda m: m.trajectory_id)


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="bewijsketen-sample-") as folder:
        path = Path(folder) / "bundle.zip"
        write_zip(files, path)
        return path.read_bytes()


def _bundles(
    audit: AuditRuntime, ids: list[str], progress: Callable[[int], None] | None
) -> dict[str, dict[str, bytes]]:
    """Every sampled trajectory's bundle, all on one checkpoint (signed now)."""
    vkey = audit.sealer.vkey
    if audit.signing_key is None or vkey is None:
        raise SampleError("no signing key: run `bewijsketen audit keygen`")
    for _ in range(ATTEMPTS):
        audit.sealer.checkpoint_now()
        made: dict[str, dict[str, bytes]] = {}
        for tid in ids:
            made[tid] = bundle_files(audit.app, audit.store, vkey, uuid.UUID(tid))
            if progress is not None:
                progress(1)
        checkpoints = {files[bundle_format.CHECKPOINT] for files in made.values()}
        if len(checkpoints) <= 1:
            return made
    raise SampleError("checkpoints kept being signed while the bundles were made; try again")


def _cohort_csv(rows: list[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ("traject", "student", "fase", "pogingen", "uitslag", "besloten_op", "rang", "getrokken")
    )
    for r in rows:
        writer.writerow(
            (
                r["trajectory_id"],
                r["student_id"],
                PHASES_NL.get(r["phase"], r["phase"]),
                r["attempts"],
                OUTCOMES_NL[r["outcome"]],
                r["decided_at"] or "",
                r["rank"],
                "ja" if r["sampled"] else "nee",
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode()


@dataclass(frozen=True)
class Sample:
    files: dict[str, bytes]
    manifest: dict[str, Any]

    @property
    def trajectories(self) -> list[str]:
        return [s["trajectory_id"] for s in self.manifest["sample"]]


def draw_sample(
    app: Bewijsketen,
    store: ReadStore,
    audit: AuditRuntime,
    program: Program,
    cohort: str,
    seed: str,
    size: int | None,
    progress: Callable[[int], None] | None = None,
    total: Callable[[int], None] | None = None,
) -> Sample:
    """The sample of `size` trajectories (the whole cohort if None) with its archive's files.
    `total` is told how many bundles will be made, `progress` of each one made."""
    members = cohort_members(store, program.id, cohort)
    if not members:
        raise SampleError(f"program {program.code} has no trajectories in cohort {cohort!r}")
    if size is not None and size < 1:
        raise SampleError("the sample needs at least one trajectory")
    chosen = fmt.draw((m.trajectory_id for m in members), seed, size)
    if total is not None:
        total(len(chosen))
    bundles = _bundles(audit, chosen, progress)
    first = bundles[chosen[0]]
    files: dict[str, bytes] = {
        bundle_format.CHECKPOINT: first[bundle_format.CHECKPOINT],
        bundle_format.LOG_KEY: first[bundle_format.LOG_KEY],
    }
    picked = set(chosen)
    listed = [m.as_json(seed, m.trajectory_id in picked) for m in members]
    files[fmt.COHORT_JSON] = fmt.canonical_json(listed)
    files[fmt.COHORT_CSV] = _cohort_csv(listed)
    files[fmt.README] = fmt.README_TEXT.encode()
    by_id = {m.trajectory_id: m for m in members}
    sample = []
    for tid in chosen:
        name = f"{fmt.BUNDLES}{tid}.zip"
        files[name] = _zip_bytes(bundles[tid])
        sample.append(
            {
                "trajectory_id": tid,
                "student_id": by_id[tid].student_id,
                "rank": fmt.rank(seed, tid),
                "bundle": name,
            }
        )
    bundle_manifest = json.loads(first[bundle_format.MANIFEST])
    manifest = {
        "format": fmt.FORMAT,
        "program": {"program_id": str(program.id), "code": program.code, "title": program.title},
        "cohort": cohort,
        "seed": seed,
        "size_asked": size,
        "size": len(chosen),
        "whole_cohort": size is None or len(chosen) == len(members),
        "cohort_size": len(members),
        "method": fmt.METHOD,
        "drawn_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tree_size": bundle_manifest.get("tree_size"),
        "log_key": bundle_manifest.get("log_key"),
        "checkpoint": bundle_format.CHECKPOINT,
        "sample": sample,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files[fmt.MANIFEST] = fmt.canonical_json(manifest)
    return Sample(files, manifest)


def write_archive(sample: Sample, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    names = [fmt.MANIFEST, *sorted(n for n in sample.files if n != fmt.MANIFEST)]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=fmt.ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, sample.files[name])
