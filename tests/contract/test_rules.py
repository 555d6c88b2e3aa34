"""The opt-in violation rules: what each flags, and how often they alert when nothing drifted."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from benchmarks.rules import alert_rates, document, window

from biaswatch.config.rules import ViolationRules
from biaswatch.constraints import check_bias_drift
from biaswatch.errors import ConfigError


def with_ci(table: pa.Table) -> dict[str, Any]:
    return document(table, level=0.99)


def test_without_drift_significant_alerts_rarely_and_sagemaker_often() -> None:
    rates = alert_rates(200)
    assert rates["significant"] <= 0.05
    assert rates["sagemaker"] >= 0.5


def test_significant_still_alerts_on_real_drift() -> None:
    rng = np.random.default_rng(12)
    baseline = document(window(rng, 20_000))
    current = with_ci(window(rng, 1_000, rate_d=0.05))
    flagged = {
        v.metric_name
        for v in check_bias_drift(current, baseline, ViolationRules(rule="significant"))
    }
    assert {"DPPL", "RD"} <= flagged


def test_ideal_flags_di_drifting_from_one_that_sagemaker_misses() -> None:
    rng = np.random.default_rng(13)
    baseline = document(window(rng, 20_000, rate_d=0.44))  # DI close to 1
    current = document(window(rng, 5_000, rate_d=0.10))  # DI falls toward 0
    sagemaker = {v.metric_name for v in check_bias_drift(current, baseline)}
    ideal = {
        v.metric_name for v in check_bias_drift(current, baseline, ViolationRules(rule="ideal"))
    }
    assert "DI" not in sagemaker
    assert "DI" in ideal


def test_tolerances_and_minimum_facet_size() -> None:
    rng = np.random.default_rng(14)
    baseline = document(window(rng, 20_000))
    current = document(window(rng, 1_000, rate_d=0.15))
    assert check_bias_drift(current, baseline)
    loose = ViolationRules(tolerances={"DPPL": 1.0, "RD": 1.0, "DAR": 1.0, "DI": 1.0})
    assert check_bias_drift(current, baseline, loose) == []
    sizes = {("post_training_bias_metrics", "sex", 0): 350}
    small = ViolationRules(min_facet_size=500)
    assert check_bias_drift(current, baseline, small, facet_sizes=sizes) == []
    assert check_bias_drift(
        current, baseline, ViolationRules(min_facet_size=100), facet_sizes=sizes
    )


def test_significant_without_intervals_is_a_config_error() -> None:
    rng = np.random.default_rng(15)
    baseline = document(window(rng, 2_000))
    with pytest.raises(ConfigError, match="needs confidence intervals"):
        check_bias_drift(document(window(rng, 500)), baseline, ViolationRules(rule="significant"))
