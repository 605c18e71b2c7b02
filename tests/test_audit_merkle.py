"""Merkle hashing and proofs against a naive recursive transcription of RFC 9162 §2.1.

The reference functions below follow the RFC's definitions word for word (MTH, PATH, PROOF,
SUBPROOF) over Python lists; the project's code computes from a compact frontier and from
stored power-of-two blocks instead, so agreement for many sizes is a real check.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.audit.leaf import StoredRow, encode_leaf, row_hash
from projections.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    ListSource,
    consistency_proof,
    inclusion_proof,
    root_from_inclusion,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from projections.audit.verify import event_hash


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def k_of(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + leaves[0])
    k = k_of(n)
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = k_of(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = k_of(n)
    if m <= k:
        return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def proof(m: int, leaves: list[bytes]) -> list[bytes]:
    return subproof(m, leaves, True)


def leaves_of(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


def hashed(leaves: list[bytes]) -> list[bytes]:
    return [sha(b"\x00" + leaf) for leaf in leaves]


SIZES = [*range(1, 70), 100, 127, 128, 129, 255, 256, 257, 1000, 1023, 1025]


@pytest.mark.parametrize("n", SIZES)
def test_frontier_root_equals_mth_at_every_size(n: int) -> None:
    leaves = leaves_of(n)
    frontier = Frontier()
    for i, h in enumerate(hashed(leaves), start=1):
        frontier.append(h)
        if i in (n, n // 2 + 1):
            assert frontier.root() == mth(leaves[:i])
    restored = Frontier.from_bytes(n, frontier.to_bytes())
    assert restored.root() == mth(leaves)


@pytest.mark.parametrize("n", SIZES)
def test_inclusion_proofs_equal_rfc_path_and_verify(n: int) -> None:
    leaves = leaves_of(n)
    source = ListSource(hashed(leaves))
    root = mth(leaves)
    assert tree_root(n, source) == root
    for m in sorted({0, 1, n // 3, n // 2, n - 2, n - 1} & set(range(n))):
        got = inclusion_proof(m, n, source)
        assert got == path(m, leaves)
        assert verify_inclusion(m, n, hashed(leaves)[m], got, root)
        assert root_from_inclusion(m, n, hashed(leaves)[m], got) == root


@pytest.mark.parametrize("n", SIZES)
def test_consistency_proofs_equal_rfc_proof_and_verify(n: int) -> None:
    leaves = leaves_of(n)
    source = ListSource(hashed(leaves))
    for m in sorted({1, 2, 3, n // 2, n - 1, n} & set(range(1, n + 1))):
        got = consistency_proof(m, n, source)
        assert got == (proof(m, leaves) if m < n else [])
        assert verify_consistency(m, n, mth(leaves[:m]), mth(leaves), got)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=600),
    m=st.integers(min_value=0, max_value=599),
    flip=st.integers(min_value=0, max_value=10_000),
)
def test_proofs_for_arbitrary_sizes(n: int, m: int, flip: int) -> None:
    m %= n
    leaves = leaves_of(n)
    hashes = hashed(leaves)
    source = ListSource(hashes)
    root = mth(leaves)
    got = inclusion_proof(m, n, source)
    assert got == path(m, leaves)
    assert verify_inclusion(m, n, hashes[m], got, root)
    first = m + 1
    consistency = consistency_proof(first, n, source)
    assert consistency == (proof(first, leaves) if first < n else [])
    assert verify_consistency(first, n, mth(leaves[:first]), root, consistency)
    if got:
        # Any altered path element breaks the proof; so does a wrong index or leaf.
        broken = list(got)
        at = flip % len(broken)
        broken[at] = bytes([broken[at][0] ^ 1]) + broken[at][1:]
        assert not verify_inclusion(m, n, hashes[m], broken, root)
        assert not verify_inclusion(m, n, sha(b"forged"), got, root)
    if consistency:
        broken = list(consistency)
        at = flip % len(broken)
        broken[at] = bytes([broken[at][0] ^ 1]) + broken[at][1:]
        assert not verify_consistency(first, n, mth(leaves[:first]), root, broken)
        assert not verify_consistency(first, n, sha(b"other"), root, consistency)


def test_degenerate_cases() -> None:
    assert Frontier().root() == EMPTY_ROOT == mth([])
    assert not verify_inclusion(3, 3, sha(b"x"), [], sha(b"y"))
    assert verify_consistency(0, 5, EMPTY_ROOT, sha(b"any"), [])
    assert not verify_consistency(2, 5, sha(b"a"), sha(b"b"), [])
    assert not verify_consistency(5, 2, sha(b"a"), sha(b"b"), [])
    leaves = leaves_of(6)
    # A path of the wrong length is refused, not misread.
    full = path(2, leaves)
    assert not verify_inclusion(2, 6, hashed(leaves)[2], full[:-1], mth(leaves))
    assert not verify_inclusion(2, 6, hashed(leaves)[2], [*full, full[0]], mth(leaves))


def test_the_fast_leaf_hash_equals_the_documented_encoding() -> None:
    import uuid

    ident = uuid.UUID("0b6f0f7e-3c1e-4d0f-8f5e-9c2d1a7b4e21")
    row = StoredRow(42, ident, 7, "domain.trajectory:Trajectory.Started", b'{"a":1}')
    leaf = encode_leaf(42, ident, 7, row.topic, row.state)
    # The layout of docs/audit.md, spelled out byte by byte.
    assert leaf == (
        b"\x01"
        + (42).to_bytes(8, "big")
        + b"\x10"
        + ident.bytes
        + (7).to_bytes(8, "big")
        + len(row.topic).to_bytes(4, "big")
        + row.topic.encode()
        + (7).to_bytes(4, "big")
        + b'{"a":1}'
    )
    assert row_hash(row) == sha(b"\x00" + leaf)
    assert event_hash(42, ident.bytes, 7, row.topic, row.state) == sha(b"\x00" + leaf)
    assert row_hash(row, position=43) != row_hash(row)
