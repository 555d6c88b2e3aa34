"""Reports for people: ``report.html`` for one analysis, and SVG trend charts over time."""

from __future__ import annotations

from biaswatch.report.html import Comparison, MetricKey, render_report
from biaswatch.report.trend import TrendPoint, legend, trend_chart

__all__ = ["Comparison", "MetricKey", "TrendPoint", "legend", "render_report", "trend_chart"]
