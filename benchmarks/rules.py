"""How often each violation rule alerts on hourly windows where nothing drifted.

A baseline of 20,000 rows and hourly windows of 1,000 rows drawn from the same population
(women predicted positive at 30 %, men at 45 %), four post-training metrics (DI, DPPL, RD,
DAR) checked against the baseline by SageMaker's rule and by the ``significant`` rule with
99 % bootstrap intervals (99 % because four correlated metrics are tested per window).

Usage: ``python benchmarks/rules.py [--windows 200]``
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import pyarrow as pa

from biaswatch.analysis import (
    IntervalOptions,
    analysis_document,
    analyze,
    dataset_from_table,
    with_intervals,
)
from biaswatch.config import config_from_dict
from biaswatch.config.rules import ViolationRules
from biaswatch.constraints import check_bias_drift

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


def document(table: pa.Table, *, level: float | None = None) -> dict[str, Any]:
    """``analysis.json`` of a window, with bootstrap intervals at ``level`` when given."""
    result = analyze(dataset_from_table(table, CONFIG), CONFIG, strict=False)
    if level is not None:
        result = with_intervals(result, IntervalOptions(level, 400))
    return analysis_document(result)


def alert_rates(windows: int = 200, *, level: float = 0.99) -> dict[str, float]:
    """Share of unchanged hourly windows that alert, by rule."""
    rng = np.random.default_rng(11)
    baseline = document(window(rng, 20_000))
    alerts = {"sagemaker": 0, "significant": 0}
    for _ in range(windows):
        current = document(window(rng, 1_000), level=level)
        for rule in alerts:
            alerts[rule] += bool(check_bias_drift(current, baseline, ViolationRules(rule=rule)))
    return {rule: count / windows for rule, count in alerts.items()}


def main() -> None:
    """Print the alert rates of both rules."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=200)
    args = parser.parse_args()
    rates = alert_rates(args.windows)
    print(f"{args.windows} hourly windows without drift; share that alert:")
    for rule, rate in rates.items():
        print(f"  {rule:<12} {rate:6.1%}")


if __name__ == "__main__":
    main()
