"""The projection runner as a background service: a thread in the API process or the worker.

It owns the read-model store for its process, so the API's read-model routes query through it
whether or not the runner thread runs here (with PostgreSQL a separate `bewijsketen project`
worker may do the applying, and the API only reads).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from domain.application import Bewijsketen
from projections.config import ProjectionConfig
from projections.engine import ReadModel
from projections.models import all_models
from projections.purge import purge_trajectories
from projections.runner import Runner, status, wait_for_position
from projections.store import ReadStore, open_store

logger = logging.getLogger("bewijsketen.projections")


class ProjectionService:
    def __init__(
        self,
        app: Bewijsketen,
        config: ProjectionConfig,
        run_here: bool,
        models: tuple[ReadModel, ...] | None = None,
    ) -> None:
        self.app = app
        self.config = config
        self.run_here = run_here
        self.models = models or all_models()
        self.store: ReadStore = open_store(config)
        self.runner = Runner(app, self.store, self.models, config)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]

    def start(self) -> None:
        self.runner.ensure()
        if self.run_here:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self.runner.run, args=(self._stop,), name="projections", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.store.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, Any]:
        report = status(self.app, self.store, self.names)
        report["runner"] = "embedded" if self.run_here else "external"
        report["running"] = self.running
        failed = [p["name"] for p in report["projections"] if p["state"] == "failed"]
        if failed:
            report["state"] = "failed"
        elif not self.run_here:
            report["state"] = "external"
        else:
            report["state"] = "running" if self.running else "stopped"
        report["failed"] = failed
        report["last_error"] = self.runner.last_error if self.run_here else None
        if self.run_here:
            report["apply_lag_seconds"] = self.runner.lag_percentiles()
        return report

    def purge(self, trajectory_ids: Iterable[uuid.UUID]) -> int:
        """After a shred: the rows of these trajectories derived again (`projections.purge`)."""
        return purge_trajectories(self.app, self.store, trajectory_ids, self.models)

    def wait_for(self, name: str, position: int, timeout: float) -> int:
        committed = self.runner.committed if self.running else None
        return wait_for_position(self.store, name, position, timeout, committed)
