"""The audit log on PostgreSQL: sealing, verification, proofs, and sealing lag under load.

    python -m bench.audit [--events 1000000] [--load-seconds 20] [--clients 8] [--witnesses 2]
    python -m bench.audit --lag-only            # only the two lag runs, no 1M-event store

On the cached benchmark store (bench/dataset.py, generated through the domain) it measures, in
one run and against the same server:

* sealing: events/s from an empty audit log to the head, beside the raw rate of reading the
  notification log the way the sealer reads it (`select_notifications` in batches);
* verify: events/s of the full recomputation, beside the raw rate of streaming the same rows
  with the same server-side cursor without hashing (target ≥ 0.5×);
* proofs: size and time to produce an inclusion proof (random events, against the latest
  checkpoint) and a consistency proof between two checkpoints;
* lag: from a command's return to its event being sealed, while threads keep writing through
  the application service, with the sealer running as the API runs it (its own thread), in a
  fresh database so that the cached store is not changed; once without witnesses (the
  baseline) and once with `--witnesses` witness processes (`bewijsketen witness serve` on
  127.0.0.1) cosigning every checkpoint, which also gives the witnessing lag: from a
  checkpoint's signature to the last of its cosignatures being stored.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from api.settings import Settings
from bench.dataset import SERVER_URL, ensure_dataset
from bench.load import LoadResult, api_server, feedback_load, free_port, seed
from domain.application import build_application
from projections.audit import proofs
from projections.audit.checkpoint import Checkpoint, log_verifier
from projections.audit.config import AuditConfig
from projections.audit.cosign import Cosigner
from projections.audit.keys import generate_key_file
from projections.audit.merkle import verify_inclusion
from projections.audit.note import COSIGNATURE_V1, NoteSigner
from projections.audit.policy import parse_policy
from projections.audit.sealer import Sealer, SealerService
from projections.audit.store import PostgresAuditStore, open_store
from projections.audit.verify import verify_store

AUDIT_TABLES = ("leaves", "nodes", "state", "checkpoints", "cosignatures", "timestamps", "keys")
ORIGIN = "bewijsketen.bench/audit"


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def reset_audit_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in AUDIT_TABLES:
            conn.execute(
                sql.SQL("DROP TABLE IF EXISTS {}").format(
                    sql.Identifier(f"bewijsketen_audit_{table}")
                )
            )


def raw_stream(store: PostgresAuditStore) -> int:
    count = 0
    for rows in store.stream_events():
        count += len(rows)
    return count


def raw_notifications(settings: Settings, batch: int) -> int:
    app = build_application(settings.store)
    try:
        count, start = 0, 0
        while rows := app.recorder.select_notifications(start, batch, inclusive_of_start=False):
            count += len(rows)
            start = rows[-1].id
        return count
    finally:
        app.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_store(events: int, out: dict[str, Any]) -> None:
    url = ensure_dataset(events)
    reset_audit_tables(url)
    settings = Settings(database_url=url, threads=4, _env_file=None)
    audit = AuditConfig(checkpoint_every=1000, checkpoint_seconds=10)
    key = Ed25519PrivateKey.generate()
    store = open_store(settings.store)
    assert isinstance(store, PostgresAuditStore)
    app = build_application(settings.store)
    try:
        seconds, n = timed(lambda: raw_notifications(settings, audit.batch_size))
        out["notifications_raw"] = n / seconds
        sealer = Sealer(app.recorder, store, audit, key)
        seconds, sealed = timed(sealer.seal_all)
        sealer.maybe_checkpoint(force=True)
        out["events"] = sealed
        out["seal_rate"] = sealed / seconds
        out["seal_seconds"] = seconds
        out["checkpoints"] = len(store.checkpoints())

        # Raw and verify twice each, alternating, and keep the best: the page cache warms up.
        raw_rates, verify_rates = [], []
        for _ in range(2):
            seconds, n = timed(lambda: raw_stream(store))
            raw_rates.append(n / seconds)
            seconds, report = timed(lambda: verify_store(store, key.public_key()))
            assert report.ok, report.lines()
            verify_rates.append(report.events / seconds)
        out["raw_read"] = max(raw_rates)
        out["verify_rate"] = max(verify_rates)

        latest = store.latest_checkpoint()
        assert latest is not None
        positions = [
            r[0]
            for r in store.query(
                "SELECT position FROM {leaves} WHERE leaf_index < %s ORDER BY random() LIMIT 200",
                (latest.tree_size,),
            )
        ]
        times, sizes = [], []
        for position in positions:
            started = time.perf_counter()
            proof = proofs.inclusion(store, position)
            seconds = time.perf_counter() - started
            times.append(seconds)
            sizes.append(len(proof["path"]))
            assert verify_inclusion(
                proof["leaf_index"],
                latest.tree_size,
                bytes.fromhex(proof["leaf_hash"]),
                [bytes.fromhex(h) for h in proof["path"]],
                latest.root_hash,
            )
        out["inclusion_ms_p50"] = statistics.median(times) * 1000
        out["inclusion_ms_p99"] = percentile(times, 0.99) * 1000
        out["inclusion_hashes"] = max(sizes)
        first = store.checkpoints()[len(store.checkpoints()) // 3].tree_size
        seconds, consistency = timed(lambda: proofs.consistency(store, first, latest.tree_size))
        out["consistency_ms"] = seconds * 1000
        out["consistency_hashes"] = len(consistency["path"])
        out["tree_size"] = latest.tree_size
    finally:
        app.close()
        store.close()


class TimedCosigner(Cosigner):
    """Notes when each checkpoint was handed over and when all witnesses had cosigned it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.submitted: dict[int, float] = {}
        self.done: dict[int, float] = {}

    def submit(self, checkpoint: Checkpoint) -> None:
        self.submitted.setdefault(checkpoint.tree_size, time.perf_counter())
        super().submit(checkpoint)

    def attest(self, checkpoint: Checkpoint) -> None:
        super().attest(checkpoint)
        if all(c.state.cosigned == checkpoint.tree_size for c in self.clients):
            self.done.setdefault(checkpoint.tree_size, time.perf_counter())


