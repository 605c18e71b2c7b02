"""Offline verification of a dossier bundle: needs the zip file only, no database, no domain.

Checks, each failure naming the file it concerns:
1. the manifest lists exactly the files present, with the right SHA-256;
2. the checkpoint is signed by the bundle's public key (and by a pinned key, if given);
3. every event's leaf hash, recomputed from its stored bytes, is included in the checkpoint's
   tree by its proof; the trajectory's versions run 1..n without a gap;
4. dossier.json and dossier.html equal what the same builder and renderer make from the events.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.audit import bundle_format as fmt
from projections.audit.checkpoint import Checkpoint
from projections.audit.dossier import DossierError, DossierEvent, build_dossier
from projections.audit.keys import SigningKeyError, key_id, load_public_pem
from projections.audit.leaf import encode_leaf
from projections.audit.merkle import leaf_hash, verify_inclusion
from projections.audit.payload import decode_plain
from projections.audit.render import render_html


@dataclass
class BundleReport:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: int = 0
    tree_size: int | None = None
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failures

    def lines(self) -> list[str]:
        out = [f"FAIL: {f}" for f in self.failures] + [f"note: {n}" for n in self.notes]
        if self.ok:
            out.append(
                f"OK: {self.events} events proven against the checkpoint of tree size "
                f"{self.tree_size}, signed by key {self.key_id}; the rendering matches the events"
            )
        return out


def _read_zip(data: bytes, report: BundleReport) -> dict[str, bytes] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        report.failures.append(f"the bundle is not a readable zip file: {exc}")
        return None


def _check_manifest(files: dict[str, bytes], report: BundleReport) -> dict[str, Any]:
    raw = files.get(fmt.MANIFEST)
    if raw is None:
        report.failures.append(f"{fmt.MANIFEST} is missing")
        return {}
    try:
        manifest = json.loads(raw)
        listed = dict(manifest["files"])
        if manifest.get("format") != fmt.FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}, expected {fmt.FORMAT!r}")
    except (ValueError, KeyError, TypeError) as exc:
        report.failures.append(f"{fmt.MANIFEST} is not a valid manifest: {exc}")
        return {}
    present = set(files) - {fmt.MANIFEST}
    for name in sorted(present - set(listed)):
        report.failures.append(f"{name} is in the bundle but not in {fmt.MANIFEST}")
    for name in sorted(set(listed) - present):
        report.failures.append(f"{name} is listed in {fmt.MANIFEST} but missing from the bundle")
    for name in sorted(present & set(listed)):
        if hashlib.sha256(files[name]).hexdigest() != listed[name]:
            report.failures.append(f"{name} was altered: its SHA-256 differs from {fmt.MANIFEST}")
    for name in fmt.FILES:
        if name not in files:
            report.failures.append(f"{name} is missing")
    return dict(manifest)


def _load_events(raw: bytes, report: BundleReport) -> list[dict[str, Any]]:
    events = []
    for number, line in enumerate(raw.decode(errors="replace").splitlines(), start=1):
        try:
            item = json.loads(line)
            item["_state"] = base64.b64decode(item["state"], validate=True)
            item["_leaf_hash"] = leaf_hash(
                encode_leaf(
                    int(item["position"]),
                    str(item["aggregate_id"]),
                    int(item["version"]),
                    str(item["topic"]),
                    item["_state"],
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            report.failures.append(f"{fmt.EVENTS} line {number} is not a valid event: {exc}")
            continue
        events.append(item)
    return events


def _dossier_events(events: list[dict[str, Any]], report: BundleReport) -> list[DossierEvent]:
    out = []
    encrypted = 0
    for item in events:
        try:
            data = decode_plain(item["_state"])
        except ValueError:
            # Encrypted at rest: the bundle carries the decrypted payload, which no proof covers.
            payload = item.get("payload")
            encrypted += 1
            if not isinstance(payload, dict):
                report.failures.append(
                    f"{fmt.EVENTS}: the event at position {item['position']} is neither plain "
                    "JSON nor accompanied by its payload"
                )
                continue
            data = payload
        out.append(
            DossierEvent(
                int(item["position"]),
                str(item["aggregate_id"]),
                int(item["version"]),
                str(item["topic"]),
                data,
                item["_leaf_hash"].hex(),
            )
        )
    if encrypted:
        report.notes.append(
            f"{encrypted} events are encrypted at rest: their sealed bytes are proven, but their "
            "readable payload cannot be tied to those bytes without the decryption key"
        )
    return out


def verify_bundle_bytes(data: bytes, pinned: Ed25519PublicKey | None = None) -> BundleReport:
    report = BundleReport()
    files = _read_zip(data, report)
    if files is None:
        return report
    manifest = _check_manifest(files, report)

    try:
        public_key = load_public_pem(files.get(fmt.PUBLIC_KEY, b""))
        report.key_id = key_id(public_key)
    except SigningKeyError as exc:
        report.failures.append(f"{fmt.PUBLIC_KEY}: {exc}")
        return report
    if pinned is not None and key_id(pinned) != report.key_id:
        report.failures.append(
            f"{fmt.PUBLIC_KEY} is key {report.key_id}, not the pinned key {key_id(pinned)}"
        )
    try:
        checkpoint = Checkpoint.from_json(json.loads(files.get(fmt.CHECKPOINT, b"")))
    except ValueError as exc:
        report.failures.append(f"{fmt.CHECKPOINT}: {exc}")
        return report
    report.tree_size = checkpoint.tree_size
    if not checkpoint.verify(public_key):
        report.failures.append(
            f"{fmt.CHECKPOINT}: the signature does not verify with {fmt.PUBLIC_KEY}"
        )

    events = _load_events(files.get(fmt.EVENTS, b""), report)
    report.events = len(events)
    _check_proofs(files, events, checkpoint, report)

    trajectory_id = str(manifest.get("trajectory_id", ""))
    versions = sorted(int(e["version"]) for e in events if e.get("aggregate_id") == trajectory_id)
    if versions != list(range(1, len(versions) + 1)):
        report.failures.append(
            f"{fmt.EVENTS}: the trajectory's versions are not 1..{len(versions)} without a gap: "
            "an event was left out"
        )
    _check_rendering(files, manifest, trajectory_id, events, checkpoint, report)
    if files.get(fmt.README) != fmt.README_TEXT.encode():
        report.failures.append(f"{fmt.README} differs from the standard text")
    return report


def _check_proofs(
    files: dict[str, bytes],
    events: list[dict[str, Any]],
    checkpoint: Checkpoint,
    report: BundleReport,
) -> None:
    try:
        proofs_doc = json.loads(files.get(fmt.PROOFS, b""))
        if int(proofs_doc["tree_size"]) != checkpoint.tree_size:
            report.failures.append(
                f"{fmt.PROOFS} is made against another tree size than {fmt.CHECKPOINT}"
            )
        proofs = {int(p["position"]): p for p in proofs_doc["proofs"]}
    except (ValueError, KeyError, TypeError) as exc:
        report.failures.append(f"{fmt.PROOFS} is not valid: {exc}")
        return
    for item in events:
        position = int(item["position"])
        proof = proofs.get(position)
        if proof is None:
            report.failures.append(
                f"{fmt.PROOFS} has no proof for the event at position {position}"
            )
            continue
        try:
            path = [bytes.fromhex(p) for p in proof["path"]]
            index = int(proof["leaf_index"])
        except (ValueError, KeyError, TypeError) as exc:
            report.failures.append(
                f"{fmt.PROOFS}: the proof for position {position} is malformed: {exc}"
            )
            continue
        if index != int(item.get("leaf_index", -1)):
            report.failures.append(
                f"{fmt.EVENTS} and {fmt.PROOFS} disagree on the leaf of position {position}"
            )
        if not verify_inclusion(
            index, checkpoint.tree_size, item["_leaf_hash"], path, checkpoint.root_hash
        ):
            report.failures.append(
                f"the event at position {position} ({fmt.EVENTS}) is not proven by its proof in "
                f"{fmt.PROOFS} to be in the signed tree: the event or the proof was altered"
            )


def _check_rendering(
    files: dict[str, bytes],
    manifest: dict[str, Any],
    trajectory_id: str,
    events: list[dict[str, Any]],
    checkpoint: Checkpoint,
    report: BundleReport,
) -> None:
    attempt = manifest.get("attempt")
    try:
        dossier = build_dossier(
            trajectory_id,
            _dossier_events(events, report),
            attempt if isinstance(attempt, int) else None,
        )
    except (DossierError, KeyError, TypeError, ValueError) as exc:
        report.failures.append(f"{fmt.EVENTS} does not make a dossier: {exc}")
        return
    if files.get(fmt.DOSSIER_JSON) != fmt.canonical_json(dossier):
        report.failures.append(
            f"{fmt.DOSSIER_JSON} does not match the dossier rebuilt from {fmt.EVENTS}"
        )
    if files.get(fmt.DOSSIER_HTML) != render_html(dossier, checkpoint.to_json()):
        report.failures.append(f"{fmt.DOSSIER_HTML} does not match the rendering of {fmt.EVENTS}")


def verify_bundle(path: Path, pinned: Ed25519PublicKey | None = None) -> BundleReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        report = BundleReport()
        report.failures.append(f"cannot read {path}: {exc.strerror}")
        return report
    return verify_bundle_bytes(data, pinned)
