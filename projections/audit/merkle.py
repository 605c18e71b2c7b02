"""Merkle tree hashing and proofs exactly as RFC 9162 (§2.1) defines them, with no storage.

leaf hash = SHA-256(0x00 ‖ leaf), node hash = SHA-256(0x01 ‖ left ‖ right), and the hash of a
list of n > 1 leaves splits at k, the largest power of two smaller than n. Proof generation
asks a `BlockSource` for the hashes of perfect, power-of-two aligned subtrees ("blocks"), so
that a store can answer from stored subtree hashes instead of rehashing a million leaves.
This module must not import anything from the database or the domain: the offline bundle
verifier uses it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Block = tuple[int, int]
"""A perfect subtree: (level, index) covers leaves [index·2^level, (index+1)·2^level)."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def frontier_levels(size: int) -> list[int]:
    """Levels of the perfect subtrees that make up a tree of `size` leaves, left to right."""
    return [bit for bit in range(size.bit_length() - 1, -1, -1) if size >> bit & 1]


class Frontier:
    """The compact state of an append-only tree: one hash per set bit of its size.

    Appending a leaf completes at most log2(n) perfect subtrees; `append` returns them so that a
    store can keep the ones it wants for fast proofs.
    """

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != len(frontier_levels(size)):
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")
        self.size = size
        self.hashes = list(hashes)

    def copy(self) -> Frontier:
        return Frontier(self.size, self.hashes)

    def append(self, hashed_leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Adds a leaf hash; returns the subtrees it completed, as (level, index, hash)."""
        completed = []
        node = hashed_leaf
        index = self.size
        level = 0
        # Each trailing one-bit of the old size is a perfect subtree that now has a right sibling.
        while index & 1:
            node = node_hash(self.hashes.pop(), node)
            level += 1
            index >>= 1
            completed.append((level, index, node))
        self.hashes.append(node)
        self.size += 1
        return completed

    def extend(self, hashed_leaves: Iterable[bytes]) -> None:
        for hashed in hashed_leaves:
            self.append(hashed)

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root

    def to_bytes(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def from_bytes(cls, size: int, data: bytes) -> Frontier:
        hashes = [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]
        return cls(size, hashes)


def root_of(hashed_leaves: Sequence[bytes]) -> bytes:
    frontier = Frontier()
    frontier.extend(hashed_leaves)
    return frontier.root()


# ---- which blocks a proof needs


def range_blocks(start: int, end: int) -> list[Block]:
    """The perfect blocks whose hashes give MTH(D[start:end]) for a range that proofs use.

    In RFC 9162's recursions every range starts at a multiple of a power of two at least as
    large as its left part, so it decomposes into aligned blocks along the binary digits of its
    length: MTH is the right fold of their hashes.
    """
    blocks = []
    while start < end:
        size = end - start
        part = size if size & (size - 1) == 0 else split_point(size)
        level = part.bit_length() - 1
        if start % part:
            raise ValueError(f"range [{start}, {end}) is not aligned for a Merkle proof")
        blocks.append((level, start >> level))
        start += part
    return blocks


def _inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.3.1 PATH(m, D[start:end]) as the ranges whose hashes form the path."""
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()  # the path runs from the leaf up to the root
    return ranges


def _consistency_ranges(m: int, start: int, end: int) -> list[tuple[int, int]]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[start:end], true) as ranges, leaf-side first."""
    ranges: list[tuple[int, int]] = []
    complete = True
    while True:
        n = end - start
        if m == n:
            if not complete:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            complete = False
    ranges.reverse()
    return ranges


class BlockSource(Protocol):
    def blocks(self, wanted: Sequence[Block]) -> dict[Block, bytes]:
        """Hashes of the requested perfect blocks; every block lies inside the sealed tree."""
        ...


class ListSource:
    """Blocks computed from an in-memory list of leaf hashes (tests, bundles, small trees)."""

    def __init__(self, hashed_leaves: Sequence[bytes]) -> None:
        self.leaves = hashed_leaves

    def blocks(self, wanted: Sequence[Block]) -> dict[Block, bytes]:
        out = {}
        for level, index in wanted:
            start = index << level
            out[(level, index)] = root_of(self.leaves[start : start + (1 << level)])
        return out


def _hash_ranges(ranges: Sequence[tuple[int, int]], source: BlockSource) -> list[bytes]:
    per_range = [range_blocks(s, e) for s, e in ranges]
    known = source.blocks(sorted({b for blocks in per_range for b in blocks}))
    hashes = []
    for blocks in per_range:
        root = known[blocks[-1]]
        for block in reversed(blocks[:-1]):
            root = node_hash(known[block], root)
        hashes.append(root)
    return hashes


def inclusion_proof(index: int, size: int, source: BlockSource) -> list[bytes]:
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    return _hash_ranges(_inclusion_ranges(index, 0, size), source)


def consistency_proof(first: int, second: int, source: BlockSource) -> list[bytes]:
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    if first in (0, second):
        return []
    return _hash_ranges(_consistency_ranges(first, 0, second), source)


def tree_root(size: int, source: BlockSource) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    return _hash_ranges([(0, size)], source)[0]


# ---- verification (RFC 9162 §2.1.3.2 and §2.1.4.2)


def root_from_inclusion(index: int, size: int, hashed_leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root a valid path implies; raises ValueError when the path has the wrong shape."""
    if index >= size or index < 0:
        raise ValueError(f"leaf index {index} is not below the tree size {size}")
    fn, sn = index, size - 1
    r = hashed_leaf
    for p in path:
        if sn == 0:
            raise ValueError("the inclusion path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the inclusion path is shorter than the tree is deep")
    return r


def verify_inclusion(
    index: int, size: int, hashed_leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    try:
        return root_from_inclusion(index, size, hashed_leaf, path) == root
    except ValueError:
        return False


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    if first > second or first < 0:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        # Every tree extends the empty one; RFC 9162 defines no proof for it.
        return not path and first_root == EMPTY_ROOT
    if not path:
        return False
    path = list(path)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


def inclusion_blocks(index: int, size: int) -> list[Block]:
    """The blocks `inclusion_proof` will ask for, so that a caller can fetch many at once."""
    return [b for s, e in _inclusion_ranges(index, 0, size) for b in range_blocks(s, e)]


class CachedSource:
    """Remembers blocks already fetched; `prefetch` loads many in one round trip."""

    def __init__(self, source: BlockSource) -> None:
        self.source = source
        self.known: dict[Block, bytes] = {}

    def prefetch(self, wanted: Iterable[Block]) -> None:
        missing = sorted(set(wanted) - self.known.keys())
        if missing:
            self.known.update(self.source.blocks(missing))

    def blocks(self, wanted: Sequence[Block]) -> dict[Block, bytes]:
        self.prefetch(wanted)
        return {b: self.known[b] for b in wanted}