@contextmanager
def witness_processes(count: int, log_vkey: str) -> Iterator[str]:
    """`count` witnesses (`bewijsketen witness serve`) on 127.0.0.1; yields the policy text."""
    command = str(Path(sys.executable).parent / "bewijsketen")
    with tempfile.TemporaryDirectory(prefix="bewijsketen-witnesses-") as root:
        processes = []
        lines = [f"log {log_vkey}"]
        try:
            for n in range(1, count + 1):
                home = Path(root) / f"w{n}"
                name = f"witness{n}.bench/w{n}"
                signer = NoteSigner(name, COSIGNATURE_V1, generate_key_file(home / "key.pem"))
                port = free_port()
                env = {k: v for k, v in os.environ.items() if not k.startswith("BEWIJSKETEN_")}
                processes.append(
                    subprocess.Popen(
                        [
                            command,
                            "witness",
                            "serve",
                            "--name",
                            name,
                            "--key-file",
                            str(home / "key.pem"),
                            "--state-file",
                            str(home / "state.sqlite"),
                            "--log",
                            log_vkey,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(port),
                        ],
                        env=env | {"BEWIJSKETEN_DATA_DIR": str(home)},
                        stdout=subprocess.DEVNULL,
                    )
                )
                lines.append(f"witness w{n} {signer.verifier.vkey} http://127.0.0.1:{port}")
                _wait_for(f"http://127.0.0.1:{port}/{'0' * 64}/checkpoint")
            members = " ".join(f"w{n}" for n in range(1, count + 1))
            lines += [f"group all-witnesses all {members}", "quorum all-witnesses"]
            yield "\n".join(lines) + "\n"
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 404:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no witness answered at {url}")


