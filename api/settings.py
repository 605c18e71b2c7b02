"""API settings from the environment, extending the store settings."""

from __future__ import annotations

from pydantic import Field

from domain.config import Settings


class ApiSettings(Settings):
    host: str = Field("127.0.0.1", description="Interface the API listens on.")
    port: int = Field(8000, ge=1, le=65535)
    seed_demo: bool = Field(False, description="Seed the demo on first start (empty store).")
    embedded_projections: bool = Field(
        True, description="Run the projection runner inside the API process."
    )
