"""JSON answers built in the worker thread that computed them.

A plain-`def` endpoint that returns a model makes FastAPI validate and encode it again in one
more worker-thread hop; the routes here validate once (the model) and encode once
(`model_dump_json`), then return the bytes. `response_model` on the route still documents them.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Response
from pydantic import BaseModel


def json_response(
    model: BaseModel, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        model.model_dump_json().encode(),
        status_code=status_code,
        headers=dict(headers or {}),
        media_type="application/json",
    )
