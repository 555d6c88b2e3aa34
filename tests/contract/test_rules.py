"""The opt-in violation rules: what each flags, and how often they alert when nothing drifted."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from biaswatch.analysis import IntervalOptions, analysis_document, analyze, dataset_from_table
from biaswatch.analysis import with_intervals as add_intervals
from biaswatch.config import config_from_dict
from biaswatch.config.rules import ViolationRules
from biaswatch.constraints import check_bias_drift
from biaswatch.errors import ConfigError

CONFIG = config_from_dict(
    {
        "label": "label",
        "predicted_label": "prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "methods": {"post_training_bias": {"methods": ["DI", "DPPL", "RD", "DAR"]}},
    }
)


def window(rng: np.random.Generator, n: int, *, rate_d: float = 0.30) -> pa.Table:
    """An hour of traffic: women (sex = 0) predicted positive at ``rate_d``, men at 0.45."""
    sex = (rng.random(n) < 0.65).astype(np.int64)
    label = (rng.random(n) < 0.4).astype(np.int64)
    prediction = (rng.random(n) < np.where(sex == 0, rate_d, 0.45)).astype(np.int64)
    return pa.table({"sex": sex, "label": label, "prediction": prediction})


def document(table: pa.Table, *, intervals: bool = False) -> dict[str, Any]:
    result = analyze(dataset_from_table(table, CONFIG), CONFIG, strict=False)
    if intervals:
        # 99 %: four correlated metrics are tested in each window (a Bonferroni-style level).
        result = add_intervals(result, IntervalOptions(0.99, 400))
    return analysis_document(result)


def alert_rates(windows: int = 200) -> dict[str, float]:
    """Share of unchanged hourly windows that alert, by rule (same population as the baseline)."""
    rng = np.random.default_rng(11)
    baseline = document(window(rng, 20_000))
    alerts = {"sagemaker": 0, "significant": 0}
    for _ in range(windows):
        current = document(window(rng, 1_000), intervals=True)
        for rule in alerts:
            alerts[rule] += bool(check_bias_drift(current, baseline, ViolationRules(rule=rule)))
    return {rule: count / windows for rule, count in alerts.items()}


def test_without_drift_significant_alerts_rarely_and_sagemaker_often() -> None:
    rates = alert_rates()
    print(f"no-drift alert rates over 200 hourly windows: {rates}")
    assert rates["significant"] <= 0.05
    assert rates["sagemaker"] >= 0.5


def test_significant_still_alerts_on_real_drift() -> None:
    rng = np.random.default_rng(12)
    baseline = document(window(rng, 20_000))
    current = document(window(rng, 1_000, rate_d=0.05), intervals=True)
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
