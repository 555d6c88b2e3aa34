"""Reports for people: ``report.html`` for one analysis, and SVG trend charts over time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.report.html import Comparison, MetricKey, render_report
    from biaswatch.report.trend import TrendPoint, legend, trend_chart

__all__ = ["Comparison", "MetricKey", "TrendPoint", "legend", "render_report", "trend_chart"]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
