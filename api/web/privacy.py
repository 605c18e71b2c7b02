"""Privacy: the privacy officer's page of the site. What may be erased now (per student: the
retention class, since when and why) and the erasure requests that wait for a legal hold to
end, with a download of each student's access export.

The page reads what `GET /privacy/due` answers, and a download is what
`GET /privacy/students/{student_id}/export` answers: the same route functions, so the same
schedule and the same export, recorded in the privacy ledger as the API's is. Readers are
those of `domain.policy.READS["privacy_due"]` (the page) and `READS["privacy_export"]` (a
download: the privacy officer, and a student for their own); anyone else gets the one 404
page, as for a page that does not exist.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from api.privacy_export import CLASSES
from api.routers.privacy import DueReport, get_due, get_export
from api.web import dutch as nl
from api.web.context import Hidden, Visit, page, visitor

router = APIRouter()

DUE = "privacy_due"
EXPORT = "privacy_export"
# A download records an export in the ledger: a link on another site makes none (a browser
# says where a request comes from; a client that says nothing is not a browser led astray).
SAME_SITE = (None, "same-origin", "none")


def due_list(visit: Visit) -> DueReport:
    """What `GET /privacy/due` answers this reader (who must be one of its readers)."""
    answer = get_due(visit.state, visit.actor)
    return DueReport.model_validate_json(bytes(answer.body))


def due_context(visit: Visit) -> dict[str, Any]:
    """What the due list's template part needs."""
    return {
        "privacy": due_list(visit),
        "retention_classes": CLASSES,
        "because": nl.DUE_BECAUSE,
    }


@router.get("/privacy")
@page
def privacy_page(request: Request) -> Response:
    visit = visitor(request)
    if not visit.may(DUE):
        raise Hidden()
    return visit.show("privacy.html", **due_context(visit))


@router.get("/privacy/studenten/{student_id}/inzage.zip")
@page
def access_export(request: Request, student_id: str) -> Response:
    visit = visitor(request)
    if not visit.may(EXPORT) or request.headers.get("sec-fetch-site") not in SAME_SITE:
        raise Hidden()
    # The route's own function: the student's rights checked as there (NotFound, the 404 page,
    # for anyone else and for a student of whom nothing is stored), the export recorded.
    answer = get_export(student_id, visit.state, visit.actor)
    return Response(
        answer.body,
        media_type=answer.media_type,
        headers={
            "Content-Disposition": answer.headers["Content-Disposition"],
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
