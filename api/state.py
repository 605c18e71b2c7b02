"""What the API process holds for its lifetime: settings, the application, who is calling,
and the background services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from api.reads import TrajectoryReads
from api.settings import Settings
from api.tokens import Authenticator
from domain.application import Bewijsketen
from domain.persons import PersonRegistry


class BackgroundService(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class AppState:
    settings: Settings
    application: Bewijsketen
    authenticator: Authenticator | None = None
    reads: TrajectoryReads | None = None
    services: dict[str, BackgroundService] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def persons(self) -> PersonRegistry:
        found = self.extras.get("persons")
        if not isinstance(found, PersonRegistry):
            found = self.extras["persons"] = PersonRegistry.in_data_dir(self.settings.data_dir)
        return found
