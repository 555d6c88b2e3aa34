"""Constraints for hourly windows: the baseline's values widened to an hour's sampling noise.

SageMaker flags a metric when ``abs(current) > abs(baseline)``, with no tolerance. An hour of
traffic is a small sample: drawn from the same people as the baseline and scored by the same
model, its metrics come out above the baseline's about half of the time, so the suggested
constraints alone flag hours where nothing changed. SageMaker's users tune the constraints by
editing the baseline's ``analysis.json`` and passing the edited file as ``constraints=``; the
demo does the same, by computation instead of by hand:

* :func:`hourly_noise_limits`: for each monitored metric, the ``quantile`` of ``|metric|``
  over ``resamples`` bootstrap samples of the reference data of one hour's size, and at least
  the baseline's ``|value|``. A bootstrap sample of rows is a multinomial draw of the reference's
  count cells, so each resample is a count tensor and the metric kernels run on it directly.
* :func:`widen_constraints`: a copy of the baseline document with those limits as the values.

The rule itself stays SageMaker's; only the numbers it compares against change.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from biaswatch.errors import ConfigError
from biaswatch.metrics import REGISTRY, CountTensor, FacetCounts, MetricCode

__all__ = ["QUANTILE", "RESAMPLES", "hourly_noise_limits", "widen_constraints"]

BoolArray = npt.NDArray[np.bool_]
RESAMPLES = 4000
QUANTILE = 0.999
_POST_TRAINING = "post_training_bias_metrics"


def hourly_noise_limits(
    *,
    sensitive: BoolArray,
    labels: BoolArray,
    predicted: BoolArray,
    baseline: Mapping[MetricCode, float],
    metrics: Sequence[MetricCode],
    window: int,
    resamples: int = RESAMPLES,
    quantile: float = QUANTILE,
    seed: int = 0,
) -> dict[MetricCode, float]:
    """The largest ``|value|`` each metric reaches on an hour of unchanged traffic.

    Parameters
    ----------
    sensitive, labels, predicted : boolean arrays
        The reference rows: facet *d*, label positive, prediction positive.
    baseline : mapping
        The baseline's value of each metric (the limit is never below its absolute value).
    metrics : sequence of MetricCode
        The count-based metrics to compute limits for.
    window : int
        Rows in an hourly window.
    resamples : int, default 4000
        Bootstrap samples drawn.
    quantile : float, default 0.999
        The quantile of the resampled ``|value|`` taken as the limit.
    seed : int, default 0
        The seed of the draws.

    Raises
    ------
    ConfigError
        If a metric needs the feature rows (FT) or the arguments are out of range.

    Examples
    --------
    >>> sensitive = np.arange(1000) % 3 == 0
    >>> labels = np.arange(1000) % 4 == 0
    >>> predicted = labels | (np.arange(1000) % 7 == 0)
    >>> limits = hourly_noise_limits(sensitive=sensitive, labels=labels, predicted=predicted,
    ...     baseline={MetricCode.DPPL: 0.01}, metrics=[MetricCode.DPPL], window=200)
    >>> 0.01 < limits[MetricCode.DPPL] < 0.5
    True
    """
    for code in metrics:
        if REGISTRY[code].kernel is None:
            raise ConfigError(
                f"{code.value} needs the feature rows; hourly limits are for count metrics",
                field="metrics",
                value=code.value,
            )
    if window <= 0 or resamples <= 0 or not 0.0 < quantile <= 1.0:
        raise ConfigError(
            f"window and resamples must be positive and quantile in (0, 1], got {window},"
            f" {resamples}, {quantile}",
            field="quantile",
            value=quantile,
        )
    tensor = CountTensor.from_codes(
        group=None,
        facet=sensitive.astype(np.intp),
        label=labels,
        predicted=predicted,
        n_groups=1,
        n_facet_values=2,
    )
    cells = tensor.facet([1]).cells
    probabilities = cells.ravel() / cells.sum()
    draws = np.random.default_rng(seed).multinomial(window, probabilities, size=resamples)
    values: dict[MetricCode, list[float]] = {code: [] for code in metrics}
    for draw in draws:
        counts = FacetCounts(draw.reshape(cells.shape).astype(np.int64))
        for code in metrics:
            kernel = REGISTRY[code].kernel
            assert kernel is not None
            value = kernel(counts).value
            if value is not None:
                values[code].append(abs(value))
    limits = {}
    for code in metrics:
        noise = float(np.quantile(values[code], quantile)) if values[code] else 0.0
        limits[code] = max(abs(baseline.get(code, 0.0)), noise)
    return limits


def widen_constraints(
    baseline: dict[str, Any], *, facet: str, limits: Mapping[MetricCode, float]
) -> dict[str, Any]:
    """A copy of the baseline ``analysis.json`` with ``limits`` as the post-training values.

    Each limit keeps the sign of the baseline's value (the rule compares absolute values).

    Raises
    ------
    ConfigError
        If the document has no post-training entry for ``facet``.

    Examples
    --------
    >>> doc = {"post_training_bias_metrics": {"facets": {"sex": [{"value_or_threshold": "0",
    ...        "metrics": [{"name": "DAR", "value": -0.16}, {"name": "DI", "value": 0.3}]}]}}}
    >>> widened = widen_constraints(doc, facet="sex", limits={MetricCode.DAR: 0.4})
    >>> widened["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    [{'name': 'DAR', 'value': -0.4}, {'name': 'DI', 'value': 0.3}]
    """
    widened = copy.deepcopy(baseline)
    entries = (widened.get(_POST_TRAINING) or {}).get("facets", {}).get(facet)
    if not entries:
        raise ConfigError(
            f"the baseline has no post-training metrics for the facet {facet!r}",
            field="facet",
            value=facet,
        )
    names = {code.value: limit for code, limit in limits.items()}
    for entry in entries:
        for metric in entry.get("metrics", []):
            limit = names.get(metric.get("name"))
            value = metric.get("value")
            if limit is not None and isinstance(value, int | float):
                metric["value"] = math.copysign(limit, value)
    return widened
