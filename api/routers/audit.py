"""The verifiable audit log: public key, checkpoints, proofs, leaves and the verification.

docs/audit.md describes the leaf encoding, the checkpoint note (C2SP) and how to check a proof.
"""

from __future__ import annotations

import base64
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse

from api.deps import ApplicationDep, StateDep, may_read
from api.problems import Problem, problems
from api.reading import Offset
from api.schemas.audit import (
    Checkpoint,
    CheckpointPage,
    ConsistencyProof,
    InclusionProof,
    Leaf,
    PublicKey,
    VerifyReport,
)
from api.services.sealer import runtime
from domain import policy
from domain.application import Bewijsketen
from domain.errors import DomainError
from domain.values import Actor
from projections.audit import proofs
from projections.audit.checkpoint import log_verifier
from projections.audit.cosign import fetch_witnessed
from projections.audit.keys import key_id, public_pem, raw_public
from projections.audit.leaf import LEAF_VERSION, encode_leaf
from projections.audit.merkle import leaf_hash
from projections.audit.sealer import KeyChanged, event_name
from projections.audit.timestamps import TimestampError, load_roots
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
    response_model=PublicKey,
)
def public_key(state: StateDep) -> dict[str, Any]:
    """Pin its `key_id` outside the system: every checkpoint names the key that signed it."""
    audit = runtime(state)
    key = audit.public_key
    if key is None:
        raise _not_found("no signing key is configured: run `bewijsketen audit keygen`")
    verifier = log_verifier(audit.audit.origin, key)
    return {
        "algorithm": "Ed25519",
        "key_id": key_id(key),
        "public_key": base64.b64encode(raw_public(key)).decode(),
        "pem": public_pem(key),
        "origin": audit.audit.origin,
        "vkey": verifier.vkey,
        "note_key_id": verifier.key_hex,
        "keys": [
            {"vkey": vkey, "announced_in": announcement}
            for _, vkey, announcement in audit.store.log_keys()
        ],
    }


@router.get(
    "/vkey",
    summary="The log's verifier key, signed-note format (no token needed)",
    response_model=None,
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}, **problems(404)},
)
def vkey(state: StateDep) -> PlainTextResponse:
    """`<origin>+<key id>+<base64(0x01 ‖ key)>`: the line a trust policy pins (`log <vkey>`)."""
    audit = runtime(state)
    key = audit.public_key
    if key is None:
        raise _not_found("no signing key is configured: run `bewijsketen audit keygen`")
    return PlainTextResponse(log_verifier(audit.audit.origin, key).vkey + "\n")


