"""Path parameters shared by the trajectory routers (this module mounts no routes)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Path

TrajectoryId = Annotated[uuid.UUID, Path(description="The trajectory's id.")]
AttemptNumber = Annotated[
    int, Path(ge=1, le=1_000, description="The high-stake attempt (1, then 2 for a resit, ...).")
]
EvidenceId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._~-]+$",
        description="The evidence item's id.",
    ),
]
