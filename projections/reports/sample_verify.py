"""Offline verification of an inspection sample: needs the zip file only, no database, no domain.

Checks, each failure naming what it concerns:
1. the manifest lists exactly the files present, with the right SHA-256;
2. every bundle verifies on its own (the audit log's bundle verifier: signature, inclusion
   proofs, rendering), is the dossier of the trajectory the manifest names, and carries the
   sample's checkpoint and public key byte for byte: one checkpoint covers them all;
3. the cohort list holds every sampled trajectory, its ranks are right, and the sample is
   exactly what the draw gives for the seed and the size (the whole cohort for `--all`).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from projections.audit import bundle_format
from projections.audit.bundle_verify import HOW_TO_PIN, BundleTrust, verify_bundle_bytes
from projections.reports import sample_format as fmt


@dataclass
class SampleReport:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: str | None = None
    bundles: int = 0
    events: int = 0
    cohort_size: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures and self.refused is None

    def lines(self) -> list[str]:
        if self.refused is not None:
            return [f"NOT JUDGED: {self.refused}"]
        out = [f"WARNING: {w}" for w in self.warnings]
        out += [f"FAIL: {f}" for f in self.failures] + [f"note: {n}" for n in self.notes]
        if self.ok:
            out.append(
                f"OK: {self.bundles} dossier bundles ({self.events} events) verify against one "
                f"signed checkpoint; the sample is the draw of the seed from the cohort of "
                f"{self.cohort_size} trajectories"
            )
        return out


def _files(data: bytes, report: SampleReport) -> dict[str, bytes] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if len(names) != len(set(names)):
                report.failures.append("the archive holds a file name twice")
                return None
            return {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        report.failures.append(f"the sample is not a readable zip file: {exc}")
        return None


def _manifest(files: dict[str, bytes], report: SampleReport) -> dict[str, Any] | None:
    try:
        manifest = json.loads(files[fmt.MANIFEST])
        if manifest.get("format") != fmt.FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, expected {fmt.FORMAT!r}")
        listed = dict(manifest["files"])
    except (KeyError, ValueError, TypeError) as exc:
        report.failures.append(f"{fmt.MANIFEST} is missing or not a valid manifest: {exc}")
        return None
    present = set(files) - {fmt.MANIFEST}
    for name in sorted(present - set(listed)):
        report.failures.append(f"{name} is in the archive but not in {fmt.MANIFEST}")
    for name in sorted(set(listed) - present):
        report.failures.append(f"{name} is listed in {fmt.MANIFEST} but missing")
    for name in sorted(present & set(listed)):
        if hashlib.sha256(files[name]).hexdigest() != listed[name]:
            report.failures.append(f"{name} was altered: its SHA-256 differs from {fmt.MANIFEST}")
    if files.get(fmt.README) != fmt.README_TEXT.encode():
        report.failures.append(f"{fmt.README} differs from the standard text")
    return dict(manifest)


def _bundle(
    name: str,
    tid: str,
    data: bytes,
    files: dict[str, bytes],
    report: SampleReport,
    trust: BundleTrust,
) -> None:
    checked = verify_bundle_bytes(data, trust)
    report.events += checked.events
    for failure in checked.failures:
        report.failures.append(f"{name}: {failure}")
    for warning in checked.warnings:
        # The bundles share one checkpoint, so their warnings are the same: said once.
        if warning not in report.warnings:
            report.warnings.append(warning)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inner = {n: archive.read(n) for n in archive.namelist()}
        named = json.loads(inner[bundle_format.MANIFEST]).get("trajectory_id")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        report.failures.append(f"{name} cannot be read: {exc}")
        return
    if str(named).lower() != tid:
        report.failures.append(f"{name} is the dossier of {named}, not of {tid}")
    for shared in (bundle_format.CHECKPOINT, bundle_format.LOG_KEY):
        if inner.get(shared) != files.get(shared):
            report.failures.append(
                f"{name}: its {shared} is not the sample's: the bundles do not share one checkpoint"
            )


def verify_sample_bytes(data: bytes, trust: BundleTrust | None = None) -> SampleReport:
    """`trust` as for a single bundle: a policy pinning the log's published key (and its
    witnesses), or explicitly the key the archive carries; without either nothing is judged."""
    trust = trust or BundleTrust()
    report = SampleReport()
    if trust.policy is None and not trust.trust_bundle_key:
        report.refused = HOW_TO_PIN
        return report
    files = _files(data, report)
    if files is None:
        return report
    manifest = _manifest(files, report)
    if manifest is None:
        return report
    for shared in (bundle_format.CHECKPOINT, bundle_format.LOG_KEY):
        if shared not in files:
            report.failures.append(f"{shared} is missing")
    try:
        cohort = json.loads(files[fmt.COHORT_JSON])
        ids = [str(m["trajectory_id"]).lower() for m in cohort]
        seed, size = str(manifest["seed"]), manifest["size_asked"]
        sample = [dict(s) for s in manifest["sample"]]
    except (KeyError, ValueError, TypeError) as exc:
        report.failures.append(f"{fmt.COHORT_JSON} or {fmt.MANIFEST} is not valid: {exc}")
        return report
    report.cohort_size = len(ids)
    if len(ids) != len(set(ids)):
        report.failures.append(f"{fmt.COHORT_JSON} lists a trajectory twice")
    if manifest.get("cohort_size") != len(ids):
        report.failures.append(f"{fmt.MANIFEST} and {fmt.COHORT_JSON} disagree on the cohort size")
    for member in cohort:
        if member.get("rank") != fmt.rank(seed, str(member["trajectory_id"])):
            report.failures.append(f"the rank of {member['trajectory_id']} is not its draw")
    expected = fmt.draw(ids, seed, size if isinstance(size, int) else None)
    drawn = [str(s.get("trajectory_id", "")).lower() for s in sample]
    if drawn != expected:
        report.failures.append(
            "the sample is not the draw of the seed from the cohort: "
            f"expected {len(expected)} trajectories, found another selection"
        )
    marked = sorted(str(m["trajectory_id"]).lower() for m in cohort if m.get("sampled"))
    if marked != sorted(drawn):
        report.failures.append(f"{fmt.COHORT_JSON} marks other trajectories as sampled")
    bundles = sorted(n for n in files if n.startswith(fmt.BUNDLES))
    named = sorted(str(s.get("bundle")) for s in sample)
    if bundles != named:
        report.failures.append("the bundles present are not those of the sampled trajectories")
    for s in sample:
        name = str(s.get("bundle"))
        if name in files:
            tid = str(s.get("trajectory_id", "")).lower()
            _bundle(name, tid, files[name], files, report, trust)
            report.bundles += 1
    if manifest.get("whole_cohort"):
        report.notes.append("the whole cohort is exported")
    if trust.policy is None:
        report.notes.append(
            f"checked against the archive's own key {manifest.get('log_key')}: compare it with "
            "the key the institution publishes, or pass --policy or --public-key"
        )
    return report


def verify_sample(path: Path, trust: BundleTrust | None = None) -> SampleReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report = SampleReport()
        report.failures.append(f"cannot read {path}: {exc.strerror}")
        return report
    return verify_sample_bytes(data, trust)
