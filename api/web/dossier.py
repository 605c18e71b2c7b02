"""The dossier page and its downloads: HTML, PDF (A4, page numbers and the dossier's id on
every page) and the verifiable bundle.

The dossier is the one `GET /trajectories/{id}/dossier` answers (same function, same access);
the page adds names from the person registry and checks every step's inclusion proof against
the signed checkpoint.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from api.routers.dossier import DOSSIER
from api.routers.dossier import dossier as dossier_route
from api.services.sealer import runtime
from api.web.context import Visit, page, parse_id, visitor
from projections.audit import render
from projections.audit.bundle import BundleError, bundle_files, write_zip
from projections.audit.checkpoint import Checkpoint
from projections.audit.merkle import verify_inclusion
from projections.reports.pdf import html_to_pdf

router = APIRouter()

Attempt = Annotated[int | None, Query(alias="poging", ge=1, le=1_000)]


def load(visit: Visit, trajectory_id: uuid.UUID, attempt: int | None) -> dict[str, Any]:
    state = visit.state
    answer = dossier_route(trajectory_id, state.application, state, visit.actor, attempt)
    built: dict[str, Any] = orjson.loads(answer.body)
    return built


def checked(built: dict[str, Any], visit: Visit) -> tuple[dict[int, bool], bool | None]:
    """Per step's log position: whether its leaf is in the signed checkpoint's tree (its leaf
    hash recomputed from the stored event, its proof checked against the root); and whether
    the checkpoint's signature holds (None: no checkpoint yet)."""
    checkpoint_json = built["audit"]["checkpoint"]
    if checkpoint_json is None:
        return {}, None
    checkpoint = Checkpoint.from_json(checkpoint_json)
    key = runtime(visit.state).public_key
    signed = key is not None and checkpoint.verify(key)
    proven: dict[int, bool] = {}
    for step in built["steps"]:
        proof = step.get("proof")
        if proof is None:
            continue
        proven[step["position"]] = (
            signed
            and proof["leaf_hash"] == step["leaf_hash"]
            and verify_inclusion(
                proof["leaf_index"],
                checkpoint.tree_size,
                bytes.fromhex(proof["leaf_hash"]),
                [bytes.fromhex(p) for p in proof["path"]],
                checkpoint.root_hash,
            )
        )
    return proven, signed


def plain(built: dict[str, Any]) -> dict[str, Any]:
    """The dossier without the API's proofs: what a bundle's dossier.json holds."""
    out = {k: v for k, v in built.items() if k != "audit"}
    out["steps"] = [{k: v for k, v in s.items() if k != "proof"} for s in built["steps"]]
    return out


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/trajecten/{trajectory_id}/dossier")
@page
def dossier_page(
    request: Request,
    trajectory_id: str,
    attempt: Attempt = None,
    done: Annotated[str | None, Query(alias="gedaan", max_length=40)] = None,
) -> Response:
    visit = visitor(request)
    tid = parse_id(trajectory_id)
    built = load(visit, tid, attempt)
    proven, signed = checked(built, visit)
    dossier = plain(built)
    names = visit.names
    body = render.sections(dossier, built["audit"]["checkpoint"], names, proven)
    decided = [d for a in dossier["attempts"] for d in a["decisions"]]
    return visit.show(
        "dossier.html",
        title=render.title_of(dossier, names),
        body="\n".join(body),
        dossier=dossier,
        dossier_id=render.dossier_id(dossier),
        attempt=attempt,
        proven=proven,
        unproven=len(dossier["steps"]) - sum(1 for ok in proven.values() if ok),
        failed=sum(1 for ok in proven.values() if not ok),
        signed=signed,
        done=done,
        decided=decided[-1] if decided else None,
        trajectory_id=str(tid),
    )


def _html(visit: Visit, tid: uuid.UUID, attempt: int | None) -> tuple[bytes, dict[str, Any]]:
    built = load(visit, tid, attempt)
    proven, _signed = checked(built, visit)
    dossier = plain(built)
    return render.render_html(dossier, built["audit"]["checkpoint"], visit.names, proven), dossier


def _name(tid: uuid.UUID, attempt: int | None, extension: str) -> str:
    return f"dossier-{tid}{f'-poging-{attempt}' if attempt else ''}.{extension}"


@router.get("/trajecten/{trajectory_id}/dossier.html")
@page
def dossier_html(request: Request, trajectory_id: str, attempt: Attempt = None) -> Response:
    visit = visitor(request)
    tid = parse_id(trajectory_id)
    html, _ = _html(visit, tid, attempt)
    return _download(html, "text/html; charset=utf-8", _name(tid, attempt, "html"))


@router.get("/trajecten/{trajectory_id}/dossier.pdf")
@page
def dossier_pdf(request: Request, trajectory_id: str, attempt: Attempt = None) -> Response:
    visit = visitor(request)
    tid = parse_id(trajectory_id)
    html, dossier = _html(visit, tid, attempt)
    pdf = html_to_pdf(html.decode(), document_id=f"Dossier {render.dossier_id(dossier)}")
    return _download(pdf, "application/pdf", _name(tid, attempt, "pdf"))


@router.get("/trajecten/{trajectory_id}/bundel.zip")
@page
def dossier_bundle(request: Request, trajectory_id: str, attempt: Attempt = None) -> Response:
    visit = visitor(request)
    tid = parse_id(trajectory_id)
    state = visit.state
    application = state.application
    # The bundle holds the dossier: it is for those who may read the dossier.
    application.read_access(visit.actor, application.get_trajectory(tid), DOSSIER.readers)
    audit = runtime(state)
    vkey = audit.sealer.vkey
    if vkey is None:
        return visit.show("bundle_unavailable.html", 409, trajectory_id=str(tid))
    try:
        files = bundle_files(application, audit.store, vkey, tid, attempt)
    except BundleError:
        # The latest events are not in a signed checkpoint yet: sign one now, as
        # `bewijsketen audit export` does, and make the bundle against it.
        try:
            audit.sealer.checkpoint_now()
            files = bundle_files(application, audit.store, vkey, tid, attempt)
        except (BundleError, RuntimeError):
            return visit.show("bundle_unavailable.html", 409, trajectory_id=str(tid))
    # The same archive `bewijsketen audit export` writes.
    with tempfile.TemporaryDirectory(prefix="bewijsketen-bundle-") as folder:
        path = Path(folder) / "bundle.zip"
        write_zip(files, path)
        data = path.read_bytes()
    return _download(data, "application/zip", _name(tid, attempt, "zip"))
