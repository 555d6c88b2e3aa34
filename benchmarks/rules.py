"""How often violation rules and constraints alert on small windows: unchanged, and biased.

Part 1, the rules (synthetic): a baseline of 20,000 rows and hourly windows of 1,000 rows drawn
from the same population (women predicted positive at 30 %, men at 45 %), four post-training
metrics (DI, DPPL, RD, DAR) checked against the baseline by SageMaker's rule and by the
``significant`` rule with 99 % bootstrap intervals (99 % because four correlated metrics are
tested per window).

Part 2, noise-aware constraints (UCI German Credit, ``tests/data/german-credit``, with a
logistic regression's predictions of good credit): the baseline is the 1,000 applicants; a
window is 400 applicants drawn (with replacement) from them — unchanged traffic — or the same
with a share of women's good predictions turned bad (injected bias). Facets sex (d = women)
and age (d = over 25), group variable housing, every count-based metric of both stages: 40
checks per window (FT, which needs the feature rows and is not widened, is left out). Each
window is analysed as an execution analyses it, and checked against SageMaker's plain
constraints (the baseline's ``analysis.json``) and against noise-aware ones for 400-row
windows, under SageMaker's rule and under the ``ideal`` rule. A held-out variant baselines a
random half and draws the windows from the other half. Then the time the widening takes
(vectorised), beside a Python loop of the scalar kernels over the same resamples.

Usage: ``python benchmarks/rules.py [--windows 200] [--credit-windows 500] [--rows 400]
[--resamples 4000] [--quantile 0.999]``
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from biaswatch.analysis import (
    AnalysisResult,
    IntervalOptions,
    analysis_document,
    analyze,
    dataset_from_table,
    with_intervals,
)
from biaswatch.config import AnalysisConfig, config_from_dict
from biaswatch.config.rules import ViolationRules
from biaswatch.constraints import check_bias_drift
from biaswatch.constraints.noise import WindowNoise, noise_aware_constraints
from biaswatch.metrics import REGISTRY, FacetCounts

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from tests import german_credit
from tests.german_credit import GermanCredit, biased, reference_table

CONFIG = config_from_dict(
    {
        "label": "label",
        "predicted_label": "prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "methods": {"post_training_bias": {"methods": ["DI", "DPPL", "RD", "DAR"]}},
    }
)


# ---------------------------------------------------------------------------- part 1: rules


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


# ---------------------------------------------------------------- part 2: noise-aware constraints

CHECKS = {
    "plain constraints, SageMaker's rule": ("plain", ViolationRules()),
    "noise-aware, SageMaker's rule": ("noise-aware", ViolationRules()),
    "noise-aware, ideal rule": ("noise-aware", ViolationRules(rule="ideal")),
}


class Tally:
    """Per check: windows with a violation, violations, windows where women's DI was flagged."""

    def __init__(self) -> None:
        self.windows = 0
        self.alerting = dict.fromkeys(CHECKS, 0)
        self.violations = dict.fromkeys(CHECKS, 0)
        self.di = dict.fromkeys(CHECKS, 0)

    def add(self, current: dict[str, Any], constraints: dict[str, dict[str, Any]]) -> None:
        self.windows += 1
        for check, (kind, rules) in CHECKS.items():
            found = check_bias_drift(current, constraints[kind], rules)
            self.alerting[check] += bool(found)
            self.violations[check] += len(found)
            self.di[check] += any(v.metric_name == "DI" and v.facet == "sex" for v in found)

    def lines(self) -> list[str]:
        return [
            f"    {check:<38} {self.alerting[check] / self.windows:>8.1%}"
            f" {self.violations[check] / self.windows:>10.2f} {self.di[check] / self.windows:>8.1%}"
            for check in CHECKS
        ]


def analysed(config: AnalysisConfig, table: pa.Table) -> dict[str, Any]:
    """A window's ``analysis.json``, as an execution computes it (``strict=False``)."""
    return analysis_document(analyze(dataset_from_table(table, config), config, strict=False))


def windows_of(
    credit: GermanCredit,
    pool: npt.NDArray[np.intp],
    constraints: dict[str, dict[str, Any]],
    *,
    config: AnalysisConfig,
    count: int,
    rows: int,
    share: float,
    seed: int,
) -> Tally:
    """``count`` windows of ``rows`` applicants drawn from ``pool``, women's good predictions
    cut by ``share`` (0: unchanged)."""
    rng = np.random.default_rng(seed)
    tally = Tally()
    for _ in range(count):
        taken = rng.choice(pool, size=rows)
        predicted = biased(credit, taken, rng, share=share) if share else None
        current = analysed(config, reference_table(credit, taken, predicted_good=predicted))
        tally.add(current, constraints)
    return tally


