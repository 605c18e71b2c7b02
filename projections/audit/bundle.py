"""Writes a dossier bundle (layout in bundle_format.py) for one trajectory."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.application import Bewijsketen
from projections.audit import bundle_format as fmt
from projections.audit.keys import key_id, public_pem
from projections.audit.proofs import inclusion_many
from projections.audit.render import render_html
from projections.audit.source import dossier_of
from projections.audit.store import AuditStore


class BundleError(RuntimeError):
    """The bundle cannot be made yet (no checkpoint covers the trajectory...)."""


def bundle_files(
    app: Bewijsketen,
    store: AuditStore,
    public_key: Ed25519PublicKey,
    trajectory_id: uuid.UUID,
    attempt: int | None = None,
) -> dict[str, bytes]:
    checkpoint = store.latest_checkpoint()
    if checkpoint is None:
        raise BundleError("no checkpoint yet: run `bewijsketen audit checkpoint`")
    dossier, events = dossier_of(app, store, trajectory_id, attempt)
    proofs = inclusion_many(store, [e.row.position for e in events], checkpoint.tree_size)
    unproven = [e.row.position for e in events if e.row.position not in proofs]
    if unproven:
        raise BundleError(
            f"{len(unproven)} events (from position {unproven[0]}) are not yet in the latest "
            "checkpoint: run `bewijsketen audit checkpoint` first"
        )
    lines = []
    for e in events:
        item = {
            "position": e.row.position,
            "leaf_index": proofs[e.row.position]["leaf_index"],
            "aggregate_id": str(e.row.aggregate_id),
            "version": e.row.version,
            "topic": e.row.topic,
            "state": base64.b64encode(e.row.state).decode(),
        }
        if e.payload is not None:
            item["payload"] = e.payload
        lines.append(json.dumps(item, sort_keys=True, ensure_ascii=False))
    checkpoint_json = checkpoint.to_json()
    files = {
        fmt.EVENTS: ("\n".join(lines) + "\n").encode(),
        fmt.CHECKPOINT: (json.dumps(checkpoint_json, indent=2, sort_keys=True) + "\n").encode(),
        fmt.PROOFS: (
            json.dumps(
                {
                    "tree_size": checkpoint.tree_size,
                    "root_hash": checkpoint.root_hash.hex(),
                    "proofs": [proofs[e.row.position] for e in events],
                },
                indent=1,
                sort_keys=True,
            )
            + "\n"
        ).encode(),
        fmt.PUBLIC_KEY: public_pem(public_key).encode(),
        fmt.DOSSIER_JSON: fmt.canonical_json(dossier),
        fmt.DOSSIER_HTML: render_html(dossier, checkpoint_json),
        fmt.README: fmt.README_TEXT.encode(),
    }
    manifest = {
        "format": fmt.FORMAT,
        "trajectory_id": str(trajectory_id),
        "attempt": attempt,
        "tree_size": checkpoint.tree_size,
        "key_id": key_id(public_key),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files[fmt.MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    return files


def write_zip(files: dict[str, bytes], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in (fmt.MANIFEST, *sorted(n for n in files if n != fmt.MANIFEST)):
            info = zipfile.ZipInfo(name, date_time=fmt.ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
