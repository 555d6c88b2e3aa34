"""Confidence intervals for count-based metrics, by bootstrap over the count tensor.

A bootstrap sample of the rows is a multinomial draw of the count cells with the observed
cell frequencies, so resampling costs O(resamples × cells) and never touches the rows again.
Each resample's metric is computed by the same kernel; the interval is the percentile
interval of the defined values (``±inf`` included, as order statistics).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from biaswatch.metrics.counts import FacetCounts
from biaswatch.metrics.registry import CountKernel, MetricCode

__all__ = ["DEFAULT_LEVEL", "DEFAULT_RESAMPLES", "Interval", "bootstrap_intervals"]

DEFAULT_LEVEL = 0.95
DEFAULT_RESAMPLES = 1000


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval, and the share of resamples in which the metric was defined."""

    lower: float
    upper: float
    defined: float


def bootstrap_intervals(
    counts: FacetCounts,
    kernels: Mapping[MetricCode, CountKernel],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
) -> dict[MetricCode, Interval | None]:
    """Percentile bootstrap intervals of each kernel's metric over ``counts``.

    None for a metric that is undefined in every resample.

    Examples
    --------
    >>> import numpy as np
    >>> from biaswatch.metrics import REGISTRY, CountTensor, MetricCode
    >>> rng = np.random.default_rng(1)
    >>> facet, label = rng.integers(0, 2, 4000), rng.random(4000) < 0.5
    >>> predicted = rng.random(4000) < np.where(facet == 1, 0.3, 0.5)
    >>> tensor = CountTensor.from_codes(group=None, facet=facet, label=label,
    ...     predicted=predicted, n_groups=1, n_facet_values=2)
    >>> dppl = REGISTRY[MetricCode.DPPL].kernel
    >>> found = bootstrap_intervals(tensor.facet([1]), {MetricCode.DPPL: dppl}, resamples=400)
    >>> interval = found[MetricCode.DPPL]
    >>> interval.lower < 0.2 < interval.upper, round(interval.defined, 2)
    (True, 1.0)
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if resamples < 2:
        raise ValueError(f"resamples must be at least 2, got {resamples}")
    shape = counts.cells.shape
    flat = counts.cells.reshape(-1)
    total = int(flat.sum())
    values: dict[MetricCode, list[float]] = {code: [] for code in kernels}
    if total > 0:
        draws = np.random.default_rng(seed).multinomial(total, flat / total, size=resamples)
        for draw in draws:
            resampled = FacetCounts(
                draw.reshape(shape).astype(np.int64), counts.grouped, counts.missing_group
            )
            for code, kernel in kernels.items():
                value = kernel(resampled).value
                if value is not None and not math.isnan(value):
                    values[code].append(float(value))
    intervals: dict[MetricCode, Interval | None] = {}
    for code, found in values.items():
        if not found:
            intervals[code] = None
            continue
        ordered = np.sort(np.asarray(found))
        last = len(ordered) - 1
        low = ordered[math.floor((1 - level) / 2 * last)]
        high = ordered[math.ceil((1 + level) / 2 * last)]
        intervals[code] = Interval(float(low), float(high), len(found) / resamples)
    return intervals
