"""Calls that may block on the database, answered within a bound (for GET /health).

Each call runs on a small thread pool of its own, never on the threads that serve requests
(those may all be waiting for the database), and the caller waits at most `timeout` seconds
for it. Calls under one key share the call in flight: a health check polled every second
during an outage starts one probe at a time, not one per poll.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    answered: bool  # within the bound
    value: Any = None
    error: BaseException | None = None


class BoundedCalls:
    def __init__(self, workers: int = 8) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bounded")
        self._in_flight: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    async def call(self, fn: Callable[[], Any], timeout: float, key: str | None = None) -> Outcome:
        with self._lock:
            future = self._in_flight.get(key) if key is not None else None
            if future is None or future.done():
                future = self._pool.submit(fn)
                if key is not None:
                    self._in_flight[key] = future
        waiter = asyncio.wrap_future(future)
        done, _ = await asyncio.wait({waiter}, timeout=max(0.0, timeout))
        if not done:
            # Collected when it ends, so that its error is not reported as never retrieved.
            waiter.add_done_callback(lambda f: f.cancelled() or f.exception())
            return Outcome(False)
        error = waiter.exception()
        return Outcome(True, None if error else waiter.result(), error)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
