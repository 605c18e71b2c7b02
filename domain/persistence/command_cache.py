"""Aggregates kept between commands, so a command need not re-read its aggregate's events.

A cached aggregate may be stale when another process wrote since; that is safe for commands:
a decision made on a stale version is refused by the store (version conflict), the entry is
evicted and the command runs again on a fresh load. Queries never read from this cache.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from typing import Any

STRIPES = 64


class CommandCache:
    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._items: OrderedDict[uuid.UUID, Any] = OrderedDict()
        self._items_lock = threading.Lock()
        # One lock per stripe of ids: a cached aggregate is used by one command at a time.
        self._stripes = [threading.Lock() for _ in range(STRIPES)]

    def lock_for(self, aggregate_id: uuid.UUID) -> threading.Lock:
        return self._stripes[aggregate_id.int % STRIPES]

    def get(self, aggregate_id: uuid.UUID) -> Any | None:
        with self._items_lock:
            aggregate = self._items.get(aggregate_id)
            if aggregate is not None:
                self._items.move_to_end(aggregate_id)
            return aggregate

    def put(self, aggregate_id: uuid.UUID, aggregate: Any) -> None:
        if self.maxsize <= 0:
            return
        with self._items_lock:
            self._items[aggregate_id] = aggregate
            self._items.move_to_end(aggregate_id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def evict(self, aggregate_id: uuid.UUID) -> None:
        with self._items_lock:
            self._items.pop(aggregate_id, None)
