"""The audit log (logboek): its signed checkpoints with any witnesses' cosignatures, the result
of a verification of the whole log, and the latest checkpoint to keep outside the system."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from api.routers.audit import list_checkpoints
from api.routers.audit import verify as verify_route
from api.services.sealer import runtime
from api.web.context import Hidden, page, visitor
from projections.audit.checkpoint import dump_external

router = APIRouter()

SHOWN = 25


def witnesses(checkpoint: dict[str, Any]) -> list[str]:
    """The witnesses that cosigned it (none for a checkpoint of the first format)."""
    return list(checkpoint.get("witnesses") or [])


@router.get("/logboek")
@page
def logbook(
    request: Request,
    check: Annotated[str | None, Query(alias="controleer", max_length=5)] = None,
) -> Response:
    visit = visitor(request)
    state = visit.state
    if not visit.may("audit"):
        raise Hidden()
    # The newest checkpoints, newest first: the last page of the oldest-first list.
    total = list_checkpoints(state, visit.actor, after=0, limit=1, offset=0)["total"]
    listed = list_checkpoints(
        state, visit.actor, after=0, limit=SHOWN, offset=max(0, total - SHOWN)
    )
    checkpoints = list(reversed(listed["items"]))
    may_verify = visit.may("verify")
    result = verify_route(state, visit.actor) if check and may_verify else None
    key = runtime(state).public_key
    return visit.show(
        "logbook.html",
        checkpoints=[(c, witnesses(c)) for c in checkpoints],
        total=listed["total"],
        sealer=listed["sealer"],
        may_verify=may_verify,
        result=result,
        key_id=None if key is None else checkpoints[0]["key_id"] if checkpoints else None,
    )


@router.get("/logboek/controlepunt")
@page
def latest_checkpoint(request: Request) -> Response:
    visit = visitor(request)
    if not visit.may("audit"):
        raise Hidden()
    audit = runtime(visit.state)
    checkpoint = audit.store.latest_checkpoint()
    if checkpoint is None or audit.public_key is None:
        raise Hidden()
    # The file `bewijsketen audit checkpoint --export` writes and `audit verify --against` reads:
    # the signed note (c2sp.org/tlog-checkpoint) with its cosignatures; JSON for the first format.
    body = dump_external(checkpoint, audit.public_key).encode()
    extension, media = ("json", "application/json") if checkpoint.legacy else ("txt", "text/plain")
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": (
                f'attachment; filename="controlepunt-{checkpoint.tree_size}.{extension}"'
            ),
            "Cache-Control": "no-store",
        },
    )
