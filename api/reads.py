"""Current trajectories for GET requests, kept in memory and brought up to date per request.

Rebuilding a trajectory from its snapshot and up to 49 later events costs milliseconds of
decoding on every read. Here the last state read is kept, and each read asks the store only for
the events after it (one indexed query, usually answering none) and applies those. The answer
is as fresh as a full load: every event committed before the query is in it, so a client that
has just written reads its own write. The rendered answer is kept too, per reader, until the
trajectory's version moves on (a view depends only on the trajectory and who reads it).

Commands never use these objects (they have their own cache in the domain), and time travel
(`as_of`, `version`) always loads from the store.

What is kept here is decrypted, so a shred evicts it: the key store tells of every shred (this
process's at once, another's within its poll interval, asked for before each read), and the
student's trajectories and their rendered answers are dropped.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from eventsourcing.application import project_aggregate

from domain.application import Bewijsketen
from domain.errors import NotFound
from domain.privacy.keys import ShredNotice
from domain.trajectory import Trajectory

T = TypeVar("T")
RENDERED_PER_TRAJECTORY = 8


@dataclass
class _Entry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    trajectory: Trajectory | None = None
    # Rendered answers of the trajectory's current version, by reader.
    rendered: dict[str, bytes] = field(default_factory=dict)


class TrajectoryReads:
    """A bounded LRU of trajectories; a lock per trajectory while it is brought up to date and
    read, so that nobody reads one half-way through catching up."""

    def __init__(self, application: Bewijsketen, size: int = 1000) -> None:
        self.application = application
        self.size = size
        self._entries: OrderedDict[uuid.UUID, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        application.keys.on_shred(self._shredded)

    def _shredded(self, notice: ShredNotice) -> None:
        """Drops the shredded student's trajectories (decrypted) and their rendered answers."""
        with self._lock:
            gone = [
                tid
                for tid, entry in self._entries.items()
                if entry.trajectory is None or entry.trajectory.student_id == notice.student_id
            ]
            for tid in gone:
                del self._entries[tid]

    def read(self, trajectory_id: uuid.UUID, use: Callable[[Trajectory], T]) -> T:
        """Calls `use` with the current trajectory (raises NotFound if there is none)."""
        if self.size <= 0:
            return use(self.application.get_trajectory(trajectory_id))
        self.application.keys.refresh()  # another process's shred evicts before this read
        entry = self._entry(trajectory_id)
        with entry.lock:
            return use(self._catch_up(trajectory_id, entry))

    def render(
        self,
        trajectory_id: uuid.UUID,
        reader: str,
        check: Callable[[Trajectory], object],
        render: Callable[[Trajectory], bytes],
    ) -> tuple[int, bytes]:
        """The current version and `render(trajectory)` for this reader, rendered again only
        when the trajectory has changed. `check` runs on every call (access control)."""
        if self.size <= 0:
            trajectory = self.application.get_trajectory(trajectory_id)
            check(trajectory)
            return trajectory.version, render(trajectory)
        self.application.keys.refresh()
        entry = self._entry(trajectory_id)
        with entry.lock:
            trajectory = self._catch_up(trajectory_id, entry)
            check(trajectory)
            body = entry.rendered.get(reader)
            if body is None:
                body = render(trajectory)
                if len(entry.rendered) >= RENDERED_PER_TRAJECTORY:
                    entry.rendered.clear()
                entry.rendered[reader] = body
            return trajectory.version, body

    def _entry(self, trajectory_id: uuid.UUID) -> _Entry:
        with self._lock:
            entry = self._entries.get(trajectory_id)
            if entry is None:
                entry = self._entries[trajectory_id] = _Entry()
            self._entries.move_to_end(trajectory_id)
            while len(self._entries) > self.size:
                # An evicted entry may still be in use by a reader holding its lock; it is
                # simply no longer found, and the next reader starts a new one.
                self._entries.popitem(last=False)
            return entry

    def _catch_up(self, trajectory_id: uuid.UUID, entry: _Entry) -> Trajectory:
        # Called with the entry's lock held: nobody else touches its trajectory meanwhile.
        cached = entry.trajectory
        try:
            if cached is None:
                trajectory = self.application.get_trajectory(trajectory_id)
            else:
                newer = list(self.application.events.get(trajectory_id, gt=cached.version))
                if not newer:
                    return cached
                projected = project_aggregate(cached, newer)
                if projected is None:  # pragma: no cover - events are never deleted
                    raise NotFound("Trajectory", trajectory_id)
                trajectory = projected
        except BaseException:
            # A failure half-way through applying events leaves nothing half-applied behind.
            entry.trajectory = None
            entry.rendered.clear()
            raise
        entry.trajectory = trajectory
        entry.rendered.clear()
        return trajectory
