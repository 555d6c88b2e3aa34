"""A dependency-free SVG horizontal bar chart: one labelled bar per value, around a zero axis.

The chart is plain SVG with presentation attributes (no CSS classes that need a stylesheet,
no scripts, no fonts to fetch), so it renders the same inline in HTML or saved on its own.
Infinite values are drawn clipped to the end of the axis with an "∞" marker; undefined values
get a grey "n/a" label instead of a bar, because a bar of length zero would read as a value of 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TypeGuard

__all__ = ["Bar", "horizontal_bar_chart"]

_WIDTH = 560
_LABEL_RIGHT = 60  # metric codes are right-aligned against this x
_PLOT_LEFT = 84  # room left of the plot for a "∞" marker on a -Infinity bar
_PLOT_RIGHT = 520  # room right of the plot for a "∞" marker on an Infinity bar
_ROW_HEIGHT = 22
_BAR_HEIGHT = 14
_TOP = 8
_INFINITY_HEADROOM = 1.25
_AXIS_LABELS_HEIGHT = 20

_BAR_FILL = "#4c78a8"
_VIOLATED_FILL = "#d62728"
_INFINITE_FILL = "#1f3f66"
_MUTED = "#767676"
_AXIS = "#333333"
_GRID = "#d9d9d9"


@dataclass(frozen=True, slots=True)
class Bar:
    """One row of the chart.

    ``value`` is ``None`` when undefined. ``caption`` is the tooltip text, e.g. the formatted
    value or the reason the value is undefined. ``baseline``, when given, is marked on the row;
    a ``violated`` bar is drawn in red.
    """

    label: str
    value: float | None
    caption: str
    baseline: float | None = None
    violated: bool = False


def horizontal_bar_chart(bars: Sequence[Bar], *, title: str) -> str:
    """Render ``bars`` as a standalone ``<svg>`` element.

    The axis spans zero and the finite values (0 to 1 when they are all zero). Bars for negative
    values extend left of the zero line. An infinite value's bar runs to the end of the axis,
    which is then labelled "∞" and moved out a little so that the bar outruns every finite one.

    Parameters
    ----------
    bars
        The rows, drawn top to bottom in the given order.
    title
        The chart's accessible name (its ``<title>`` and ``aria-label``).

    Returns
    -------
    str
        An ``<svg>`` element that parses as XML; all text is escaped.

    Examples
    --------
    >>> svg = horizontal_bar_chart([Bar("DPPL", -0.25, "-0.25")], title="sex = F")
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    True
    """
    low, high = _axis_range(bars)
    height = _TOP + _ROW_HEIGHT * len(bars) + _AXIS_LABELS_HEIGHT
    plot_bottom = _TOP + _ROW_HEIGHT * len(bars)

    def x_of(value: float) -> float:
        return _PLOT_LEFT + (value - low) / (high - low) * (_PLOT_RIGHT - _PLOT_LEFT)

    zero = x_of(0.0)
    name = escape(title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" role="img" aria-label="{name}" '
        'font-family="system-ui, sans-serif" font-size="11">',
        f"<title>{name}</title>",
        _line(_PLOT_LEFT, _PLOT_LEFT, _TOP, plot_bottom, _GRID),
        _line(_PLOT_RIGHT, _PLOT_RIGHT, _TOP, plot_bottom, _GRID),
    ]
    for row, bar in enumerate(bars):
        top = _TOP + row * _ROW_HEIGHT
        middle = top + _ROW_HEIGHT / 2
        parts.append(_text(_LABEL_RIGHT, middle, bar.label, anchor="end", fill=_AXIS))
        parts.append(_bar_row(bar, zero=zero, top=top, middle=middle, x_of=x_of))
        if _is_number(bar.baseline) and math.isfinite(bar.baseline):
            mark = x_of(bar.baseline)
            parts.append(
                f'<line class="baseline-mark" x1="{mark:.1f}" x2="{mark:.1f}" y1="{top + 1:.1f}"'
                f' y2="{top + _ROW_HEIGHT - 1:.1f}" stroke="{_AXIS}" stroke-width="2">'
                f"<title>{escape(bar.label)} baseline: {_tick(bar.baseline)}</title></line>"
            )
    parts.append(_line(zero, zero, _TOP - 2, plot_bottom + 2, _AXIS))
    labels_y = plot_bottom + _AXIS_LABELS_HEIGHT / 2 + 2
    infinite = {bar.value for bar in bars if bar.value is not None and math.isinf(bar.value)}
    low_tick = "-∞" if -math.inf in infinite else _tick(low)
    high_tick = "∞" if math.inf in infinite else _tick(high)
    parts.append(_text(_PLOT_LEFT, labels_y, low_tick, anchor="start", fill=_MUTED))
    # Label the zero line only where it cannot run into the labels at the axis ends.
    if _PLOT_LEFT + 24 < zero < _PLOT_RIGHT - 24:
        parts.append(_text(zero, labels_y, "0", anchor="middle", fill=_MUTED))
    parts.append(_text(_PLOT_RIGHT, labels_y, high_tick, anchor="end", fill=_MUTED))
    parts.append("</svg>")
    return "\n".join(parts)


def _axis_range(bars: Sequence[Bar]) -> tuple[float, float]:
    values = [bar.value for bar in bars if _is_number(bar.value)]
    values += [b.baseline for b in bars if _is_number(b.baseline) and math.isfinite(b.baseline)]
    finite = [v for v in values if math.isfinite(v)]
    extent = max((abs(v) for v in finite), default=0.0) or 1.0
    low = min([0.0, *finite])
    high = max([0.0, *finite])
    # An infinite bar runs to the end of the axis; leave headroom on its side so that it stays
    # longer than every finite bar, even when all the finite values lie on the other side.
    if -math.inf in values:
        low = min(low, -extent) * _INFINITY_HEADROOM
    if math.inf in values:
        high = max(high, extent) * _INFINITY_HEADROOM
    if low == high:
        high = 1.0
    return low, high


def _is_number(value: float | None) -> TypeGuard[float]:
    return value is not None and not math.isnan(value)


def _bar_row(
    bar: Bar, *, zero: float, top: float, middle: float, x_of: Callable[[float], float]
) -> str:
    if not _is_number(bar.value):
        return (
            f'<text class="undefined" data-metric="{escape(bar.label)}" x="{zero + 4:.1f}" '
            f'y="{middle:.1f}" dominant-baseline="middle" fill="{_MUTED}">'
            f"<title>{escape(bar.label)}: {escape(bar.caption)}</title>n/a</text>"
        )
    if math.isinf(bar.value):
        end = _PLOT_RIGHT if bar.value > 0 else _PLOT_LEFT
        marker_x, anchor = (end + 4, "start") if bar.value > 0 else (end - 4, "end")
        return "\n".join(
            (
                _rect(bar, zero, end, top, _VIOLATED_FILL if bar.violated else _INFINITE_FILL),
                f'<text class="infinity" x="{marker_x:.1f}" y="{middle:.1f}" '
                f'text-anchor="{anchor}" dominant-baseline="middle" fill="{_AXIS}">∞</text>',
            )
        )
    return _rect(bar, zero, x_of(bar.value), top, _VIOLATED_FILL if bar.violated else _BAR_FILL)


def _rect(bar: Bar, start: float, end: float, top: float, fill: str) -> str:
    left, width = min(start, end), abs(end - start)
    return (
        f'<rect class="bar" data-metric="{escape(bar.label)}" x="{left:.1f}" '
        f'y="{top + (_ROW_HEIGHT - _BAR_HEIGHT) / 2:.1f}" width="{width:.1f}" '
        f'height="{_BAR_HEIGHT}" fill="{fill}"><title>{escape(bar.label)}: '
        f"{escape(bar.caption)}</title></rect>"
    )


def _line(x1: float, x2: float, y1: float, y2: float, stroke: str) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{stroke}" stroke-width="1"/>'
    )


def _text(x: float, y: float, content: str, *, anchor: str, fill: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" dominant-baseline="middle" '
        f'fill="{fill}">{escape(content)}</text>'
    )


def _tick(value: float) -> str:
    return f"{value:.3g}"
