"""Clarify's bias metrics over a count tensor (numpy only).

Build a :class:`CountTensor` from per-row codes, take a facet entry's binary view with
:meth:`CountTensor.facet`, and apply the kernels named in :data:`REGISTRY`; only the flip test
(:func:`ft`) needs the feature rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.metrics.counts import Confusion, CountTensor, FacetCounts
    from biaswatch.metrics.fliptest import FT_UNAVAILABLE, ft, ft_available
    from biaswatch.metrics.guide import GUIDE, MetricGuide, guide_of, readable
    from biaswatch.metrics.registry import (
        REGISTRY,
        CountKernel,
        MetricCode,
        MetricSpec,
        Stage,
        metrics_of,
    )
    from biaswatch.metrics.value import MetricValue

__all__ = [
    "FT_UNAVAILABLE",
    "GUIDE",
    "REGISTRY",
    "Confusion",
    "CountKernel",
    "CountTensor",
    "FacetCounts",
    "MetricCode",
    "MetricGuide",
    "MetricSpec",
    "MetricValue",
    "Stage",
    "ft",
    "ft_available",
    "guide_of",
    "metrics_of",
    "readable",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
