"""Every route of the web pages, and their static files (served by the app, never a CDN)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from api.web import borging, commands, dossier, logbook, pages, privacy, report, signin
from api.web.templating import STATIC

MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
STATIC_FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in MEDIA_TYPES}

router = APIRouter(include_in_schema=False)
for part in (signin, pages, dossier, commands, borging, report, logbook, privacy):
    router.include_router(part.router, include_in_schema=False)


@router.get("/statisch/{name}")
def static(name: str) -> Response:
    path = STATIC_FILES.get(name)
    if path is None:
        return Response(status_code=404)
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
