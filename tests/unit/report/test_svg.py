"""Tests for biaswatch.report.svg: the horizontal bar chart."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

from biaswatch.report.svg import Bar, horizontal_bar_chart

NS = "{http://www.w3.org/2000/svg}"


def chart(*bars: Bar) -> ET.Element:
    return ET.fromstring(horizontal_bar_chart(bars, title="chart"))


def bar_extent(svg: ET.Element, label: str) -> tuple[float, float]:
    rect = next(r for r in svg.iter(f"{NS}rect") if r.get("data-metric") == label)
    left = float(rect.get("x", "nan"))
    return left, left + float(rect.get("width", "nan"))


def zero_axis(svg: ET.Element) -> float:
    # The zero line is the last line drawn, so it sits over the bars.
    line = list(svg.iter(f"{NS}line"))[-1]
    assert line.get("x1") == line.get("x2")
    return float(line.get("x1", "nan"))


def test_negative_bars_extend_left_of_zero_and_positive_bars_right() -> None:
    svg = chart(Bar("NEG", -0.5, "-0.5"), Bar("POS", 0.25, "0.25"))
    zero = zero_axis(svg)
    neg_left, neg_right = bar_extent(svg, "NEG")
    pos_left, pos_right = bar_extent(svg, "POS")
    assert neg_right == zero == pos_left
    assert neg_left < zero < pos_right
    # Lengths are proportional to the values.
    assert math.isclose(zero - neg_left, 2 * (pos_right - zero), rel_tol=1e-2)


def test_infinite_bars_reach_the_axis_ends_with_a_marker() -> None:
    svg = chart(
        Bar("UP", math.inf, "Infinity"), Bar("DOWN", -math.inf, "-Infinity"), Bar("ONE", 0.5, "0.5")
    )
    markers = [t.text for t in svg.iter(f"{NS}text") if t.get("class") == "infinity"]
    assert markers == ["∞", "∞"]
    ticks = [t.text for t in svg.iter(f"{NS}text") if t.get("class") is None]
    assert ticks[-2:] == ["0", "∞"]
    assert "-∞" in ticks
    up_left, up_right = bar_extent(svg, "UP")
    down_left, down_right = bar_extent(svg, "DOWN")
    _, one_right = bar_extent(svg, "ONE")
    assert up_right > one_right
    assert down_left < down_right == zero_axis(svg) == up_left


def test_undefined_values_get_a_grey_label_and_no_bar() -> None:
    svg = chart(Bar("FT", None, "FlipTest needs numeric columns"), Bar("NAN", math.nan, "NaN"))
    assert list(svg.iter(f"{NS}rect")) == []
    labels = [t for t in svg.iter(f"{NS}text") if t.get("class") == "undefined"]
    assert [t.get("data-metric") for t in labels] == ["FT", "NAN"]
    assert all("".join(t.itertext()).endswith("n/a") for t in labels)
    tooltip = labels[0].find(f"{NS}title")
    assert tooltip is not None
    assert tooltip.text == "FT: FlipTest needs numeric columns"


def test_all_text_is_escaped() -> None:
    svg = horizontal_bar_chart([Bar("<b>&", 1.0, '"quoted"')], title="<script>x</script>")
    assert "<script>" not in svg
    assert "<b>" not in svg
    root = ET.fromstring(svg)
    assert root.get("aria-label") == "<script>x</script>"
    assert [r.get("data-metric") for r in root.iter(f"{NS}rect")] == ["<b>&"]


def test_a_chart_of_zeros_still_has_a_scale() -> None:
    svg = chart(Bar("Z", 0.0, "0"))
    left, right = bar_extent(svg, "Z")
    assert left == right == zero_axis(svg)


def test_an_empty_chart_is_valid_svg() -> None:
    assert chart().tag == f"{NS}svg"
