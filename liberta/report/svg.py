"""Small, dependency-free SVG charts for the self-contained HTML report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape


@dataclass(frozen=True, kw_only=True)
class ChartBox:
    width: int = 720
    height: int = 240
    left: int = 64
    right: int = 16
    top: int = 28
    bottom: int = 36

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


def nice_ceiling(value: float) -> float:
    """Round a maximum up to 1, 2, 2.5 or 5 times a power of ten, so axis ticks read well."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    base = 10**exponent
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * base:
            return step * base
    return 10 * base


def format_number(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.1f}k"
    if value == int(value):
        return f"{int(value)}"
    return f"{value:.2f}"


def _axes(box: ChartBox, y_max: float, title: str) -> list[str]:
    parts = [
        f'<text x="{box.left}" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i in range(5):
        fraction = i / 4
        y = box.top + box.plot_height * (1 - fraction)
        parts.append(
            f'<line x1="{box.left}" x2="{box.width - box.right}" y1="{y:.1f}" y2="{y:.1f}" '
            'class="grid"/>'
        )
        parts.append(
            f'<text x="{box.left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{format_number(y_max * fraction)}</text>"
        )
    return parts


def _date_ticks(box: ChartBox, days: Sequence[date], x_of) -> list[str]:
    if not days:
        return []
    count = min(len(days), 6)
    indexes = sorted({round(i * (len(days) - 1) / max(count - 1, 1)) for i in range(count)})

    def anchor(i: int) -> str:
        # Keep the first and last labels inside the chart.
        if len(days) > 1 and i == 0 and x_of(i) - box.left < 30:
            return "start"
        if len(days) > 1 and i == len(days) - 1 and box.width - box.right - x_of(i) < 30:
            return "end"
        return "middle"

    return [
        f'<text x="{x_of(i):.1f}" y="{box.height - 12}" text-anchor="{anchor(i)}" class="tick">'
        f"{days[i].isoformat()}</text>"
        for i in indexes
    ]


def line_chart(
    points: Sequence[tuple[date, float]], *, title: str, box: ChartBox | None = None
) -> str:
    """A daily time series as an inline SVG line chart."""
    box = box or ChartBox()
    days = [d for d, _ in points]
    values = [float(v or 0) for _, v in points]
    y_max = nice_ceiling(max(values, default=0))

    def x_of(i: int) -> float:
        if len(points) == 1:
            return box.left + box.plot_width / 2
        return box.left + box.plot_width * i / (len(points) - 1)

    def y_of(v: float) -> float:
        return box.top + box.plot_height * (1 - v / y_max)

    parts = _axes(box, y_max, title)
    if points:
        path = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{path}" class="series"/>')
        parts.extend(
            f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="2.5" class="dot">'
            f"<title>{days[i].isoformat()}: {format_number(v)}</title></circle>"
            for i, v in enumerate(values)
        )
    else:
        parts.append(
            f'<text x="{box.width / 2}" y="{box.height / 2}" text-anchor="middle" class="tick">'
            "no data</text>"
        )
    parts.extend(_date_ticks(box, days, x_of))
    return _svg(box, parts, title)


def bar_chart(
    points: Sequence[tuple[date, float]], *, title: str, box: ChartBox | None = None
) -> str:
    """A daily series as an inline SVG bar chart."""
    box = box or ChartBox()
    days = [d for d, _ in points]
    values = [float(v or 0) for _, v in points]
    y_max = nice_ceiling(max(values, default=0))
    slot = box.plot_width / max(len(points), 1)

    def x_of(i: int) -> float:
        return box.left + slot * (i + 0.5)

    parts = _axes(box, y_max, title)
    for i, v in enumerate(values):
        height = box.plot_height * v / y_max
        parts.append(
            f'<rect x="{x_of(i) - slot * 0.4:.1f}" y="{box.top + box.plot_height - height:.1f}" '
            f'width="{slot * 0.8:.1f}" height="{height:.1f}" class="bar">'
            f"<title>{days[i].isoformat()}: {format_number(v)}</title></rect>"
        )
    parts.extend(_date_ticks(box, days, x_of))
    return _svg(box, parts, title)


def _svg(box: ChartBox, parts: list[str], title: str) -> str:
    body = "\n  ".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {box.width} {box.height}" '
        'width="100%" preserveAspectRatio="xMidYMid meet" '
        f'role="img" aria-label="{escape(title)}">\n'
        f"  {body}\n</svg>"
    )
