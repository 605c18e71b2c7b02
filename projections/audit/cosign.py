"""The log's side of witnessing: every new checkpoint goes to the witnesses of the log's policy
(c2sp.org/tlog-witness add-checkpoint, with a consistency proof from the size each witness last
cosigned), their cosignatures are checked and kept; and, when a TSA is configured, the
checkpoint gets an RFC 3161 timestamp.

A background thread does this for the newest checkpoint only (a witness that missed some
gets the next one with a longer proof), so sealing never waits for a witness. Exports and
`POST /audit/checkpoints` ask for the cosignatures before they answer (`attest`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from projections.audit.checkpoint import Checkpoint, ExternalCheckpoint, from_note
from projections.audit.merkle import consistency_proof
from projections.audit.note import NoteError, parse_note
from projections.audit.policy import Policy, Witness
from projections.audit.store import AuditStore
from projections.audit.timestamps import TimestampError, request_token, timestamped_bytes
from projections.audit.tlog import AddCheckpoint, check_cosignature, cosignature_time
from projections.audit.witness import origin_hash

log = logging.getLogger(__name__)

Post = Callable[[str, bytes, float], tuple[int, str, bytes]]
"""(url, body, timeout) → (status, content type, body)."""


class WitnessRefused(RuntimeError):
    """A witness did not cosign; the message says why (its status and answer)."""


@dataclass
class WitnessState:
    size: int = 0
    cosigned: int | None = None
    error: str | None = None
    at: float = field(default_factory=time.time)


class WitnessClient:
    """Submits checkpoints to one witness and checks what it answers."""

    def __init__(
        self, witness: Witness, store: AuditStore, timeout: float, post: Post | None = None
    ) -> None:
        assert witness.url is not None
        self.witness = witness
        self.store = store
        self.timeout = timeout
        self.post = post or self._keep_alive
        self.state = WitnessState()
        self._http: httpx.Client | None = None

    def _keep_alive(self, url: str, body: bytes, timeout: float) -> tuple[int, str, bytes]:
        # tlog-witness asks clients to keep connections alive; one client per witness.
        if self._http is None:
            self._http = httpx.Client(timeout=timeout)
        response = self._http.post(url, content=body)
        return response.status_code, response.headers.get("content-type", ""), response.content

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def request(self, checkpoint: Checkpoint, old: int) -> bytes:
        proof = consistency_proof(old, checkpoint.tree_size, self.store) if old else []
        plain = checkpoint.with_cosignatures(())
        return AddCheckpoint(old, tuple(proof), plain.note).text().encode()

    def submit(self, checkpoint: Checkpoint) -> str:
        """Returns the witness's verified cosignature line; raises WitnessRefused."""
        name = self.witness.name
        url = f"{self.witness.url}/add-checkpoint"
        old = self.state.size
        for _ in range(3):
            if old > checkpoint.tree_size:
                raise WitnessRefused(
                    f"witness {name} has cosigned a tree of {old} leaves, larger than this "
                    f"checkpoint's {checkpoint.tree_size}: the log was truncated or forked"
                )
            try:
                status, kind, body = self.post(url, self.request(checkpoint, old), self.timeout)
            except httpx.HTTPError as exc:
                raise WitnessRefused(f"witness {name} at {url} did not answer: {exc}") from None
            if status == 409 and kind.startswith("text/x.tlog.size"):
                try:
                    old = int(body.decode().strip())
                except ValueError:
                    raise WitnessRefused(f"witness {name} sent a bad size: {body[:40]!r}") from None
                self.state.size = old
                continue
            if status != 200:
                text = body.decode(errors="replace").strip()[:300]
                raise WitnessRefused(f"witness {name} refused with {status}: {text}")
            line = self._check(checkpoint, body)
            self.state.size = checkpoint.tree_size
            return line
        raise WitnessRefused(f"witness {name} keeps changing its size")

    def _check(self, checkpoint: Checkpoint, body: bytes) -> str:
        plain = checkpoint.with_cosignatures(())
        try:
            note = parse_note(plain.note + body.decode("utf-8"))
        except (NoteError, UnicodeDecodeError) as exc:
            raise WitnessRefused(
                f"witness {self.witness.name} sent no signature lines: {exc}"
            ) from None
        verifier = self.witness.verifier
        for signature in note.signatures:
            if signature.by(verifier):
                if not check_cosignature(verifier, note, signature):
                    raise WitnessRefused(
                        f"witness {self.witness.name} sent a cosignature that does not verify"
                    )
                return signature.line
        raise WitnessRefused(f"witness {self.witness.name} sent no cosignature of its key")


