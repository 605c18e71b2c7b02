"""HTML to PDF with WeasyPrint: A4, page numbers, and a document id on every page.

The page's own `@page` rules come first; these add what every printed document needs and the
page did not say itself (WeasyPrint applies the later rule where both say the same).
"""

from __future__ import annotations

from weasyprint import CSS, HTML


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def html_to_pdf(html: str, document_id: str | None = None, base_url: str | None = None) -> bytes:
    """The PDF of `html`: A4 pages, "Pagina N van M" at the bottom right and, if given, the
    document's id at the bottom left of every page."""
    rules = [
        "@page { size: A4; "
        '@bottom-right { content: "Pagina " counter(page) " van " counter(pages); '
        "font-size: 8pt; } }"
    ]
    if document_id:
        rules.append(
            f'@page {{ @bottom-left {{ content: "{_escaped(document_id)}"; font-size: 8pt; }} }}'
        )
    document = HTML(string=html, base_url=base_url)
    pdf = document.write_pdf(stylesheets=[CSS(string="\n".join(rules))])
    assert pdf is not None
    return bytes(pdf)
