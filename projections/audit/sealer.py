"""The sealer: follows the event log in notification order and turns every event into a leaf.

It reads with `recorder.select_notifications` (ids have gaps; order is what counts), hashes
each stored event as a canonical leaf, and commits leaves, subtree hashes and its tracking
state in one transaction (see store.py). It signs a checkpoint every N events or T seconds,
whichever comes first, on demand, and at once when a batch seals an event named in
CHECKPOINT_AT (a ratified decision: its dossier is then fully proven without waiting).

It signs only with the log's recorded key: the first key it signs with is recorded in the
audit store, and a different key is used only once a checkpoint signed by the recorded key
announced it (`rotate`). New checkpoints go to the attestor (witness cosignatures, timestamps).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import ApplicationRecorder

from projections.audit import checkpoint as checkpoints
from projections.audit import names
from projections.audit.checkpoint import Checkpoint, log_verifier
from projections.audit.config import AuditConfig
from projections.audit.leaf import aggregate_id_bytes, encode_leaf
from projections.audit.merkle import leaf_hash
from projections.audit.store import NODE_MIN_LEVEL, AuditStore, LeafRow, SealState, now_text

log = logging.getLogger(__name__)

# Events (the last part of their topic) whose batch is checkpointed at once.
CHECKPOINT_AT = frozenset({names.DECISION_RATIFIED})
_TOPIC_PARTS = re.compile(r"[.:]")


def event_name(topic: str) -> str:
    """`domain.trajectory:Trajectory.DecisionRatified` → `DecisionRatified`."""
    return _TOPIC_PARTS.split(topic)[-1]


class KeyChanged(RuntimeError):
    """The configured signing key is not the log's recorded key, and no rotation announced it."""


class Attestor(Protocol):
    """Receives every new checkpoint (witness cosignatures, timestamps)."""

    def submit(self, checkpoint: Checkpoint) -> None: ...

    def attest(self, checkpoint: Checkpoint) -> None: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


def _parse_time(text: str) -> float:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return 0.0


