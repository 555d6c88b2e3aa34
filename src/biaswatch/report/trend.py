"""A dependency-free SVG trend chart: one metric's value per scheduled time, against its baseline.

Points are joined by a line where consecutive values are defined; the baseline is a dashed
horizontal line (with SageMaker's rule, ``abs(value) > abs(baseline)`` is a violation, so the
mirrored line ``-baseline`` is drawn too when the values go negative); violations are red
points ringed in red; an optional band (a confidence interval per point) is a shaded area.
Infinite values sit at the top or bottom edge with an "∞" label; undefined values are gaps.
Every element carries a class (``point``, ``violation``, ``baseline``, ``band``) so that pages
and tests can find them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

__all__ = ["TrendPoint", "trend_chart"]

_WIDTH, _HEIGHT = 640, 200
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 624, 14, 168
_LINE = "#4c78a8"
_VIOLATION = "#d62728"
_BASELINE = "#555555"
_BAND = "#4c78a8"
_GRID = "#e3e3e3"
_TEXT = "#333333"


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One execution's value of the metric (None when undefined), and whether it violated."""

    time: datetime
    value: float | None
    violated: bool = False
    band: tuple[float, float] | None = None
    link: str | None = None


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _range(points: Sequence[TrendPoint], baseline: float | None) -> tuple[float, float]:
    values = _finite([p.value for p in points])
    values += _finite([b for p in points if p.band for b in p.band])
    if baseline is not None and math.isfinite(baseline):
        values.append(baseline)
        if any(v < 0 for v in values):
            values.append(-baseline)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if low == high:
        low, high = low - 1.0, high + 1.0
    pad = (high - low) * 0.08
    return low - pad, high + pad


def trend_chart(points: Sequence[TrendPoint], *, baseline: float | None, title: str) -> str:
    """Render the trend as a standalone ``<svg>`` element (oldest point on the left).

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> hours = [(1, 0.1, False), (2, None, False), (3, 0.3, True)]
    >>> svg = trend_chart([TrendPoint(datetime(2026, 1, 1, h, tzinfo=UTC), v, bad)
    ...                    for h, v, bad in hours], baseline=0.2, title="DPPL")
    >>> svg.count('class="point"'), svg.count('class="violation"'), 'class="baseline"' in svg
    (1, 1, True)
    """
    low, high = _range(points, baseline)
    count = len(points)

    def x(index: int) -> float:
        return _LEFT + (_RIGHT - _LEFT) * (0.5 if count == 1 else index / (count - 1))

    def y(value: float) -> float:
        if math.isinf(value):
            return float(_TOP if value > 0 else _BOTTOM)
        return _BOTTOM - (_BOTTOM - _TOP) * (value - low) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{_WIDTH}"'
        f' height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img"'
        f' aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<line x1="{_LEFT}" x2="{_RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"'
            f' stroke="{_GRID}"/>'
            f'<text x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{_TEXT}">'
            f"{tick:.3g}</text>"
        )
    banded = [(i, p.band) for i, p in enumerate(points) if p.band is not None]
    if banded:
        upper = " ".join(f"{x(i):.1f},{y(b[1]):.1f}" for i, b in banded)
        lower = " ".join(f"{x(i):.1f},{y(b[0]):.1f}" for i, b in reversed(banded))
        parts.append(
            f'<polygon class="band" points="{upper} {lower}" fill="{_BAND}" fill-opacity="0.15"/>'
        )
    if baseline is not None and math.isfinite(baseline):
        mirrored = [baseline, -baseline] if low < -abs(baseline) < high and baseline else [baseline]
        for level in mirrored:
            parts.append(
                f'<line class="baseline" x1="{_LEFT}" x2="{_RIGHT}" y1="{y(level):.1f}"'
                f' y2="{y(level):.1f}" stroke="{_BASELINE}" stroke-dasharray="5,4">'
                f"<title>baseline {baseline:.6g}</title></line>"
            )
    segment: list[str] = []
    for index, value in enumerate([*(p.value for p in points), None]):
        if value is None:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{_LINE}"'
                    ' stroke-width="1.5"/>'
                )
            segment = []
            continue
        segment.append(f"{x(index):.1f},{y(value):.1f}")
    for index, point in enumerate(points):
        if point.value is None:
            continue
        kind = "violation" if point.violated else "point"
        colour = _VIOLATION if point.violated else _LINE
        shown = (
            "∞"
            if point.value == math.inf
            else "-∞"
            if point.value == -math.inf
            else (f"{point.value:.6g}")
        )
        label = f"{point.time.isoformat()}: {shown}" + (" (violation)" if point.violated else "")
        mark = (
            f'<circle class="{kind}" cx="{x(index):.1f}" cy="{y(point.value):.1f}"'
            f' r="{5 if point.violated else 3.5}" fill="{colour}"'
            + (
                f' stroke="{_VIOLATION}" stroke-width="2" fill-opacity="0.6"'
                if point.violated
                else ""
            )
            + f"><title>{escape(label)}</title></circle>"
        )
        if point.link:
            mark = f'<a href="{escape(point.link)}">{mark}</a>'
        parts.append(mark)
        if math.isinf(point.value):
            parts.append(
                f'<text x="{x(index) + 6:.1f}" y="{y(point.value) + 4:.1f}" fill="{colour}">'
                f"{shown}</text>"
            )
    if points:
        ends = {0: "start", count - 1: "end"} if count > 1 else {0: "middle"}
        for index, anchor in ends.items():
            parts.append(
                f'<text x="{x(index):.1f}" y="{_BOTTOM + 18}" text-anchor="{anchor}"'
                f' fill="{_TEXT}">{points[index].time.strftime("%Y-%m-%d %H:%M")}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
