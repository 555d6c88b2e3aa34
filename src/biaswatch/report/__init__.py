"""Reports for people: one analysis rendered as a self-contained ``report.html``."""

from __future__ import annotations

from biaswatch.report.html import render_report

__all__ = ["render_report"]
