"""The trend chart: a UTC time axis with hour ticks, hover text on every point, the constraint."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from biaswatch.report import TrendPoint, legend, trend_chart

T = datetime(2026, 11, 25, 0, tzinfo=UTC)


def _hours(values: list[float | None], violated: frozenset[int] = frozenset()) -> list[TrendPoint]:
    return [
        TrendPoint(T + timedelta(hours=h), v, h in violated, link=f"/executions/{h}")
        for h, v in enumerate(values)
    ]


def test_a_day_gets_three_hourly_ticks_and_a_labelled_utc_axis() -> None:
    svg = trend_chart(_hours([0.1] * 24), constraint=0.2, title="DPPL")
    ticks = re.findall(r'<line class="tick" x1="([\d.]+)"', svg)
    labels = re.findall(r'text-anchor="middle" fill="#333333">(\d\d:\d\d)</text>', svg)
    assert labels == ["00:00", "03:00", "06:00", "09:00", "12:00", "15:00", "18:00", "21:00"]
    assert len(ticks) == len(labels)
    assert ">2026-11-25</text>" in svg  # the day, under its first tick
    assert "scheduled time (UTC)" in svg


def test_every_point_has_hover_text_and_violations_link_to_their_execution() -> None:
    svg = trend_chart(
        _hours([0.1, -0.3, math.inf, None], frozenset({1})), constraint=0.2, title="RD"
    )
    titles = re.findall(r"<circle[^>]*><title>([^<]*)</title>", svg)
    assert titles == ["11-25 00:00 · 0.1", "11-25 02:00 · ∞", "11-25 01:00 · −0.3 · violation"]
    assert svg.count("<a href=") == 1
    assert '<a href="/executions/1"><circle class="violation"' in svg
    assert svg.count("<circle") == 3  # the undefined value is a gap


def test_points_sit_at_their_time_so_missing_hours_show() -> None:
    points = [TrendPoint(T, 0.1), TrendPoint(T + timedelta(hours=1), 0.1)]
    points.append(TrendPoint(T + timedelta(hours=10), 0.1))
    svg = trend_chart(points, constraint=None, title="DI")
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert xs[1] - xs[0] < (xs[2] - xs[1]) / 5


def test_the_constraint_is_mirrored_and_the_ideal_drawn() -> None:
    svg = trend_chart(_hours([-0.5, 0.1, 0.4]), constraint=-0.3, title="DAR")
    assert svg.count('class="constraint"') == 2
    assert "<title>constraint −0.3</title>" in svg
    assert 'class="ideal"' in svg
    di = trend_chart(_hours([0.8, 0.9]), constraint=0.7, title="DI", ideal=1.0)
    assert "<title>ideal 1</title>" in di
    assert di.count('class="constraint"') == 1  # −0.7 is far outside the values: not drawn


def test_a_fixed_axis_and_a_long_range_get_day_ticks() -> None:
    svg = trend_chart(
        _hours([0.1, 0.2]), constraint=0.3, title="DPPL", start=T - timedelta(days=6), end=T
    )
    labels = re.findall(r'text-anchor="middle" fill="#333333">(\d\d-\d\d)</text>', svg)
    assert labels == ["11-19", "11-20", "11-21", "11-22", "11-23", "11-24", "11-25"]


def test_the_legend_names_each_mark() -> None:
    key = legend()
    for text in ("value", "violation", "constraint", "ideal", "confidence interval"):
        assert text in key


def test_dates_at_the_edges_stay_inside_the_chart() -> None:
    svg = trend_chart(_hours([0.1] * 25), constraint=0.2, title="DPPL")
    assert 'text-anchor="start" fill="#333333">2026-11-25</text>' in svg
    assert 'text-anchor="end" fill="#333333">2026-11-26</text>' in svg
