"""Inclusion and consistency proofs served from the audit store, as JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from projections.audit.checkpoint import Checkpoint
from projections.audit.merkle import (
    CachedSource,
    consistency_proof,
    inclusion_blocks,
    inclusion_proof,
    tree_root,
)
from projections.audit.store import AuditStore


class ProofError(ValueError):
    """The requested proof does not exist (unsealed position, unknown tree size...)."""


def _sealed_size(store: AuditStore) -> int:
    return store.load_state().tree_size


def _checkpoint_json(checkpoint: Checkpoint | None) -> dict[str, Any] | None:
    return checkpoint.to_json() if checkpoint is not None else None


def resolve_tree_size(store: AuditStore, tree_size: int | None) -> tuple[int, Checkpoint | None]:
    """The tree size a proof is made against: the given one, or the latest checkpoint's."""
    if tree_size is None:
        latest = store.latest_checkpoint()
        if latest is None:
            raise ProofError("no checkpoint has been signed yet")
        return latest.tree_size, latest
    sealed = _sealed_size(store)
    if not 0 < tree_size <= sealed:
        raise ProofError(f"tree size {tree_size} is not between 1 and the sealed size {sealed}")
    return tree_size, store.checkpoint(tree_size)


def inclusion(store: AuditStore, position: int, tree_size: int | None = None) -> dict[str, Any]:
    size, checkpoint = resolve_tree_size(store, tree_size)
    found = store.leaves_at_positions([position]).get(position)
    if found is None:
        raise ProofError(f"no sealed event at position {position}")
    index, hashed = found
    if index >= size:
        raise ProofError(
            f"the event at position {position} is leaf {index}, not in a tree of {size}"
        )
    path = inclusion_proof(index, size, store)
    return {
        "position": position,
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": hashed.hex(),
        "root_hash": tree_root(size, store).hex(),
        "path": [p.hex() for p in path],
        "checkpoint": _checkpoint_json(checkpoint),
    }


def inclusion_many(
    store: AuditStore, positions: list[int], tree_size: int
) -> dict[int, dict[str, Any]]:
    """Proofs for many positions against one tree; positions not in that tree are left out."""
    found = store.leaves_at_positions(positions)
    source = CachedSource(store)
    source.prefetch(
        b
        for index, _ in found.values()
        if index < tree_size
        for b in inclusion_blocks(index, tree_size)
    )
    out = {}
    for position, (index, hashed) in sorted(found.items()):
        if index < tree_size:
            path = inclusion_proof(index, tree_size, source)
            out[position] = {
                "position": position,
                "leaf_index": index,
                "leaf_hash": hashed.hex(),
                "path": [p.hex() for p in path],
            }
    return out


def consistency(store: AuditStore, first: int, second: int) -> dict[str, Any]:
    sealed = _sealed_size(store)
    if not 0 < first <= second <= sealed:
        raise ProofError(f"need 0 < first ≤ second ≤ {sealed} (the sealed size)")
    return {
        "first": first,
        "second": second,
        "first_root": tree_root(first, store).hex(),
        "second_root": tree_root(second, store).hex(),
        "path": [p.hex() for p in consistency_proof(first, second, store)],
        "first_checkpoint": _checkpoint_json(store.checkpoint(first)),
        "second_checkpoint": _checkpoint_json(store.checkpoint(second)),
    }