class Cosigner:
    """The Attestor of the sealer: witnesses and timestamps, in the background or at once."""

    def __init__(
        self,
        store: AuditStore,
        policy: Policy | None,
        *,
        timeout: float = 5.0,
        tsa_url: str | None = None,
        post: Post | None = None,
    ) -> None:
        self.store = store
        self.tsa_url = tsa_url
        self.timeout = timeout
        witnesses = [w for w in policy.witnesses.values() if w.url] if policy else []
        self.clients = [WitnessClient(w, store, timeout, post) for w in witnesses]
        self._lock = threading.Lock()
        self._pending: Checkpoint | None = None
        self._wake = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max(1, len(self.clients)), "audit-witness")
        self.tsa_error: str | None = None

    @property
    def active(self) -> bool:
        return bool(self.clients) or self.tsa_url is not None

    # ---- the Attestor protocol

    def submit(self, checkpoint: Checkpoint) -> None:
        if not self.active or checkpoint.legacy:
            return
        with self._wake:
            if self._pending is None or self._pending.tree_size <= checkpoint.tree_size:
                self._pending = checkpoint
            self._wake.notify()

    def attest(self, checkpoint: Checkpoint) -> None:
        """Cosignatures from every witness that gives one, and a timestamp, before returning."""
        if not self.active or checkpoint.legacy:
            return
        # A key announcement has the size of a stored checkpoint but is another note: its
        # cosignatures only teach the witnesses the next key, and are not kept.
        announcement = checkpoint.next_key is not None
        with self._lock:
            stored = None if announcement else self.store.checkpoint(checkpoint.tree_size)
            lines = stored.cosignatures if stored is not None else checkpoint.cosignatures
            have = {line.split(" ", 2)[1] for line in lines}
            todo = [c for c in self.clients if c.witness.verifier.name not in have]
            for client in self.clients:
                if client.witness.verifier.name in have:
                    client.state.cosigned = checkpoint.tree_size
            for client, outcome in zip(
                todo, self._pool.map(lambda c: self._one(c, checkpoint), todo), strict=True
            ):
                if outcome is not None and not announcement:
                    client.state.cosigned = checkpoint.tree_size
                    client.state.error = None
                    self.store.add_cosignature(
                        checkpoint.tree_size,
                        client.witness.verifier.name,
                        client.witness.verifier.key_id,
                        outcome[0],
                        outcome[1],
                    )
            self._timestamp(checkpoint)

    def _one(self, client: WitnessClient, checkpoint: Checkpoint) -> tuple[str, int] | None:
        try:
            line = client.submit(checkpoint)
        except WitnessRefused as exc:
            client.state.error = str(exc)
            client.state.at = time.time()
            log.warning("checkpoint %s not cosigned: %s", checkpoint.tree_size, exc)
            return None
        signature = parse_note(checkpoint.with_cosignatures(()).note + line).signatures[-1]
        return line, cosignature_time(signature)

    def _timestamp(self, checkpoint: Checkpoint) -> None:
        if self.tsa_url is None or self.store.timestamp(checkpoint.tree_size) is not None:
            return
        if checkpoint.next_key is not None:
            return  # a key announcement is kept with the key, not among the checkpoints
        try:
            token = request_token(self.tsa_url, timestamped_bytes(checkpoint), self.timeout)
        except TimestampError as exc:
            self.tsa_error = str(exc)
            log.warning("checkpoint %s not timestamped: %s", checkpoint.tree_size, exc)
            return
        self.tsa_error = None
        self.store.add_timestamp(checkpoint.tree_size, token, self.tsa_url, time_now())

    def start(self) -> None:
        if not self.active or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="audit-cosigner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._pool.shutdown(wait=False)
        self._pool = ThreadPoolExecutor(max(1, len(self.clients)), "audit-witness")
        for client in self.clients:
            client.close()

    def _run(self) -> None:
        latest = self.store.latest_checkpoint()
        if latest is not None:
            self.submit(latest)
        retry = 1.0
        while not self._stop.is_set():
            with self._wake:
                while self._pending is None and not self._stop.is_set():
                    self._wake.wait(1.0)
                checkpoint, self._pending = self._pending, None
            if checkpoint is None:
                continue
            try:
                self.attest(checkpoint)
            except Exception:  # keep witnessing after a database hiccup
                log.exception("audit cosigner failed; retrying")
                self._stop.wait(1.0)
                self.submit(checkpoint)
                continue
            if any(c.state.cosigned != checkpoint.tree_size for c in self.clients):
                # A witness was down or refused: retry this (or a newer) checkpoint later, less
                # often while it keeps refusing.
                self._stop.wait(retry)
                retry = min(retry * 2, 60.0)
                self.submit(checkpoint)
            else:
                retry = 1.0

    def status(self) -> dict[str, Any]:
        return {
            "witnesses": {
                c.witness.name: {
                    "url": c.witness.url,
                    "size": c.state.size,
                    "cosigned": c.state.cosigned,
                    "error": c.state.error,
                }
                for c in self.clients
            },
            "tsa": self.tsa_url,
            "tsa_error": self.tsa_error,
        }


def time_now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class WitnessView:
    """What the policy's witnesses hold for this log (their monitoring checkpoints)."""

    checkpoints: list[ExternalCheckpoint] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def fetch_witnessed(policy: Policy, origin: str, timeout: float = 5.0) -> WitnessView:
    """GET <witness>/<sha256(origin)>/checkpoint from every witness with a URL: the largest
    tree each one cosigned. A verifier checks the store against them, so a truncated or
    rewritten log cannot hide behind its own tables."""
    view = WitnessView()
    for name, witness in policy.witnesses.items():
        if not witness.url:
            continue
        url = f"{witness.url}/{origin_hash(origin)}/checkpoint"
        try:
            response = httpx.get(url, timeout=timeout)
        except httpx.HTTPError as exc:
            view.notes.append(f"witness {name} at {url} did not answer: {exc}")
            continue
        if response.status_code == 404:
            view.notes.append(f"witness {name} has not cosigned any checkpoint of {origin}")
            continue
        if response.status_code != 200:
            view.notes.append(f"witness {name} answered {response.status_code}")
            continue
        try:
            checkpoint = from_note(response.text)
            note = parse_note(response.text)
        except (ValueError, NoteError) as exc:
            view.problems.append(f"witness {name} serves no readable checkpoint: {exc}")
            continue
        own = [s for s in note.signatures if s.by(witness.verifier)]
        if not own or not all(check_cosignature(witness.verifier, note, s) for s in own):
            view.problems.append(
                f"witness {name} serves a checkpoint without a valid cosignature of its key"
            )
            continue
        view.checkpoints.append(
            ExternalCheckpoint(checkpoint, None, f"the checkpoint witness {name} cosigned")
        )
    return view