@router.get(
    "/checkpoints",
    summary="Signed checkpoints, oldest first",
    responses=problems(401, 403),
    response_model=CheckpointPage,
)
def list_checkpoints(
    state: StateDep,
    _: Reader,
    after: Annotated[
        int, Query(ge=0, le=2**62, description="Only checkpoints of a larger tree.")
    ] = 0,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="Page size: 100 unless asked, at most 1000.")
    ] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Every signed checkpoint of the log, oldest first, and where the sealer stands."""
    audit = runtime(state)
    larger = [c for c in audit.store.checkpoints() if c.tree_size > after]
    page = larger[offset : offset + limit]
    return {
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < len(larger) else None,
        "total": len(larger),
        "items": [c.to_json() for c in page],
        "sealer": audit.sealer.status(),
    }


@router.post(
    "/checkpoints",
    summary="Seal what is pending and sign a checkpoint now",
    responses=problems(401, 403, 409),
    response_model=Checkpoint,
)
def make_checkpoint(state: StateDep, _: Checkpointer) -> dict[str, Any]:
    """On demand: returns the new checkpoint, or the latest if the log did not grow."""
    audit = runtime(state)
    if audit.signing_key is None:
        raise Problem(409, "Conflict", "no signing key is configured", kind="conflict")
    try:
        checkpoint = audit.sealer.checkpoint_now()
    except KeyChanged as exc:
        raise Problem(409, "Conflict", str(exc), kind="conflict") from None
    if checkpoint is None:
        raise Problem(409, "Conflict", "the log is empty: nothing to sign yet", kind="conflict")
    return checkpoint.to_json()


@router.get(
    "/checkpoints/latest",
    summary="The most recent signed checkpoint",
    responses=problems(401, 403, 404),
    response_model=Checkpoint,
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
    response_model=Checkpoint,
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
    response_model=InclusionProof,
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
    response_model=ConsistencyProof,
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


def may_read_event(
    app: Bewijsketen, actor: Actor, aggregate_id: uuid.UUID, version: int, topic: str
) -> bool:
    """Who may read a stored event: whoever may read its trajectory, by their relation to it
    (domain.policy), a former coach or mentor only the events of their term; a program's
    events, anyone signed in."""
    if not topic.rsplit(":", 1)[-1].startswith("Trajectory."):
        return True
    try:
        access = app.read_access(actor, app.get_trajectory(aggregate_id))
    except DomainError:
        return False
    return access.up_to_version is None or version <= access.up_to_version


@router.get(
    "/leaves/{position}",
    summary="The stored bytes of the event at a position and its leaf encoding",
    responses=problems(401, 403, 404, 422),
    response_model=Leaf,
)
def leaf(
    state: StateDep,
    app: ApplicationDep,
    actor: Reader,
    position: Annotated[int, Path(ge=1, le=2**62, description="The event's log position.")],
) -> dict[str, Any]:
    """Recompute the leaf hash from `state` (the bytes as stored) with the encoding in
    docs/audit.md, and check it against a dossier step's `leaf_hash` and proof."""
    audit = runtime(state)
    found = audit.store.leaves_at_positions([position]).get(position)
    if found is None:
        raise _not_found(f"no sealed event at position {position}")
    _, _, ident, version, sealed_hash = audit.store.leaf_at(position)
    row = audit.store.find_event(ident, version)
    aggregate = uuid.UUID(bytes=ident) if len(ident) == 16 else None
    if (
        row is None
        or aggregate is None
        or not may_read_event(app, actor, aggregate, version, row[3])
    ):
        raise _not_found(f"no sealed event at position {position}")
    stored_position, _, _, topic, stored = row
    encoded = encode_leaf(position, aggregate, version, topic, stored)
    return {
        "position": position,
        "leaf_index": found[0],
        "aggregate_id": str(aggregate),
        "version": version,
        "topic": topic,
        "event": event_name(topic),
        "state": base64.b64encode(stored).decode(),
        "leaf": base64.b64encode(encoded).decode(),
        "leaf_hash": leaf_hash(encoded).hex(),
        "sealed_leaf_hash": sealed_hash.hex(),
        "matches_seal": stored_position == position and leaf_hash(encoded) == sealed_hash,
        "encoding": {
            "version": LEAF_VERSION,
            "leaf": "0x01 ‖ uint64 position ‖ uint8 len(id) ‖ id (16 bytes of the UUID) ‖ "
            "uint64 version ‖ uint32 len(topic) ‖ topic (UTF-8) ‖ uint32 len(state) ‖ state; "
            "integers unsigned big-endian",
            "leaf_hash": "SHA-256(0x00 ‖ leaf)  (RFC 9162 §2.1.1)",
        },
    }


@router.get(
    "/verify",
    summary="Recompute the whole log and check it against the sealed record (read only)",
    responses=problems(401, 403),
    response_model=VerifyReport,
)
def verify(state: StateDep, _: Verifier) -> dict[str, Any]:
    """The same check as `bewijsketen audit verify` under the configured trust policy
    (BEWIJSKETEN_AUDIT_POLICY_FILE), with the checkpoints its witnesses hold: `ok` false
    names the first divergence, or the checkpoint whose key changed."""
    audit = runtime(state)
    external = []
    notes: list[str] = []
    problems_found: list[str] = []
    if audit.policy is not None:
        view = fetch_witnessed(audit.policy, audit.audit.origin, audit.audit.witness_timeout)
        external, notes, problems_found = view.checkpoints, view.notes, view.problems
    try:
        roots = load_roots(audit.audit.tsa_roots) if audit.audit.tsa_roots else []
    except TimestampError as exc:
        notes.append(str(exc))
        roots = []
    report = verify_store(
        audit.store,
        audit.public_key,
        external,
        policy=audit.policy,
        tsa_roots=roots,
        grace_seconds=audit.audit.witness_grace_seconds,
    )
    report.notes.extend(notes)
    report.problems.extend(problems_found)
    return report.to_json()