def loop_widening_seconds(result: AnalysisResult, noise: WindowNoise) -> float:
    """The same resamples as the widening, each computed by the scalar kernels in Python."""
    started = time.perf_counter()
    for stage in result.stages:
        for entries in stage.facets.values():
            for facet in entries:
                cells = facet.counts.cells
                draws = np.random.default_rng(0).multinomial(
                    noise.expected_window_rows,
                    cells.reshape(-1) / cells.sum(),
                    size=noise.resamples,
                )
                kernels = [
                    kernel
                    for m in facet.metrics
                    if (kernel := REGISTRY[m.code].kernel) is not None
                    and m.value.value is not None
                    and math.isfinite(m.value.value)
                ]
                for draw in draws:
                    counts = FacetCounts(
                        draw.reshape(cells.shape), facet.counts.grouped, facet.counts.missing_group
                    )
                    for kernel in kernels:
                        kernel(counts)
    return time.perf_counter() - started


def credit_report(count: int, noise: WindowNoise) -> None:
    """Print part 2."""
    rows = noise.expected_window_rows
    credit = german_credit.load_german_credit()
    config = config_from_dict(german_credit.CONFIG)
    baseline = analyze(dataset_from_table(reference_table(credit), config), config)
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        widened = noise_aware_constraints(baseline, noise)
        timings.append(time.perf_counter() - started)
    constraints = {"plain": analysis_document(baseline), "noise-aware": widened}
    everyone = np.arange(len(credit))
    checks = sum(
        len(entry["metrics"]) - sum(m["name"] == "FT" for m in entry["metrics"])
        for key in ("pre_training_bias_metrics", "post_training_bias_metrics")
        for entries in constraints["plain"][key]["facets"].values()
        for entry in entries
    )
    print(
        f"\nUCI German Credit, {len(credit):,} applicants (women {credit.female.mean():.0%},"
        f" predicted good {credit.predicted_good.mean():.0%}); {count} windows of {rows} rows"
        f" each; {checks} metric checks per window; noise-aware: {noise.resamples:,} resamples,"
        f" quantile {noise.quantile:g}, seed {noise.seed}"
    )
    print(f"    {'':<38} {'alerting':>8} {'viol./win':>10} {'DI(sex)':>8}")
    kinds = [("unchanged windows, drawn from the reference", 0.0)] + [
        (f"women's good predictions cut by {share:.0%}", share) for share in (0.25, 0.5, 1.0)
    ]
    for position, (title, share) in enumerate(kinds):
        tally = windows_of(
            credit,
            everyone,
            constraints,
            config=config,
            count=count,
            rows=rows,
            share=share,
            seed=100 + position,
        )
        print(f"  {title}")
        print("\n".join(tally.lines()))

    # Held out: baseline on a random half, windows from the other half.
    order = np.random.default_rng(7).permutation(len(credit))
    half, other = order[: len(credit) // 2], order[len(credit) // 2 :]
    held = analyze(dataset_from_table(reference_table(credit, half), config), config)
    held_constraints = {
        "plain": analysis_document(held),
        "noise-aware": noise_aware_constraints(held, noise),
    }
    tally = windows_of(
        credit, other, held_constraints, config=config, count=count, rows=rows, share=0.0, seed=99
    )
    print("  unchanged windows from the other half (baseline on a random half, held out)")
    print("\n".join(tally.lines()))

    entries = sum(len(e) for stage in baseline.stages for e in stage.facets.values())
    loop = loop_widening_seconds(baseline, noise)
    print(
        f"\nwidening ({entries} facet entries × {noise.resamples:,} resamples):"
        f" {statistics.median(timings) * 1000:.0f} ms (median of 5, vectorised);"
        f" the scalar kernels in a Python loop: {loop:.1f} s"
    )


def main() -> None:
    """Print the alert rates of both rules, then the noise-aware constraints' figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--credit-windows", type=int, default=500)
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--resamples", type=int, default=4000)
    parser.add_argument("--quantile", type=float, default=0.999)
    args = parser.parse_args()
    rates = alert_rates(args.windows)
    print(f"{args.windows} hourly windows without drift; share that alert:")
    for rule, rate in rates.items():
        print(f"  {rule:<12} {rate:6.1%}")
    noise = WindowNoise(args.rows, resamples=args.resamples, quantile=args.quantile)
    credit_report(args.credit_windows, noise)


if __name__ == "__main__":
    main()
