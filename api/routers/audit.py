"""The verifiable audit log: public key, checkpoints, proofs and the read-only verification.

docs/audit.md describes the leaf encoding, the checkpoint note and how to check a proof.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from api.deps import StateDep, may_read
from api.problems import Problem, problems
from api.services.sealer import runtime
from domain import policy
from domain.values import Actor
from projections.audit import proofs
from projections.audit.keys import key_id, public_pem, raw_public
from projections.audit.verify import verify_store

router = APIRouter(prefix="/audit", tags=["audit"])

Reader = Annotated[Actor, Depends(may_read(policy.READS["audit"]))]
Checkpointer = Annotated[Actor, Depends(may_read(policy.READS["checkpoint"]))]
Verifier = Annotated[Actor, Depends(may_read(policy.READS["verify"]))]
TreeSize = Annotated[int, Query(ge=1, le=2**62, description="A tree size (number of leaves).")]


def _not_found(detail: str) -> Problem:
    return Problem(404, "Not found", detail, kind="not-found")


@router.get(
    "/public-key",
    summary="The log's Ed25519 public key (no token needed)",
    responses=problems(404),
)
def public_key(state: StateDep) -> dict[str, Any]:
    """Pin its `key_id` outside the system: every checkpoint names the key that signed it."""
    key = runtime(state).public_key
    if key is None:
        raise _not_found("no signing key is configured: run `bewijsketen audit keygen`")
    return {
        "algorithm": "Ed25519",
        "key_id": key_id(key),
        "public_key": base64.b64encode(raw_public(key)).decode(),
        "pem": public_pem(key),
    }


@router.get(
    "/checkpoints",
    summary="Signed checkpoints, oldest first",
    responses=problems(401, 403),
)
def list_checkpoints(
    state: StateDep,
    _: Reader,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="Only checkpoints of a larger tree.")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Every signed checkpoint of the log, oldest first, and where the sealer stands."""
    audit = runtime(state)
    found = [c for c in audit.store.checkpoints() if c.tree_size > after][:limit]
    return {"checkpoints": [c.to_json() for c in found], "sealer": audit.sealer.status()}


@router.post(
    "/checkpoints",
    summary="Seal what is pending and sign a checkpoint now",
    responses=problems(401, 403, 409),
)
def make_checkpoint(state: StateDep, _: Checkpointer) -> dict[str, Any]:
    """On demand: returns the new checkpoint, or the latest if the log did not grow."""
    audit = runtime(state)
    if audit.signing_key is None:
        raise Problem(409, "Conflict", "no signing key is configured", kind="conflict")
    checkpoint = audit.sealer.checkpoint_now()
    if checkpoint is None:
        raise Problem(409, "Conflict", "the log is empty: nothing to sign yet", kind="conflict")
    return checkpoint.to_json()


@router.get(
    "/checkpoints/latest",
    summary="The most recent signed checkpoint",
    responses=problems(401, 403, 404),
)
def latest_checkpoint(state: StateDep, _: Reader) -> dict[str, Any]:
    """The newest signed checkpoint: keep it outside the system to check the log later."""
    checkpoint = runtime(state).store.latest_checkpoint()
    if checkpoint is None:
        raise _not_found("no checkpoint has been signed yet")
    return checkpoint.to_json()


@router.get(
    "/checkpoints/{tree_size}",
    summary="The signed checkpoint of one tree size",
    responses=problems(401, 403, 404),
)
def checkpoint_of_size(
    state: StateDep,
    _: Reader,
    tree_size: Annotated[int, Path(ge=1, le=2**62, description="Leaves in the tree.")],
) -> dict[str, Any]:
    """The signed checkpoint of exactly this tree size, if one was signed."""
    checkpoint = runtime(state).store.checkpoint(tree_size)
    if checkpoint is None:
        raise _not_found(f"no checkpoint of tree size {tree_size}")
    return checkpoint.to_json()


@router.get(
    "/proofs/inclusion",
    summary="Proof that the event at a position is in the tree of a checkpoint (RFC 9162)",
    responses=problems(401, 403, 404, 422),
)
def inclusion_proof(
    state: StateDep,
    _: Reader,
    position: Annotated[int, Query(ge=1, le=2**62, description="The event's log position.")],
    tree_size: Annotated[
        int | None, Query(ge=1, le=2**62, description="Default: the latest checkpoint.")
    ] = None,
) -> dict[str, Any]:
    """The audit path from an event's leaf to the root of a signed tree (RFC 9162)."""
    try:
        return proofs.inclusion(runtime(state).store, position, tree_size)
    except proofs.ProofError as exc:
        raise _not_found(str(exc)) from None


@router.get(
    "/proofs/consistency",
    summary="Proof that the tree of `second` leaves extends the tree of `first` (RFC 9162)",
    responses=problems(401, 403, 404, 422),
)
def consistency_proof(
    state: StateDep, _: Reader, first: TreeSize, second: TreeSize
) -> dict[str, Any]:
    """Proof that the tree of one size is a prefix of the tree of another (RFC 9162): the
    log only grew."""
    try:
        return proofs.consistency(runtime(state).store, first, second)
    except proofs.ProofError as exc:
        raise _not_found(str(exc)) from None


@router.get(
    "/verify",
    summary="Recompute the whole log and check it against the sealed record (read only)",
    responses=problems(401, 403),
)
def verify(state: StateDep, _: Verifier) -> dict[str, Any]:
    """The same check as `bewijsketen audit verify`: `ok` false names the first divergence."""
    audit = runtime(state)
    return verify_store(audit.store, audit.public_key).to_json()