def bench_lag(seconds: float, clients: int, out: dict[str, Any], witnesses: int = 0) -> None:
    """Sealing lag while uvicorn serves the API benchmark's feedback load (`bench/load.py`).

    A sampler reads the log head and the sealed position every 5 ms; an event's lag runs from
    the first sample that showed it in the log (its commit) to the first that showed it sealed.
    With witnesses, the sealer hands every checkpoint to the cosigner, as the API process does.
    """
    name = f"bewijsketen_bench_audit_lag_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{SERVER_URL}/{name}"
    settings = Settings(database_url=url, threads=4, _env_file=None)
    app = build_application(settings.store)
    store = open_store(settings.store)
    key = Ed25519PrivateKey.generate()
    committed: dict[int, float] = {}  # position -> first time seen in the log
    lags: list[float] = []
    prefix = f"w{witnesses}_" if witnesses else ""
    try:
        with witness_processes(witnesses, log_verifier(ORIGIN, key.public_key()).vkey) as text:
            policy = parse_policy(text) if witnesses else None
            cosigner = TimedCosigner(store, policy) if witnesses else None
            audit = AuditConfig(origin=ORIGIN)
            service = SealerService(Sealer(app.recorder, store, audit, key, cosigner))
            targets = seed(url, trajectories=64)
            service.start()
            try:
                with api_server(url) as base_url:
                    result: list[LoadResult] = []
                    load = threading.Thread(
                        target=lambda: result.append(
                            feedback_load(base_url, targets, clients, seconds)
                        )
                    )
                    load.start()
                    seen = app.recorder.max_notification_id() or 0
                    sealed_upto = seen
                    while load.is_alive() or sealed_upto < seen:
                        head = app.recorder.max_notification_id() or 0
                        now = time.perf_counter()
                        for position in range(seen + 1, head + 1):
                            committed[position] = now  # ids have gaps: unused ones are skipped
                        seen = max(seen, head)
                        sealed = store.load_state().last_position
                        for position in range(sealed_upto + 1, sealed + 1):
                            if position in committed:
                                lags.append(now - committed.pop(position))
                        sealed_upto = max(sealed_upto, sealed)
                        time.sleep(0.005)
                    load.join()
                    time.sleep(1.0)  # the last checkpoint's cosignatures
            finally:
                service.stop()
            if cosigner is not None:
                waits = [
                    cosigner.done[s] - t
                    for s, t in cosigner.submitted.items()
                    if s in cosigner.done
                ]
                out[prefix + "checkpoints"] = len(cosigner.submitted)
                out[prefix + "cosigned"] = len(waits)
                out[prefix + "cosign_p50_ms"] = statistics.median(waits) * 1000 if waits else 0.0
                out[prefix + "cosign_p99_ms"] = percentile(waits, 0.99) * 1000 if waits else 0.0
                out[prefix + "cosign_max_ms"] = max(waits) * 1000 if waits else 0.0
                latest = store.latest_checkpoint()
                out[prefix + "latest_cosignatures"] = len(latest.cosignatures) if latest else 0
        out[prefix + "lag_events"] = len(lags)
        out[prefix + "lag_rate"] = result[0].rate if result else 0.0
        out[prefix + "lag_p50_ms"] = statistics.median(lags) * 1000
        out[prefix + "lag_p99_ms"] = percentile(lags, 0.99) * 1000
        out[prefix + "lag_max_ms"] = max(lags) * 1000
    finally:
        store.close()
        app.close()
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def print_lag(out: dict[str, Any], clients: int, prefix: str, label: str) -> None:
    print(
        f"sealing lag under the API feedback load, {label}, {clients} HTTP clients "
        f"({out[prefix + 'lag_rate']:,.0f} commands/s, "
        f"{out[prefix + 'lag_events']:,} events): p50 {out[prefix + 'lag_p50_ms']:.0f} ms, "
        f"p99 {out[prefix + 'lag_p99_ms']:.0f} ms, max {out[prefix + 'lag_max_ms']:.0f} ms "
        "(target p99 < 1000)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--witnesses", type=int, default=2)
    parser.add_argument("--lag-only", action="store_true", help="Skip the 1M-event store part.")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    if not args.lag_only:
        bench_store(args.events, out)
    bench_lag(args.load_seconds, args.clients, out)
    if args.witnesses:
        bench_lag(args.load_seconds, args.clients, out, witnesses=args.witnesses)
    if not args.lag_only:
        rows = [
            (
                "sealing (events/s)",
                out["seal_rate"],
                "notification log read",
                out["notifications_raw"],
            ),
            ("verify (events/s)", out["verify_rate"], "raw cursor read", out["raw_read"]),
        ]
        print(
            f"\nAudit log on {out['events']:,} events (tree size {out['tree_size']:,}, "
            f"{out['checkpoints']:,} checkpoints)\n"
        )
        print(f"{'measure':<22}{'project':>12}  {'baseline':<24}{'raw':>12}{'ratio':>8}")
        for label, value, base_label, base in rows:
            print(f"{label:<22}{value:>12,.0f}  {base_label:<24}{base:>12,.0f}{value / base:>8.2f}")
        print(f"\nsealing took {out['seal_seconds']:.1f} s")
        print(
            f"inclusion proof: {out['inclusion_hashes']} hashes ({out['inclusion_hashes'] * 32} "
            f"bytes), p50 {out['inclusion_ms_p50']:.2f} ms, p99 {out['inclusion_ms_p99']:.2f} ms"
        )
        print(
            f"consistency proof: {out['consistency_hashes']} hashes, {out['consistency_ms']:.2f} ms"
        )
    print()
    print_lag(out, args.clients, "", "no witness (baseline)")
    if args.witnesses:
        w = f"w{args.witnesses}_"
        print_lag(out, args.clients, w, f"{args.witnesses} witnesses")
        print(
            f"  p99 ratio with {args.witnesses} witnesses to without: "
            f"{out[w + 'lag_p99_ms'] / out['lag_p99_ms']:.2f}"
        )
        print(
            f"witnessing: {out[w + 'checkpoints']} checkpoints signed, {out[w + 'cosigned']} "
            f"handed to and cosigned by all {args.witnesses} witnesses (newer ones supersede "
            f"older); from signature to the last cosignature p50 {out[w + 'cosign_p50_ms']:.0f} "
            f"ms, p99 {out[w + 'cosign_p99_ms']:.0f} ms, max {out[w + 'cosign_max_ms']:.0f} ms; "
            f"the latest checkpoint carries {out[w + 'latest_cosignatures']} cosignatures"
        )


if __name__ == "__main__":
    main()
