"""Writes a dossier bundle (layout in bundle_format.py) for one trajectory."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path

from domain.application import Bewijsketen
from projections.audit import bundle_format as fmt
from projections.audit import envelopes
from projections.audit.checkpoint import Checkpoint
from projections.audit.merkle import consistency_proof, tree_root
from projections.audit.proofs import inclusion_many
from projections.audit.render import render_html
from projections.audit.source import SourcedEvent, dossier_of
from projections.audit.store import AuditStore
from projections.audit.tlog import TlogProof


class BundleError(RuntimeError):
    """The bundle cannot be made yet (no checkpoint covers the trajectory...)."""


def bundle_files(
    app: Bewijsketen,
    store: AuditStore,
    log_vkey: str,
    trajectory_id: uuid.UUID,
    attempt: int | None = None,
    against: Sequence[Checkpoint] = (),
) -> dict[str, bytes]:
    checkpoint = store.latest_checkpoint()
    if checkpoint is None:
        raise BundleError("no checkpoint yet: run `bewijsketen audit checkpoint`")
    if checkpoint.legacy:
        raise BundleError(
            "the latest checkpoint is of the first format; a C2SP checkpoint is signed with the "
            "next event (then run `bewijsketen audit checkpoint`)"
        )
    dossier, events = dossier_of(app, store, trajectory_id, attempt)
    proofs = inclusion_many(store, [e.row.position for e in events], checkpoint.tree_size)
    unproven = [e.row.position for e in events if e.row.position not in proofs]
    if unproven:
        raise BundleError(
            f"{len(unproven)} events (from position {unproven[0]}) are not yet in the latest "
            "checkpoint: run `bewijsketen audit checkpoint` first"
        )
    note = checkpoint.note
    files: dict[str, bytes] = {}
    lines = []
    for e in events:
        proof = proofs[e.row.position]
        item = {
            "position": e.row.position,
            "leaf_index": proof["leaf_index"],
            "aggregate_id": str(e.row.aggregate_id),
            "version": e.row.version,
            "topic": e.row.topic,
            "state": base64.b64encode(e.row.state).decode(),
        }
        if e.payload is not None:
            item["payload"] = e.payload
        lines.append(json.dumps(item, sort_keys=True, ensure_ascii=False))
        path = tuple(bytes.fromhex(h) for h in proof["path"])
        files[fmt.proof_name(e.row.position)] = (
            TlogProof(proof["leaf_index"], path, note).text().encode()
        )
    for held in against:
        files[fmt.consistency_name(held.tree_size)] = _consistency(store, held, checkpoint)
    token = store.timestamp(checkpoint.tree_size)
    if token is not None:
        files[fmt.TIMESTAMP] = token
    files |= {
        fmt.EVENTS: ("\n".join(lines) + "\n").encode(),
        fmt.KEYS: envelopes.keys_text(_live_keys(app, events)),
        fmt.CHECKPOINT: note.encode(),
        fmt.LOG_KEY: (log_vkey + "\n").encode(),
        fmt.DOSSIER_JSON: fmt.canonical_json(dossier),
        fmt.DOSSIER_HTML: render_html(dossier, checkpoint.to_json()),
        fmt.README: fmt.README_TEXT.encode(),
    }
    manifest = {
        "format": fmt.FORMAT,
        "trajectory_id": str(trajectory_id),
        "attempt": attempt,
        "tree_size": checkpoint.tree_size,
        "origin": checkpoint.origin,
        "log_key": log_vkey,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files[fmt.MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    return files


def _live_keys(app: Bewijsketen, events: Sequence[SourcedEvent]) -> dict[str, bytes]:
    """The data keys that opened the events' sealed values: the verifier opens them again to
    render the dossier. Shredded keys are not among them (their values read as gone)."""
    found: dict[str, bytes] = {}
    for key_id in sorted({k for e in events for k in e.keys}):
        key = app.keys.lookup(key_id)
        if key is None:
            raise BundleError(f"data key {key_id} was shredded while the bundle was made: retry")
        found[key_id] = key
    return found


def _consistency(store: AuditStore, held: Checkpoint, checkpoint: Checkpoint) -> bytes:
    first, second = sorted((held.tree_size, checkpoint.tree_size))
    sealed = store.load_state().tree_size
    if second > sealed or first < 1:
        raise BundleError(f"the log has no tree of {held.tree_size} leaves to prove against")
    if tree_root(held.tree_size, store) != held.root_hash:
        raise BundleError(
            f"the held checkpoint of tree size {held.tree_size} is not of this log: its root "
            "differs from the log's tree of that size"
        )
    path = consistency_proof(first, second, store)
    return fmt.consistency_text(first, second, path).encode()


def write_zip(files: dict[str, bytes], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in (fmt.MANIFEST, *sorted(n for n in files if n != fmt.MANIFEST)):
            info = zipfile.ZipInfo(name, date_time=fmt.ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
