"""Benchmark of the analysis engine: counting + every metric but FT, then FT alone.

Synthetic data as in the spec's benchmark of smclarify: a three-level categorical facet
(A/B/C, 50/33/17 %), age uniform in 18-90, ten groups, two features, a 0/1 label and a
prediction ``score > 0.5``. The facets are ``facet`` (one-vs-rest, three entries) and
``age > 40`` (continuous); both stages are computed.

Each measurement runs in a fresh process. Time is wall time of ``analyze`` alone (data
generation excluded); memory is the process's peak RSS during the call (its high-water mark
is reset just before it), which includes the resident input data.

Usage: ``python benchmarks/analysis.py [--rows 1000000 10000000] [--ft-rows 1000000]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from biaswatch.analysis import analyze, dataset_from_table
from biaswatch.config import config_from_dict
from biaswatch.metrics import MetricCode, Stage, ft_available, metrics_of

NO_FT = [s.code.value for s in metrics_of(Stage.POST_TRAINING) if s.code is not MetricCode.FT]


def make_table(rows: int, seed: int = 7) -> pa.Table:
    """The synthetic dataset, in memory."""
    rng = np.random.default_rng(seed)
    facet = rng.choice(np.array(["A", "B", "C"]), size=rows, p=[0.5, 0.33, 0.17])
    age = rng.uniform(18, 90, size=rows).round(1)
    group = rng.integers(0, 10, size=rows)
    x1, x2 = rng.normal(size=rows), rng.normal(size=rows)
    bias = np.where(facet == "C", -0.4, 0.0)
    score = 1 / (1 + np.exp(-(x1 + 0.5 * x2 + 0.02 * (age - 50) + bias)))
    label = (rng.uniform(size=rows) < score).astype(np.int64)
    prediction = (score > 0.5).astype(np.int64)
    return pa.table(
        {
            "facet": pa.array(facet).dictionary_encode().dictionary_decode(),
            "age": age,
            "group": group,
            "x1": x1,
            "x2": x2,
            "label": label,
            "prediction": prediction,
        }
    )


def config(*, ft_only: str | None = None) -> dict[str, Any]:
    """All metrics but FT over both facets, or FT alone over one facet."""
    facets = {
        "facet": {"name_or_index": "facet"},
        "age": {"name_or_index": "age", "value_or_threshold": [40]},
    }
    base: dict[str, Any] = {
        "label": "label",
        "predicted_label": "prediction",
        "label_values_or_threshold": [1],
        "group_variable": "group",
    }
    if ft_only is None:
        return base | {
            "facet": list(facets.values()),
            "methods": {
                "pre_training_bias": {"methods": "all"},
                "post_training_bias": {"methods": NO_FT},
            },
        }
    return base | {
        "facet": [facets[ft_only]],
        # The other facet is a string column; FT needs numeric features (as in Clarify).
        "excluded_columns": ["facet"] if ft_only == "age" else [],
        "methods": {"post_training_bias": {"methods": ["FT"]}},
    }


def _reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(rows: int, ft_only: str | None) -> dict[str, float]:
    """One measurement, in this process."""
    table = make_table(rows)
    parsed = config_from_dict(config(ft_only=ft_only))
    dataset = dataset_from_table(table, parsed)
    if ft_only is not None:
        ft_available()  # import scikit-learn outside the timed call, as a long-running server has
    before = _rss_mib("VmRSS")
    _reset_peak_rss()
    start = time.perf_counter()
    result = analyze(dataset, parsed)
    seconds = time.perf_counter() - start
    peak = _rss_mib("VmHWM")
    assert result.stages, "nothing was computed"
    return {"seconds": seconds, "peak_mib": peak, "delta_mib": peak - before}


def _child(rows: int, ft_only: str | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", str(rows)]
    if ft_only:
        command += ["--ft-only", ft_only]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return dict(json.loads(done.stdout))


def main() -> None:
    """Run every measurement in a fresh process and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--ft-rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ft-only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.ft_only)))
        return

    print("biaswatch analysis benchmark (2 facets: facet one-vs-rest ×3 + age > 40;")
    print("pre-training all + post-training all but FT; wall time of analyze())")
    print(f"{'rows':>12} {'what':<34} {'seconds':>9} {'peak RSS MiB':>13} {'+Δ MiB':>8}")
    for rows in args.rows:
        figures = _child(rows, None)
        _print_row(rows, "counting + 20 metrics, 4 entries", figures)
    for rows in args.ft_rows:
        for facet, what in (
            ("facet", "FT, facet one-vs-rest (3 entries)"),
            ("age", "FT, age > 40"),
        ):
            _print_row(rows, what, _child(rows, facet))


def _print_row(rows: int, what: str, figures: dict[str, float]) -> None:
    print(
        f"{rows:>12,} {what:<34} {figures['seconds']:>9.3f} {figures['peak_mib']:>13.0f}"
        f" {figures['delta_mib']:>8.0f}"
    )


if __name__ == "__main__":
    main()
