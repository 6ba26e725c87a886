"""Server-rendered bar charts (SVG) for survey results.

Presentation attributes only (no ``style``), so they pass a CSP without ``unsafe-inline``;
``role="img"`` with a title and a description; colours at least 4.5:1 against white. Every
chart is shown next to a table with the same figures (the table alternative), so the chart
is a picture of the table and adds nothing a screen reader would miss.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

INK = "#1b1b1b"
BAR = "#005ea2"  # 7.1:1 against white
TRACK = "#dfe1e2"


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    share: float  # 0..1
    value_text: str  # what is written at the end of the bar, e.g. "12 (40 %)"


def _shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart_svg(
    bars: Sequence[Bar], *, title: str, description: str, id_prefix: str, width: int = 640
) -> str:
    """Horizontal bars, one per row: the label above its bar, the figure after it."""
    row = 46
    top = 8
    height = top + row * max(len(bars), 1) + 8
    label_w = width - 150
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" '
        f'font-family="sans-serif">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        filled = max(0.0, min(1.0, bar.share)) * label_w
        out.append(
            f'<text x="0" y="{y + 14}" font-size="15" fill="{INK}">'
            f"{escape(_shorten(bar.label))}</text>"
        )
        out.append(
            f'<rect x="0" y="{y + 20}" width="{label_w}" height="18" fill="{TRACK}" rx="2"/>'
        )
        if filled > 0:
            out.append(
                f'<rect x="0" y="{y + 20}" width="{filled:.1f}" height="18" fill="{BAR}" rx="2"/>'
            )
        out.append(
            f'<text x="{label_w + 10}" y="{y + 34}" font-size="15" font-weight="700" '
            f"fill={quoteattr(INK)}>{escape(bar.value_text)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
