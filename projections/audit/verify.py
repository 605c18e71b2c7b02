"""Verification of the whole store: recompute every leaf from the events table and compare.

One streaming pass reads the events (server-side cursor) and the sealed leaves side by side
in position order, and builds two Merkle trees as it goes: one over the events as they are
now, one over the leaves as sealed. It then checks

* each event against its sealed leaf: the first position where they differ is named with
  its kind: altered, missing, inserted or reordered;
* both trees against every signed checkpoint and against external checkpoints (files kept
  outside, and the latest checkpoint each witness of the policy cosigned): this catches a
  rewrite of an event *and* its leaf, to within the checkpoints around it, and a truncated
  tail;
* every checkpoint's signature against the log's key chain (trust.py): a checkpoint signed by
  a key that is neither the policy's (or the recorded first) key nor announced by it fails
  with "key changed"; under a policy, the quorum of witness cosignatures;
* RFC 3161 timestamps of checkpoints, when the TSA's roots are given;
* the stored subtree hashes and the sealer's state against the recomputation.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from itertools import chain
from queue import Full, Queue
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from projections.audit.checkpoint import Checkpoint, ExternalCheckpoint, from_note, log_verifier
from projections.audit.keys import raw_public
from projections.audit.merkle import Frontier
from projections.audit.note import parse_vkey
from projections.audit.policy import Policy
from projections.audit.store import NODE_MIN_LEVEL, AuditStore, EventTuple
from projections.audit.timestamps import TimestampError, timestamped_bytes, verify_token
from projections.audit.trust import KeyChain, anchors_from, build_chain, witnessed_by

ALTERED, MISSING, INSERTED, REORDERED = "altered", "missing", "inserted", "reordered"

_HEAD = struct.Struct(">BBQB").pack
_U64 = struct.Struct(">Q").pack
_U32 = struct.Struct(">I").pack
_sha256 = hashlib.sha256


_TOPICS: dict[str, bytes] = {}


def event_hash(position: int, ident: bytes, version: int, topic: str, state: bytes) -> bytes:
    """leaf_hash(encode_leaf(...)) in one step: the hot loop of verification."""
    encoded = _TOPICS.get(topic)
    if encoded is None:
        # A log has a few dozen topics: encode each once, with its length prefix.
        raw = topic.encode()
        encoded = _TOPICS[topic] = _U32(len(raw)) + raw
    return _sha256(
        b"".join(
            (
                _HEAD(0, 1, position, len(ident)),
                ident,
                _U64(version),
                encoded,
                _U32(len(state)),
                state,
            )
        )
    ).digest()


@dataclass(frozen=True)
class Divergence:
    """Where the store and the record first disagree, and how."""

    kind: str
    position: int
    # Set when only a checkpoint bounds the change: it lies in [position, last_position].
    last_position: int | None
    subject: str
    found_by: str
    detail: str

    def describe(self) -> str:
        where = (
            f"position {self.position}"
            if self.last_position is None or self.last_position == self.position
            else f"positions {self.position}–{self.last_position}"
        )
        found = f"{self.subject}; found by {self.found_by}"
        return f"{self.kind.upper()} at {where} ({found}): {self.detail}"


@dataclass
class VerifyReport:
    events: int = 0
    sealed: int = 0
    unsealed: int = 0
    checkpoints: int = 0
    external: int = 0
    divergence: Divergence | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    witnessed_size: int | None = None
    timestamps: int = 0

    @property
    def ok(self) -> bool:
        return self.divergence is None and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "sealed": self.sealed,
            "unsealed": self.unsealed,
            "checkpoints_checked": self.checkpoints,
            "external_checkpoints_checked": self.external,
            "divergence": asdict(self.divergence) if self.divergence else None,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "witnessed_tree_size": self.witnessed_size,
            "timestamps_checked": self.timestamps,
        }

    def lines(self) -> list[str]:
        out = [
            f"{self.events} events, {self.sealed} sealed, {self.unsealed} not sealed yet; "
            f"{self.checkpoints} signed checkpoints and {self.external} external ones checked"
        ]
        if self.divergence:
            out.append("FIRST DIVERGENCE: " + self.divergence.describe())
        out.extend(f"PROBLEM: {p}" for p in self.problems)
        out.extend(f"note: {n}" for n in self.notes)
        out.append("OK: the store matches the sealed record" if self.ok else "FAILED")
        return out


@dataclass
class _Target:
    """A root the trees must reproduce at `size` leaves."""

    size: int
    root: bytes
    label: str


@dataclass
class _Tree:
    """A tree being rebuilt, with the positions needed to name a range between targets."""

    frontier: Frontier
    targets: list[_Target]
    next_target: int = 0
    wanted: int = -1
    last_ok_size: int = 0
    first_after_ok: int | None = None
    failed: tuple[_Target, int | None, int] | None = None
    last_position: int = 0

    def __post_init__(self) -> None:
        self._aim()

    def _aim(self) -> None:
        more = self.next_target < len(self.targets)
        self.wanted = self.targets[self.next_target].size if more else -1

    def fork(self) -> _Tree:
        return replace(self, frontier=self.frontier.copy())

    def reached(self, position: int) -> None:
        """Called after a leaf made the tree `wanted` big: compare with every target there."""
        root = self.frontier.root()
        size = self.frontier.size
        while self.next_target < len(self.targets) and self.targets[self.next_target].size == size:
            target = self.targets[self.next_target]
            self.next_target += 1
            if self.failed is not None:
                continue
            if target.root == root:
                self.last_ok_size = target.size
                self.first_after_ok = None
            else:
                self.failed = (target, self.first_after_ok, position)
        self._aim()

    def append(self, hashed: bytes, position: int) -> list[tuple[int, int, bytes]]:
        completed = self.frontier.append(hashed)
        if self.first_after_ok is None:
            self.first_after_ok = position
        self.last_position = position
        if self.frontier.size == self.wanted:
            self.reached(position)
        return completed


class _Rows:
    """Rows from a stream of batches, consumed one at a time or in runs."""

    def __init__(self, batches: Iterator[list[Any]]) -> None:
        self.batches = batches
        self.batch: list[Any] = []
        self.i = 0

    @property
    def left(self) -> int:
        return len(self.batch) - self.i

    def ready(self) -> bool:
        """True when a row is at hand (fetching the next batch if needed)."""
        while self.i >= len(self.batch):
            nxt = next(self.batches, None)
            if nxt is None:
                return False
            self.batch, self.i = nxt, 0
        return True

    def peek(self) -> Any:
        return self.batch[self.i] if self.ready() else None

    def take_view(self, n: int) -> list[Any]:
        return self.batch[self.i : self.i + n]

    def skip(self, n: int) -> None:
        self.i += n


_END = object()


def _read_ahead(batches: Iterator[list[Any]], depth: int = 4) -> Iterator[list[Any]]:
    """The batches, fetched on a thread of their own while the caller hashes.

    The database read waits on the server and the hashing on the CPU: overlapping the two is
    what keeps verification close to the raw read rate.
    """
    queue: Queue[Any] = Queue(depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def pump() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    break
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=pump, name="audit-verify-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=30)


class StoreVerifier:
    def __init__(
        self,
        store: AuditStore,
        public_key: Ed25519PublicKey | None,
        external: Sequence[ExternalCheckpoint] = (),
        *,
        policy: Policy | None = None,
        tsa_roots: Sequence[x509.Certificate] = (),
        grace_seconds: float = 60.0,
        origin: str | None = None,
    ) -> None:
        self.store = store
        self.public_key = public_key
        self.external = list(external)
        self.policy = policy
        self.tsa_roots = list(tsa_roots)
        self.grace_seconds = grace_seconds
        self.origin = origin

    def _chain(self, checkpoints: Sequence[Checkpoint], report: VerifyReport) -> KeyChain | None:
        recorded = self.store.log_keys()
        origin = self.origin or next(
            (c.origin for c in reversed(checkpoints) if not c.legacy),
            parse_vkey(recorded[0][1]).name if recorded else None,
        )
        if origin is None and checkpoints:
            origin = checkpoints[-1].origin
        if origin is None:
            return None
        first = recorded[0][1] if recorded else None
        if first is None and self.public_key is not None:
            first = log_verifier(origin, self.public_key).vkey
        anchors, source = anchors_from(self.policy, origin, first)
        if not anchors:
            if self.policy is not None:
                report.problems.append(
                    f"{source} lists no log key named {origin!r}: nothing can be verified"
                )
            elif checkpoints:
                report.problems.append(
                    "no log key is known (none recorded, none given): checkpoint signatures "
                    "were not checked"
                )
            return None
        chain = build_chain(origin, anchors, [a for _, _, a in recorded if a is not None])
        report.problems.extend(chain.problems)
        if (
            self.policy is not None
            and recorded
            and parse_vkey(recorded[0][1]).public not in {k.public for k, _ in chain.keys}
        ):
            report.problems.append(
                f"key changed: the log recorded {recorded[0][1]} as its first key, which is not "
                f"in {source} nor announced by its keys"
            )
        if self.public_key is not None:
            mine = raw_public(self.public_key)
            if mine not in {k.public for k, _ in chain.keys}:
                report.problems.append(
                    f"key changed: the configured signing key "
                    f"{log_verifier(origin, self.public_key).vkey} is not the log's key "
                    f"({chain.describe()}) nor announced by it"
                )
        return chain

    def _targets(self, report: VerifyReport) -> list[_Target]:
        targets = []
        checkpoints = self.store.checkpoints()
        chain = self._chain(checkpoints, report)
        witnessed: list[tuple[Checkpoint, bool]] = []
        for cp in checkpoints:
            label = f"signed checkpoint at tree size {cp.tree_size}"
            if chain is not None:
                refusal = chain.refusal(cp, f"the checkpoint at tree size {cp.tree_size}")
                if refusal is not None:
                    report.problems.append(refusal)
                    continue
            targets.append(_Target(cp.tree_size, cp.root_hash, label))
            report.checkpoints += 1
            if self.policy is not None and not cp.legacy:
                names, bad = witnessed_by(cp, self.policy)
                report.problems.extend(bad)
                witnessed.append((cp, self.policy.satisfied(names)))
        for _, _, announcement in self.store.log_keys():
            if announcement is None:
                continue
            cp = from_note(announcement)
            targets.append(
                _Target(cp.tree_size, cp.root_hash, f"key announcement at tree size {cp.tree_size}")
            )
        self._quorum(witnessed, report)
        for ext in self.external:
            cp = ext.checkpoint
            if (
                ext.public_key is not None
                and chain is not None
                and not any(k.public == raw_public(ext.public_key) for k, _ in chain.keys)
            ):
                report.problems.append(
                    f"{ext.source} was signed with key {cp.key_id[:16]}…, not with the log's "
                    f"key ({chain.describe()})"
                )
            elif chain is not None:
                refusal = chain.refusal(cp, ext.source)
                if refusal is not None:
                    report.problems.append(refusal)
            targets.append(
                _Target(
                    cp.tree_size,
                    cp.root_hash,
                    f"external checkpoint {ext.source} (tree size {cp.tree_size})",
                )
            )
            report.external += 1
        self._timestamps({c.tree_size: c for c in checkpoints}, report)
        return sorted(targets, key=lambda t: t.size)

    def _quorum(self, witnessed: list[tuple[Checkpoint, bool]], report: VerifyReport) -> None:
        policy = self.policy
        if policy is None or policy.quorum == "none" or not witnessed:
            return
        done = [cp for cp, ok in witnessed if ok]
        report.witnessed_size = done[-1].tree_size if done else None
        after = [cp for cp, _ in witnessed if not done or cp.tree_size > done[-1].tree_size]
        overdue = [cp for cp in after if _age(cp) > self.grace_seconds]
        if overdue:
            first = overdue[0]
            newest = (
                f"the newest witnessed one has tree size {done[-1].tree_size}"
                if done
                else "no checkpoint is witnessed"
            )
            report.problems.append(
                f"the checkpoint at tree size {first.tree_size} lacks the quorum of witness "
                f"cosignatures ({policy.describe_quorum()}); {newest}: the witnesses refused "
                "it or never saw it"
            )
        elif after:
            report.notes.append(
                f"{len(after)} recent checkpoint(s) not yet cosigned by the quorum (within "
                f"{self.grace_seconds:.0f} s)"
            )

    def _timestamps(self, by_size: dict[int, Checkpoint], report: VerifyReport) -> None:
        tokens = self.store.timestamps()
        if not tokens:
            return
        if not self.tsa_roots:
            report.notes.append(
                f"{len(tokens)} RFC 3161 timestamps not checked: give the TSA's root "
                "certificate (--tsa-roots or BEWIJSKETEN_AUDIT_TSA_ROOTS)"
            )
            return
        for size, token in tokens.items():
            cp = by_size.get(size)
            if cp is None:
                report.problems.append(f"a timestamp is kept for tree size {size}, no checkpoint")
                continue
            try:
                verify_token(token, timestamped_bytes(cp), list(self.tsa_roots))
            except TimestampError as exc:
                report.problems.append(
                    f"the timestamp of the checkpoint at tree size {size} fails: {exc}"
                )
                continue
            report.timestamps += 1

    def run(self, progress: Callable[[int], None] | None = None) -> VerifyReport:
        report = VerifyReport()
        state = self.store.load_state()
        targets = self._targets(report)
        sealed_max = self._max_sealed_position()

        store_tree = _Tree(Frontier(), targets)
        record_tree: _Tree | None = None  # shares store_tree until the two first differ
        first: Divergence | None = None
        nodes = chain.from_iterable(self.store.stream_nodes())
        node_problem: str | None = None
        expected_index = 0

        events = _Rows(_read_ahead(self.store.stream_events()))
        leaves = _Rows(_read_ahead(self.store.stream_leaves()))
        gaps: list[tuple[int, int]] = []

        def check_nodes(completed: list[tuple[int, int, bytes]]) -> None:
            nonlocal node_problem
            for level, idx, hashed in completed:
                if level < NODE_MIN_LEVEL or node_problem is not None:
                    continue
                stored = next(nodes, None)
                if stored is None or tuple(stored) != (level, idx, hashed):
                    node_problem = (
                        f"the stored subtree hash at level {level}, index {idx} (leaves "
                        f"{idx << level}–{((idx + 1) << level) - 1}) does not match the sealed "
                        "leaves: proofs served from it would be wrong"
                    )

        while True:
            if record_tree is None and events.ready() and leaves.ready():
                # Fast path: a run of events at exactly the sealed positions, hashed in bulk.
                n = min(events.left, leaves.left)
                es = events.take_view(n)
                ls = leaves.take_view(n)
                if (
                    ls[0][0] == expected_index
                    and ls[-1][0] == expected_index + n - 1
                    and [e[0] for e in es] == [x[1] for x in ls]
                ):
                    hashes = [event_hash(*e) for e in es]
                    if hashes == [x[2] for x in ls]:
                        append = store_tree.append
                        for hashed, e in zip(hashes, es, strict=True):
                            completed = append(hashed, e[0])
                            if completed:
                                check_nodes(completed)
                        events.skip(n)
                        leaves.skip(n)
                        expected_index += n
                        report.sealed += n
                        if progress is not None:
                            progress(n)
                        continue
            ev: EventTuple | None = events.peek()
            lf: tuple[Any, ...] | None = leaves.peek()
            if ev is None and lf is None:
                break
            if lf is not None and ev is not None and ev[0] == lf[1]:
                position = ev[0]
                hashed = event_hash(*ev)
                recorded = lf[2]
                if lf[0] != expected_index:
                    gaps.append((expected_index, lf[0]))
                expected_index = lf[0] + 1
                if hashed != recorded:
                    if first is None:
                        first = self._classify_pair(ev, lf)
                    if record_tree is None:
                        record_tree = store_tree.fork()
                completed = store_tree.append(hashed, position)
                if record_tree is None:
                    if completed:
                        check_nodes(completed)
                else:
                    check_nodes(record_tree.append(recorded, position))
                report.sealed += 1
                events.skip(1)
                leaves.skip(1)
            elif lf is None or (ev is not None and ev[0] < lf[1]):
                assert ev is not None
                position = ev[0]
                if record_tree is None:
                    # From here on the record (sealed leaves) and the store part ways.
                    record_tree = store_tree.fork()
                if position <= sealed_max:
                    if first is None:
                        first = self._classify_store_only(ev)
                else:
                    report.unsealed += 1
                store_tree.append(event_hash(*ev), position)
                events.skip(1)
            else:
                if first is None:
                    first = self._classify_record_only(lf)
                if record_tree is None:
                    record_tree = store_tree.fork()
                expected_index = lf[0] + 1
                check_nodes(record_tree.append(lf[2], lf[1]))
                leaves.skip(1)
                continue
            if progress is not None:
                progress(1)
        if gaps:
            a, b = gaps[0]
            report.problems.append(
                f"the sealed leaves are not numbered without gaps: index {a} is followed by {b}"
            )
        report.events = store_tree.frontier.size

        record = record_tree or store_tree
        if node_problem is None and next(nodes, None) is not None:
            node_problem = "there are stored subtree hashes beyond the sealed leaves"
        if node_problem:
            report.problems.append(node_problem)
        self._check_state(state, record, report)
        report.divergence = self._decide(first, store_tree, record, record_tree is not None)
        return report

    # ---- the pieces

    def _max_sealed_position(self) -> int:
        rows = self.store.query("SELECT MAX(position) FROM {leaves}")
        return int(rows[0][0] or 0)

    def _classify_pair(self, ev: EventTuple, lf: tuple[Any, ...]) -> Divergence:
        position, ident, version = ev[0], ev[1], ev[2]
        _, _, sealed_ident, sealed_version, _ = self.store.leaf_at(int(lf[1]))
        what = _describe(ident, version)
        if (ident, version) == (sealed_ident, sealed_version):
            return Divergence(
                ALTERED,
                position,
                None,
                "events",
                "sealed leaves",
                f"the stored event ({what}) differs from the one sealed at this position",
            )
        moved = self._sealed_elsewhere(ev)
        if moved is not None:
            return Divergence(
                REORDERED,
                position,
                None,
                "events",
                "sealed leaves",
                f"this position now holds {what}, which was sealed at position {moved}",
            )
        return Divergence(
            ALTERED,
            position,
            None,
            "events",
            "sealed leaves",
            f"this position now holds {what}; sealed here was "
            f"{_describe(sealed_ident, sealed_version)}",
        )

    def _classify_store_only(self, ev: EventTuple) -> Divergence:
        moved = self._sealed_elsewhere(ev)
        what = _describe(ev[1], ev[2])
        if moved is not None:
            return Divergence(
                REORDERED,
                ev[0],
                None,
                "events",
                "sealed leaves",
                f"{what} was sealed at position {moved} and now stands here",
            )
        return Divergence(
            INSERTED,
            ev[0],
            None,
            "events",
            "sealed leaves",
            f"{what} is stored here but was never sealed, although later events were",
        )

    def _classify_record_only(self, lf: tuple[Any, ...]) -> Divergence:
        _, position, ident, version, sealed_hash = self.store.leaf_at(int(lf[1]))
        what = _describe(ident, version)
        row = self.store.find_event(ident, version)
        if row is not None and event_hash(position, *row[1:]) == sealed_hash:
            return Divergence(
                REORDERED,
                position,
                None,
                "events",
                "sealed leaves",
                f"{what} was sealed here and now stands at position {row[0]}",
            )
        return Divergence(
            MISSING,
            position,
            None,
            "events",
            "sealed leaves",
            f"{what} was sealed here and is no longer stored",
        )

    def _sealed_elsewhere(self, ev: EventTuple) -> int | None:
        found = self.store.leaf_by_identity(ev[1], ev[2])
        if found is None:
            return None
        _, sealed_position, sealed_hash = found
        if sealed_position != ev[0] and event_hash(sealed_position, *ev[1:]) == sealed_hash:
            return sealed_position
        return None

    @staticmethod
    def _check_state(state: Any, record: _Tree, report: VerifyReport) -> None:
        frontier = record.frontier
        if state.tree_size != frontier.size or (
            frontier.size and state.last_position != record.last_position
        ):
            report.problems.append(
                f"the sealer's state says {state.tree_size} leaves up to position "
                f"{state.last_position}, the leaves table holds {frontier.size} up to "
                f"{record.last_position}"
            )
        elif state.frontier.hashes != frontier.hashes:
            report.problems.append(
                "the sealer's stored frontier differs from the sealed leaves: "
                "it would sign wrong roots"
            )

    def _decide(
        self, first: Divergence | None, store: _Tree, record: _Tree, split: bool
    ) -> Divergence | None:
        store_fail = self._tree_failure(store, "events")
        record_fail = self._tree_failure(record, "sealed leaves") if split else store_fail
        if first is not None:
            if record_fail is not None and store_fail is None:
                # The events reproduce every signed root: it is the record that was changed.
                return Divergence(
                    first.kind,
                    first.position,
                    None,
                    "sealed leaves",
                    f"sealed leaves and {record_fail.found_by}",
                    f"the sealed leaf was changed, the events match the signed "
                    f"checkpoints; {first.detail}",
                )
            if (
                store_fail is not None
                and store_fail.last_position is not None
                and (store_fail.last_position < first.position)
            ):
                return store_fail
            return first
        return store_fail or record_fail

    @staticmethod
    def _tree_failure(tree: _Tree, subject: str) -> Divergence | None:
        if tree.failed is not None:
            target, start, end = tree.failed
            assert end is not None
            return Divergence(
                ALTERED,
                start if start is not None else end,
                end,
                "events and sealed leaves" if subject == "events" else subject,
                target.label,
                f"the tree of the first {target.size} events does not reproduce the signed root "
                f"{target.root.hex()[:16]}…; the change lies after the last matching checkpoint "
                f"(tree size {tree.last_ok_size})",
            )
        if tree.next_target < len(tree.targets):
            target = tree.targets[tree.next_target]
            return Divergence(
                MISSING,
                tree.last_position + 1,
                None,
                "events and sealed leaves" if subject == "events" else subject,
                target.label,
                f"the {target.label} covers {target.size} events, but only "
                f"{tree.frontier.size} are stored: events after position {tree.last_position} "
                "were removed (or, if the log went on since, events after its last matching "
                f"checkpoint, tree size {tree.last_ok_size}, were replaced)",
            )
        return None


def _describe(ident: bytes, version: int) -> str:
    import uuid

    name = str(uuid.UUID(bytes=ident)) if len(ident) == 16 else ident.decode(errors="replace")
    return f"aggregate {name} version {version}"


def _age(checkpoint: Checkpoint) -> float:
    try:
        issued = datetime.strptime(checkpoint.issued_at, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return float("inf")
    return time.time() - issued.replace(tzinfo=UTC).timestamp()


def verify_store(
    store: AuditStore,
    public_key: Ed25519PublicKey | None,
    external: Sequence[ExternalCheckpoint] = (),
    progress: Callable[[int], None] | None = None,
    *,
    policy: Policy | None = None,
    tsa_roots: Sequence[x509.Certificate] = (),
    grace_seconds: float = 60.0,
) -> VerifyReport:
    return StoreVerifier(
        store,
        public_key,
        external,
        policy=policy,
        tsa_roots=tsa_roots,
        grace_seconds=grace_seconds,
    ).run(progress)
