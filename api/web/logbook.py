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

# Where a checkpoint's witnesses may be listed (cosigned checkpoints, C2SP tlog-witness).
WITNESS_KEYS = ("witnesses", "cosignatures")


def witnesses(checkpoint: dict[str, Any]) -> list[Any]:
    for key in WITNESS_KEYS:
        found = checkpoint.get(key)
        if isinstance(found, list):
            return found
    return []


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
    listed = list_checkpoints(state, visit.actor, after=0, limit=1000)
    checkpoints = list(reversed(listed["checkpoints"]))[:25]
    may_verify = visit.may("verify")
    result = verify_route(state, visit.actor) if check and may_verify else None
    key = runtime(state).public_key
    return visit.show(
        "logbook.html",
        checkpoints=[(c, witnesses(c)) for c in checkpoints],
        total=len(listed["checkpoints"]),
        sealer=listed["sealer"],
        may_verify=may_verify,
        result=result,
        key_id=None if key is None else checkpoints[0]["key_id"] if checkpoints else None,
    )


@router.get("/logboek/controlepunt.json")
@page
def latest_checkpoint(request: Request) -> Response:
    visit = visitor(request)
    if not visit.may("audit"):
        raise Hidden()
    audit = runtime(visit.state)
    checkpoint = audit.store.latest_checkpoint()
    if checkpoint is None or audit.public_key is None:
        raise Hidden()
    # The file `bewijsketen audit checkpoint --export` writes and `audit verify --against` reads.
    body = dump_external(checkpoint, audit.public_key).encode()
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="controlepunt-{checkpoint.tree_size}.json"'
            ),
            "Cache-Control": "no-store",
        },
    )