class Sealer:
    """Seals the event log into the Merkle tree. Safe to run in several processes at once."""

    def __init__(
        self,
        recorder: ApplicationRecorder,
        store: AuditStore,
        settings: AuditConfig,
        signing_key: Ed25519PrivateKey | None,
        attestor: Attestor | None = None,
    ) -> None:
        self.recorder = recorder
        self.store = store
        self.settings = settings
        self.signing_key = signing_key
        self.attestor = attestor
        self.key_error: str | None = None
        self._key_checked = False
        self._state: SealState | None = None
        self._latest: Checkpoint | None = None
        self._latest_loaded = False
        self._lock = threading.Lock()

    # ---- state

    def state(self) -> SealState:
        if self._state is None:
            self._state = self.store.load_state()
        return self._state

    def latest_checkpoint(self) -> Checkpoint | None:
        if not self._latest_loaded:
            self._latest = self.store.latest_checkpoint()
            self._latest_loaded = True
        return self._latest

    def _forget(self) -> None:
        """Another sealer moved on: reload everything from the store next time."""
        self._state = None
        self._latest_loaded = False
        self._key_checked = False

    # ---- the key

    @property
    def vkey(self) -> str | None:
        if self.signing_key is None:
            return None
        return log_verifier(self.settings.origin, self.signing_key.public_key()).vkey

    def _may_sign(self) -> bool:
        """Whether the configured key is the log's current key (recording it if it is the first)."""
        if self.signing_key is None:
            return False
        if self._key_checked:
            return self.key_error is None
        mine = self.vkey
        assert mine is not None
        keys = self.store.log_keys()
        if not keys:
            self.store.record_key(mine, None)
            keys = self.store.log_keys()
        current = keys[-1][1]
        self.key_error = (
            None
            if current == mine
            else f"key changed: the configured signing key {mine} is not the log's key "
            f"{current}, and no checkpoint signed by that key announced it "
            "(rotate with `bewijsketen audit rotate-key`)"
        )
        if self.key_error:
            log.error("audit sealer does not sign: %s", self.key_error)
        self._key_checked = True
        return self.key_error is None

    def _announce(self, checkpoint: Checkpoint) -> None:
        if self.attestor is not None:
            self.attestor.submit(checkpoint)

    # ---- sealing

    def seal_batch(self, limit: int | None = None) -> int:
        """Seals the next events after the last sealed position; returns how many."""
        with self._lock:
            state = self.state()
            limit = limit or self.settings.batch_size
            latest = self.latest_checkpoint()
            if self.signing_key is not None:
                # End the batch where a checkpoint is due, so they land every N events exactly.
                signed_size = latest.tree_size if latest else 0
                limit = min(
                    limit, max(1, self.settings.checkpoint_every - (state.tree_size - signed_size))
                )
            notifications = self.recorder.select_notifications(
                state.last_position, limit, inclusive_of_start=False
            )
            if not notifications:
                return 0
            frontier = state.frontier.copy()
            leaves: list[LeafRow] = []
            nodes: list[tuple[int, int, bytes]] = []
            at_once = False
            for n in notifications:
                if event_name(n.topic) in CHECKPOINT_AT:
                    at_once = True
                hashed = leaf_hash(
                    encode_leaf(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                )
                index = frontier.size
                nodes.extend(c for c in frontier.append(hashed) if c[0] >= NODE_MIN_LEVEL)
                leaves.append(
                    (index, n.id, aggregate_id_bytes(n.originator_id), n.originator_version, hashed)
                )
            new = SealState(frontier.size, notifications[-1].id, frontier, now_text())
            due = self._checkpoint_due(new.tree_size, force=at_once)
            signed = self._sign(new) if due else None
            if not self.store.commit_batch(state.tree_size, new, leaves, nodes, signed):
                self._forget()
                return 0
            self._state = new
            if signed is not None:
                self._latest = signed
                self._announce(signed)
            return len(notifications)

    def seal_all(self, progress: Callable[[int], None] | None = None) -> int:
        """Seals until caught up with the log; returns how many events were sealed."""
        total = 0
        conflicts = 0
        while True:
            sealed = self.seal_batch()
            if sealed:
                total += sealed
                conflicts = 0
                if progress is not None:
                    progress(sealed)
            elif self._state is not None:
                return total  # caught up
            else:
                # Another sealer won the race for that batch: look again from its state.
                conflicts += 1
                if conflicts > 100:
                    raise RuntimeError(
                        "the sealer's state row is missing or keeps changing under it"
                    )

    # ---- checkpoints

    def _checkpoint_due(self, tree_size: int, *, force: bool = False) -> bool:
        if not self._may_sign():
            return False
        latest = self.latest_checkpoint()
        signed_size = latest.tree_size if latest else 0
        if tree_size <= signed_size:
            return False
        if force or tree_size - signed_size >= self.settings.checkpoint_every:
            return True
        last = _parse_time(latest.issued_at) if latest else 0.0
        return time.time() - last >= self.settings.checkpoint_seconds

    def _sign(self, state: SealState) -> Checkpoint:
        assert self.signing_key is not None
        return checkpoints.sign(
            self.signing_key, self.settings.origin, state.tree_size, state.frontier.root()
        )

    def maybe_checkpoint(self, *, force: bool = False) -> Checkpoint | None:
        """Signs the current tree if a checkpoint is due (or forced); returns the new one."""
        with self._lock:
            if not force and not self._checkpoint_due(self.state().tree_size):
                return None  # decided from what this sealer knows, without a query
            state = self.store.load_state()
            self._state = state
            self._latest_loaded = False
            if not self._checkpoint_due(state.tree_size, force=force):
                return None
            signed = self._sign(state)
            if self.store.add_checkpoint(signed):
                self._latest = signed
                self._latest_loaded = True
                self._announce(signed)
                return signed
            self._latest_loaded = False
            return None

    def checkpoint_now(self, *, attest: bool = True) -> Checkpoint | None:
        """Seals what is pending and signs the tree if it grew; returns the latest checkpoint,
        with the witnesses' cosignatures (and a timestamp) asked for before it returns."""
        if self.signing_key is None:
            raise RuntimeError("no signing key: run `bewijsketen audit keygen`")
        self.seal_all()
        if not self._may_sign():
            raise KeyChanged(self.key_error)
        self.maybe_checkpoint(force=True)
        self._latest_loaded = False
        latest = self.latest_checkpoint()
        if attest and latest is not None and self.attestor is not None and not latest.legacy:
            self.attestor.attest(latest)
            self._latest_loaded = False
            latest = self.latest_checkpoint()
        return latest

    def rotate(self, new_key: Ed25519PrivateKey) -> Checkpoint:
        """Announces `new_key` in a checkpoint signed by the current key, records it, and signs
        with it from now on. Returns the announcing checkpoint (not stored among checkpoints:
        it has the size of the latest one; it is kept with the key)."""
        with self._lock:
            self._key_checked = False
            if not self._may_sign():
                raise KeyChanged(self.key_error)
            assert self.signing_key is not None
        self.seal_all()
        with self._lock:
            state = self.store.load_state()
            self._state = state
            assert self.signing_key is not None
            new_vkey = log_verifier(self.settings.origin, new_key.public_key()).vkey
            announcement = checkpoints.sign(
                self.signing_key,
                self.settings.origin,
                state.tree_size,
                state.frontier.root(),
                next_key=new_vkey,
            )
            if not self.store.record_key(new_vkey, announcement.note):
                raise KeyChanged("another process recorded a key at the same time; try again")
            self.signing_key = new_key
            self._key_checked = False
        if self.attestor is not None:
            self.attestor.attest(announcement)
        return announcement

    def status(self) -> dict[str, Any]:
        state = self.state()
        latest = self.latest_checkpoint()
        head = self.recorder.max_notification_id() or 0
        return {
            "tree_size": state.tree_size,
            "last_sealed_position": state.last_position,
            "log_head_position": head,
            "behind": head > state.last_position,
            "sealed_at": state.updated_at or None,
            "signing_key": self.vkey,
            "key_error": self.key_error,
            "latest_checkpoint": (
                {
                    "tree_size": latest.tree_size,
                    "issued_at": latest.issued_at,
                    "cosignatures": len(latest.cosignatures),
                }
                if latest
                else None
            ),
            "witnesses": self.attestor.status() if self.attestor is not None else None,
        }


class SealerService:
    """The sealer on a background thread: a BackgroundService for the API or a worker."""

    def __init__(self, sealer: Sealer, *, on_stop: Callable[[], None] | None = None) -> None:
        self.sealer = sealer
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_stop = on_stop
        self.last_error: str | None = None
        self.sealed = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        if self.sealer.attestor is not None:
            self.sealer.attestor.start()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.sealer.attestor is not None:
            self.sealer.attestor.stop()
        if self._on_stop is not None:
            self._on_stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        poll = self.sealer.settings.poll_seconds
        while not self._stop.is_set():
            try:
                sealed = self.sealer.seal_batch()
                self.sealed += sealed
                self.last_error = None
                if sealed == 0:
                    self.sealer.maybe_checkpoint()
                    self._stop.wait(poll)
            except Exception as exc:  # keep sealing after a database hiccup
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("audit sealer failed; retrying")
                self.sealer._forget()
                self._stop.wait(1.0)

    def status(self) -> dict[str, Any]:
        try:
            details = self.sealer.status()
        except Exception as exc:
            details = {"error": f"{type(exc).__name__}: {exc}"}
        return {"running": self.running, "last_error": self.last_error, **details}
