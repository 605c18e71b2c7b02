"""The audit log on PostgreSQL: sealing, verification, proofs, and sealing lag under load.

    python -m bench.audit [--events 1000000] [--load-seconds 20] [--clients 8]

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
  fresh database so that the cached store is not changed.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import sql

from api.settings import Settings
from bench.dataset import SERVER_URL, ensure_dataset
from bench.load import LoadResult, api_server, feedback_load, seed
from domain.application import build_application
from projections.audit import proofs
from projections.audit.config import AuditConfig
from projections.audit.merkle import verify_inclusion
from projections.audit.sealer import Sealer, SealerService
from projections.audit.store import PostgresAuditStore, open_store
from projections.audit.verify import verify_store

AUDIT_TABLES = ("leaves", "nodes", "state", "checkpoints")


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


def bench_lag(seconds: float, clients: int, out: dict[str, Any]) -> None:
    """Sealing lag while uvicorn serves the API benchmark's feedback load (`bench/load.py`).

    A sampler reads the log head and the sealed position every 5 ms; an event's lag runs from
    the first sample that showed it in the log (its commit) to the first that showed it sealed.
    """
    name = f"bewijsketen_bench_audit_lag_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = f"{SERVER_URL}/{name}"
    settings = Settings(database_url=url, threads=4, _env_file=None)
    app = build_application(settings.store)
    store = open_store(settings.store)
    service = SealerService(
        Sealer(app.recorder, store, AuditConfig(), Ed25519PrivateKey.generate())
    )
    committed: dict[int, float] = {}  # position -> first time seen in the log
    lags: list[float] = []
    try:
        targets = seed(url, trajectories=64)
        service.start()
        with api_server(url) as base_url:
            result: list[LoadResult] = []
            load = threading.Thread(
                target=lambda: result.append(feedback_load(base_url, targets, clients, seconds))
            )
            load.start()
            seen = app.recorder.max_notification_id() or 0
            sealed_upto = seen
            while load.is_alive() or sealed_upto < seen:
                head = app.recorder.max_notification_id() or 0
                now = time.perf_counter()
                for position in range(seen + 1, head + 1):
                    committed[position] = now  # ids have gaps: unused ones are skipped below
                seen = max(seen, head)
                sealed = store.load_state().last_position
                for position in range(sealed_upto + 1, sealed + 1):
                    if position in committed:
                        lags.append(now - committed.pop(position))
                sealed_upto = max(sealed_upto, sealed)
                time.sleep(0.005)
            load.join()
        out["lag_events"] = len(lags)
        out["lag_rate"] = result[0].rate if result else 0.0
        out["lag_p50_ms"] = statistics.median(lags) * 1000
        out["lag_p99_ms"] = percentile(lags, 0.99) * 1000
        out["lag_max_ms"] = max(lags) * 1000
    finally:
        service.stop()
        store.close()
        app.close()
        with psycopg.connect(f"{SERVER_URL}/postgres", autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    out: dict[str, Any] = {}
    bench_store(args.events, out)
    bench_lag(args.load_seconds, args.clients, out)
    rows = [
        ("sealing (events/s)", out["seal_rate"], "notification log read", out["notifications_raw"]),
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
    print(f"consistency proof: {out['consistency_hashes']} hashes, {out['consistency_ms']:.2f} ms")
    print(
        f"sealing lag under the API feedback load, {args.clients} HTTP clients "
        f"({out['lag_rate']:,.0f} commands/s, "
        f"{out['lag_events']:,} events): p50 {out['lag_p50_ms']:.0f} ms, "
        f"p99 {out['lag_p99_ms']:.0f} ms, max {out['lag_max_ms']:.0f} ms (target p99 < 1000)"
    )


if __name__ == "__main__":
    main()
