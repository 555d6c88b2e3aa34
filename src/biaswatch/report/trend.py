"""A dependency-free SVG trend chart: one metric's value per scheduled time, against its constraint.

Points sit at their scheduled time on a UTC time axis with hour (or day) ticks, joined by a line
where consecutive values are defined. The constraint (the value the violation rule compares
with) is a dashed horizontal line; with SageMaker's rule, ``abs(value) > abs(constraint)`` is a
violation, so the mirrored line is drawn too when the values go negative. The ideal value (0, or
1 for DI) is a faint solid line. Violations are red points ringed in red; an optional band (a
confidence interval per point) is a shaded area. Infinite values sit at the top or bottom edge
with an "∞" label; undefined values are gaps. Every point carries its hover text (an SVG
``<title>``: time, value, constraint, verdict), so no script is needed. Plain points are in
a ``g.points`` group, violations (``circle.violation``, linked to their execution) in
``g.violations``; the other elements carry a class (``constraint``, ``ideal``, ``band``,
``tick``) so that pages and tests can find them; :func:`legend` draws the key once per page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from biaswatch.metrics import readable

__all__ = ["TrendPoint", "legend", "trend_chart"]

_WIDTH, _HEIGHT = 640, 214
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 624, 10, 166
_LINE = "#4c78a8"
_VIOLATION = "#d62728"
_CONSTRAINT = "#555555"
_IDEAL = "#9db89d"
_BAND = "#4c78a8"
_GRID = "#e3e3e3"
_TEXT = "#333333"
_STEPS_HOURS = (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720, 1440)
_MAX_TICKS = 8


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


def _range(
    points: Sequence[TrendPoint], constraint: float | None, ideal: float
) -> tuple[float, float]:
    values = _finite([p.value for p in points])
    values += _finite([b for p in points if p.band for b in p.band])
    values.append(ideal)
    if constraint is not None and math.isfinite(constraint):
        values.append(constraint)
        if any(v < 0 for v in values):
            values.append(-constraint)
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1.0, high + 1.0
    pad = (high - low) * 0.08
    return low - pad, high + pad


def _ticks(start: datetime, end: datetime) -> tuple[list[datetime], int]:
    """Tick times on whole hours (or days) between ``start`` and ``end``, and the step in hours."""
    span = max((end - start).total_seconds() / 3600, 1.0)
    step = next((s for s in _STEPS_HOURS if span / s <= _MAX_TICKS), _STEPS_HOURS[-1])
    first = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if step >= 24:
        first = first.replace(hour=0)
        while first < start:
            first += timedelta(days=1)
    while first < start or first.hour % min(step, 24):
        first += timedelta(hours=1)
    ticks, moment = [], first
    while moment <= end:
        ticks.append(moment)
        moment += timedelta(hours=step)
    return ticks, step


def trend_chart(
    points: Sequence[TrendPoint],
    *,
    constraint: float | None,
    title: str,
    ideal: float = 0.0,
    start: datetime | None = None,
    end: datetime | None = None,
) -> str:
    """Render the trend as a standalone ``<svg>`` element, time running left to right.

    ``start`` and ``end`` fix the time axis (a page's range); by default it spans the points.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> hours = [(1, 0.1, False), (2, None, False), (3, 0.3, True)]
    >>> svg = trend_chart([TrendPoint(datetime(2026, 1, 1, h, tzinfo=UTC), v, bad)
    ...                    for h, v, bad in hours], constraint=0.2, title="DPPL")
    >>> svg.count("<circle"), svg.count('class="violation"'), 'class="constraint"' in svg
    (2, 1, True)
    """
    low, high = _range(points, constraint, ideal)
    first = start or (points[0].time if points else datetime.now(UTC))
    last = end or (points[-1].time if points else first)
    seconds = (last - first).total_seconds()

    def x(moment: datetime) -> float:
        if seconds <= 0:
            return (_LEFT + _RIGHT) / 2
        return _LEFT + (_RIGHT - _LEFT) * (moment - first).total_seconds() / seconds

    def y(value: float) -> float:
        if math.isinf(value):
            return float(_TOP if value > 0 else _BOTTOM)
        return _BOTTOM - (_BOTTOM - _TOP) * (value - low) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{_WIDTH}"'
        f' height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img"'
        f' aria-label="{escape(title)}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        # Classes, not attributes per point: a week of hourly points stays small.
        f"<style>.points{{fill:{_LINE}}}.violations{{fill:{_VIOLATION}}}"
        f".violation{{stroke:{_VIOLATION};stroke-width:2;fill-opacity:.6}}</style>",
    ]
    for tick in (low, (low + high) / 2, high):
        parts.append(
            f'<line x1="{_LEFT}" x2="{_RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"'
            f' stroke="{_GRID}"/>'
            f'<text x="{_LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{_TEXT}">'
            f"{readable(tick)}</text>"
        )
    parts.append(_time_axis(first, last, x))
    if low < ideal < high:
        parts.append(
            f'<line class="ideal" x1="{_LEFT}" x2="{_RIGHT}" y1="{y(ideal):.1f}"'
            f' y2="{y(ideal):.1f}" stroke="{_IDEAL}"><title>ideal {readable(ideal)}</title></line>'
        )
    banded = [(p.time, p.band) for p in points if p.band is not None]
    if banded:
        upper = " ".join(f"{x(t):.1f},{y(b[1]):.1f}" for t, b in banded)
        lower = " ".join(f"{x(t):.1f},{y(b[0]):.1f}" for t, b in reversed(banded))
        parts.append(
            f'<polygon class="band" points="{upper} {lower}" fill="{_BAND}" fill-opacity="0.15"/>'
        )
    if constraint is not None and math.isfinite(constraint):
        mirrored = [constraint]
        if constraint and low < -constraint < high:
            mirrored.append(-constraint)
        for level in mirrored:
            parts.append(
                f'<line class="constraint" x1="{_LEFT}" x2="{_RIGHT}" y1="{y(level):.1f}"'
                f' y2="{y(level):.1f}" stroke="{_CONSTRAINT}" stroke-dasharray="5,4">'
                f"<title>constraint {readable(constraint)}</title></line>"
            )
    segment: list[str] = []
    for point in [*points, None]:
        if point is None or point.value is None:
            if len(segment) > 1:
                parts.append(
                    f'<polyline points="{" ".join(segment)}" fill="none" stroke="{_LINE}"'
                    ' stroke-width="1.5"/>'
                )
            segment = []
            continue
        segment.append(f"{x(point.time):.0f},{y(point.value):.0f}")
    # Plain points in one group, violations (linked to their execution) in another: a week of
    # hourly points stays small without a class on each.
    for kind in ("points", "violations"):
        marks = [
            _mark(p, x(p.time), y(p.value))
            for p in points
            if p.value is not None and p.violated == (kind == "violations")
        ]
        if marks:
            parts.append(f'<g class="{kind}">{"".join(marks)}</g>')
    parts.append("</svg>")
    return "".join(parts)


def _mark(point: TrendPoint, cx: float, cy: float) -> str:
    """A point with its hover text (a violation: ringed, linked to its execution)."""
    assert point.value is not None
    shown = readable(point.value)
    hover = f"{point.time.astimezone(UTC):%m-%d %H:%M} · {shown}"
    if point.violated:
        hover += " · violation"
        mark = f'<circle class="violation" cx="{cx:.0f}" cy="{cy:.0f}" r="5">'
    else:
        mark = f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="3">'
    mark += f"<title>{hover}</title></circle>"
    if math.isinf(point.value):
        mark += f'<text x="{cx + 6:.0f}" y="{cy + 4:.0f}">{shown}</text>'
    if point.link and point.violated:
        mark = f'<a href="{escape(point.link)}">{mark}</a>'
    return mark


def _time_axis(first: datetime, last: datetime, x: Callable[[datetime], float]) -> str:
    """Hour (or day) ticks with their labels, and the axis title."""
    ticks, step = _ticks(first, last) if last > first else ([first], 1)
    parts = [f'<line x1="{_LEFT}" x2="{_RIGHT}" y1="{_BOTTOM}" y2="{_BOTTOM}" stroke="{_TEXT}"/>']
    day = None
    for tick in ticks:
        at = x(tick)
        moment = tick.astimezone(UTC)
        label = f"{moment:%H:%M}" if step < 24 else f"{moment:%m-%d}"
        parts.append(
            f'<line class="tick" x1="{at:.1f}" x2="{at:.1f}" y1="{_BOTTOM}" y2="{_BOTTOM + 4}"'
            f' stroke="{_TEXT}"/><text x="{at:.1f}" y="{_BOTTOM + 15}" text-anchor="middle"'
            f' fill="{_TEXT}">{label}</text>'
        )
        if step < 24 and moment.date() != day:
            day = moment.date()
            # A date near either edge is anchored inside the chart, so it is never cut.
            anchor = "start" if at < _LEFT + 30 else "end" if at > _RIGHT - 30 else "middle"
            parts.append(
                f'<text x="{at:.1f}" y="{_BOTTOM + 27}" text-anchor="{anchor}"'
                f' fill="{_TEXT}">{moment:%Y-%m-%d}</text>'
            )
    parts.append(
        f'<text x="{_RIGHT}" y="{_HEIGHT - 4}" text-anchor="end" fill="{_TEXT}">'
        "scheduled time (UTC)</text>"
    )
    return "".join(parts)


def legend() -> str:
    """The charts' key, as a small inline SVG: value, violation, constraint, ideal, interval."""
    items = (
        f'<line x1="0" x2="18" y1="8" y2="8" stroke="{_LINE}" stroke-width="1.5"/>'
        f'<circle cx="9" cy="8" r="3" fill="{_LINE}"/>',
        "value (one point per execution; hover for details)",
        f'<circle cx="9" cy="8" r="5" fill="{_VIOLATION}" stroke="{_VIOLATION}" stroke-width="2"'
        ' fill-opacity="0.6"/>',
        "violation",
        f'<line x1="0" x2="18" y1="8" y2="8" stroke="{_CONSTRAINT}" stroke-dasharray="5,4"/>',
        "constraint (what the rule compares with; mirrored below 0)",
        f'<line x1="0" x2="18" y1="8" y2="8" stroke="{_IDEAL}"/>',
        "ideal (no bias)",
        f'<rect x="0" y="3" width="18" height="10" fill="{_BAND}" fill-opacity="0.15"/>',
        "confidence interval",
    )
    parts = []
    offset = 0
    for symbol, text in zip(items[::2], items[1::2], strict=True):
        parts.append(
            f'<g transform="translate({offset},0)">{symbol}'
            f'<text x="24" y="12" fill="{_TEXT}">{escape(text)}</text></g>'
        )
        offset += 30 + 6 * len(text)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="legend" width="{offset}" height="16"'
        f' font-family="sans-serif" font-size="11" role="img" aria-label="legend">'
        f"{''.join(parts)}</svg>"
    )
