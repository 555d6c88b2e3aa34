"""Live bias: DPPL, DI and facet shares from the capture's live counts, minutes after traffic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.live.metrics import (
        DEFAULT_WINDOWS,
        LiveMetric,
        LiveWindow,
        MinuteCounts,
        analyse_window,
        live_metrics,
        live_windows,
        read_live_counts,
    )

__all__ = [
    "DEFAULT_WINDOWS",
    "LiveMetric",
    "LiveWindow",
    "MinuteCounts",
    "analyse_window",
    "live_metrics",
    "live_windows",
    "read_live_counts",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
