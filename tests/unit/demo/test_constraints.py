"""Hourly constraints: the baseline widened to an hour's sampling noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from biaswatch.demo.constraints import hourly_noise_limits, widen_constraints
from biaswatch.errors import ConfigError
from biaswatch.metrics import MetricCode

CODES = [MetricCode.DPPL, MetricCode.RD]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Reference:
    sensitive: Mask
    labels: Mask
    predicted: Mask

    def limits(self, codes: list[MetricCode], **options: Any) -> dict[MetricCode, float]:
        options.setdefault("baseline", {})
        return hourly_noise_limits(
            sensitive=self.sensitive,
            labels=self.labels,
            predicted=self.predicted,
            metrics=codes,
            **options,
        )

    def dppl(self, rows: npt.NDArray[np.int64] | slice = slice(None)) -> float:
        sensitive, predicted = self.sensitive[rows], self.predicted[rows]
        return float(predicted[~sensitive].mean() - predicted[sensitive].mean())


@pytest.fixture(scope="module")
def reference() -> Reference:
    random = np.random.default_rng(3)
    sensitive = random.random(6000) < 0.3
    labels = random.random(6000) < np.where(sensitive, 0.1, 0.3)
    return Reference(sensitive, labels, labels ^ (random.random(6000) < 0.15))


def test_limits_cover_the_noise_of_unchanged_hours(reference: Reference) -> None:
    baseline = reference.dppl()
    limit = reference.limits(CODES, baseline={MetricCode.DPPL: baseline}, window=500, seed=1)
    random = np.random.default_rng(2)
    hours = [random.choice(6000, 500) for _ in range(200)]
    values = np.array([abs(reference.dppl(hour)) for hour in hours])
    # The suggested baseline alone is exceeded by many unchanged hours; the limit by none.
    assert np.mean(values > abs(baseline)) > 0.3
    assert values.max() <= limit[MetricCode.DPPL]


def test_smaller_windows_get_wider_limits_never_below_the_baseline(reference: Reference) -> None:
    wide = reference.limits(CODES, window=100)
    narrow = reference.limits(CODES, window=2000)
    assert all(wide[code] > narrow[code] for code in CODES)
    floor = reference.limits([MetricCode.DPPL], baseline={MetricCode.DPPL: -0.9}, window=2000)
    assert floor[MetricCode.DPPL] == 0.9


def test_the_flip_test_has_no_count_limit(reference: Reference) -> None:
    with pytest.raises(ConfigError):
        reference.limits([MetricCode.FT], window=100)


def test_widened_constraints_keep_signs_and_other_metrics() -> None:
    metrics: list[dict[str, Any]] = [
        {"name": "DI", "value": 0.3},
        {"name": "DPPL", "value": -0.2},
        {"name": "RD", "value": None, "error": "Facet set is empty"},
    ]
    entry = {"value_or_threshold": "0", "metrics": metrics}
    baseline = {"version": "1.0", "post_training_bias_metrics": {"facets": {"sex": [entry]}}}
    widened = widen_constraints(
        baseline, facet="sex", limits={MetricCode.DPPL: 0.35, MetricCode.RD: 0.5}
    )
    assert widened["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"] == [
        {"name": "DI", "value": 0.3},
        {"name": "DPPL", "value": -0.35},
        {"name": "RD", "value": None, "error": "Facet set is empty"},
    ]
    assert metrics[1]["value"] == -0.2  # the baseline is not changed
    with pytest.raises(ConfigError):
        widen_constraints(baseline, facet="race", limits={MetricCode.DPPL: 0.35})
