"""What the API process holds for its lifetime: settings, the application, background services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from api.settings import ApiSettings
from domain.application import Bewijsketen


class BackgroundService(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass
class AppState:
    settings: ApiSettings
    application: Bewijsketen
    services: dict[str, BackgroundService] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
