"""API settings from the environment (prefix BEWIJSKETEN_), extending the store settings.

`bewijsketen serve` and `uvicorn --factory api.app:create_app` read the same settings, so both
serve the same configuration.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, field_validator

from api.expiry import DEFAULT_TOKEN_LIFETIME, DURATION, parse_duration
from domain.config import Settings


class ApiSettings(Settings):
    host: str = Field("127.0.0.1", description="Interface the API listens on.")
    port: int = Field(8000, ge=1, le=65535)
    seed_demo: bool = Field(False, description="Seed the demo on first start (empty store).")
    embedded_projections: bool = Field(
        True, description="Run the projection runner inside the API process."
    )
    authenticator: str = Field(
        "api.tokens:TokenStore",
        description="module:factory that builds the Authenticator from these settings; "
        "replace it to sign in through an OpenID Connect provider.",
    )
    switch_interval_ms: float = Field(
        0.2,
        gt=0,
        description="Python's thread switch interval in this process (Python's default: 5 ms). "
        "A command holds the event table's lock across database round trips and must win the "
        "GIL back after each; with the event loop busy parsing other requests it may wait this "
        "long each time, while every other writer waits for the lock.",
    )
    read_cache: int = Field(
        1000, ge=0, description="Trajectories kept in memory for GET requests (0: none)."
    )
    token_cache_seconds: float = Field(
        10.0, ge=0, description="How long a checked token is trusted before it is looked up again."
    )
    token_lifetime: timedelta = Field(
        DEFAULT_TOKEN_LIFETIME,
        gt=timedelta(0),
        description="How long a token lives unless `token create --expires` says otherwise: "
        "12h, 90d, ISO 8601 (PT12H) or seconds.",
    )

    @field_validator("token_lifetime", mode="before")
    @classmethod
    def _short_duration(cls, value: Any) -> Any:
        if isinstance(value, str):
            if DURATION.match(value):
                return parse_duration(value)
            if value.strip().isdigit():
                return timedelta(seconds=int(value))
        return value
