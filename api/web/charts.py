"""Charts drawn on the server as SVG: horizontal bars, one group per row, with a title and a
description for screen readers (the same figures are in a table beside each chart)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from api.web import dutch as nl

# Colours with at least 3:1 contrast against white (WCAG 2.1, non-text contrast).
COLOURS = ("#1f4e79", "#b34700", "#2e6b30")
ROW = 22
LABEL_WIDTH = 190
BAR_WIDTH = 360


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    scale: tuple[float, float] = (0.0, 1.0)  # the values at the bar's start and end
    as_percent: bool = True


def bars(title: str, description: str, labels: list[str], series: list[Series], ident: str) -> str:
    """A bar chart: for every label one bar per series; a missing value is marked '–'."""
    groups = len(labels)
    per_group = len(series) * ROW + 8
    legend = 24
    height = legend + groups * per_group + 10
    width = LABEL_WIDTH + BAR_WIDTH + 70
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    x = LABEL_WIDTH
    for i, s in enumerate(series):
        out.append(
            f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>'
            f'<text x="{x + 16}" y="16" font-size="12" fill="#111">{escape(s.name)}</text>'
        )
        x += 24 + 8 * len(s.name)
    for g, label in enumerate(labels):
        top = legend + g * per_group
        out.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{top + ROW - 6}" font-size="12" fill="#111" '
            f'text-anchor="end">{escape(label)}</text>'
        )
        for i, s in enumerate(series):
            y = top + i * ROW
            value = s.values[g]
            low, high = s.scale
            shown = (
                "–" if value is None else (nl.percent(value) if s.as_percent else nl.number(value))
            )
            if value is not None:
                fraction = max(0.0, min(1.0, (value - low) / (high - low)))
                length = round(fraction * BAR_WIDTH, 1)
                out.append(
                    f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length}" height="{ROW - 8}" '
                    f'fill="{COLOURS[i % len(COLOURS)]}"/>'
                )
            else:
                length = 0
            out.append(
                f'<text x="{LABEL_WIDTH + length + 6}" y="{y + ROW - 7}" font-size="11" '
                f'fill="#111">{escape(shown)}</text>'
            )
    out.append(
        f'<line x1="{LABEL_WIDTH}" y1="{legend}" x2="{LABEL_WIDTH}" y2="{height - 6}" '
        'stroke="#555"/>'
    )
    out.append("</svg>")
    return "".join(out)
