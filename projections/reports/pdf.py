"""HTML to PDF: A4, page numbers and a running footer with the document's id (WeasyPrint).

One function for every document the project prints (the annual report, the decision dossier):
the page layout is added as a stylesheet of its own, so the HTML stays a plain page that also
reads well on screen.
"""

from __future__ import annotations

import logging
from typing import Any

# WeasyPrint reports every CSS property it does not know at WARNING; nothing to act on here.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)
SYSTEM_LIBRARIES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


class PdfUnavailable(RuntimeError):
    """The system lacks the libraries WeasyPrint draws with."""


def _weasyprint() -> Any:
    # Imported when a PDF is asked for: the API and every other output work without Pango.
    try:
        import weasyprint
    except OSError as exc:
        raise PdfUnavailable(
            f"PDF output needs Pango ({exc}); install it with: apt-get install {SYSTEM_LIBRARIES}"
        ) from None
    return weasyprint


def _css_string(text: str) -> str:
    """A CSS string literal holding `text`."""
    escaped = "".join(c if c.isalnum() or c in " -_.:/" else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


def page_css(document_id: str | None, label: str = "Documentkenmerk") -> str:
    footer = _css_string(f"{label}: {document_id}") if document_id else '""'
    return f"""
@page {{
  size: A4;
  margin: 18mm 16mm 20mm 16mm;
  @bottom-left {{ content: {footer}; font-size: 8pt; color: #555; }}
  @bottom-right {{
    content: "Pagina " counter(page) " van " counter(pages);
    font-size: 8pt; color: #555;
  }}
}}
body {{ margin: 0; }}
"""


def html_to_pdf(html: str, document_id: str | None = None, base_url: str | None = None) -> bytes:
    """The page as an A4 PDF, numbered 'Pagina n van m', with the document id (if any) in every
    footer. `base_url` resolves the page's relative links (stylesheets, images)."""
    weasyprint = _weasyprint()
    stylesheet = weasyprint.CSS(string=page_css(document_id))
    document = weasyprint.HTML(string=html, base_url=base_url)
    rendered: bytes = document.write_pdf(stylesheets=[stylesheet])
    return rendered
