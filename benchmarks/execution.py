"""Benchmark: one monitoring execution over an hour of 1M captured inferences + 1M labels.

The capture and ground truth of ``benchmarks/capture.py`` (1M CSV inferences of 14 integer
features with a score, and 1M labels, as SageMaker lays them out). One execution of a
``-PT1H`` … ``-PT0H`` schedule: read and join the window, compute every post-training metric
but FT (facet ``f1 > 45``, group ``f2``), check them against a baseline, and write
``analysis.json``, ``constraint_violations.json``, ``report.html`` and ``diagnostics.json``;
then the same with FT. Each runs in a fresh process, as the scheduler's worker does; memory is
the process's peak RSS. The one-time lazy imports a long-running process pays once (pyarrow's
pandas import, scikit-learn) are excluded.

Usage: ``python benchmarks/execution.py [--records 1000000] [--files 10] [--folder DIR]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.jobs.execution import run_execution
from biaswatch.metrics import Stage, metrics_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from benchmarks.capture import SCHEDULED, generate

FEATURES = [f"f{i}" for i in range(14)]


def definition(folder: Path, *, ft: bool, baseline: str | None) -> MonitoringJobDefinition:
    """The schedule's job definition over the benchmark's files."""
    codes = [m.code.value for m in metrics_of(Stage.POST_TRAINING) if ft or m.code.value != "FT"]
    return MonitoringJobDefinition(
        schedule_name="bench-ft" if ft else "bench",
        endpoint_input=EndpointInputDefinition(
            endpoint_name="bench",
            capture_uri=str(folder / "capture"),
            probability_attribute="0",
            probability_threshold_attribute=0.5,
        ),
        ground_truth_uri=str(folder / "ground-truth"),
        output_uri=str(folder / "output"),
        analysis_config={
            "headers": [*FEATURES, "label"],
            "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "f1", "value_or_threshold": [45]}],
            "group_variable": "f2",
            "methods": {"post_training_bias": {"methods": codes}},
        },
        baseline_constraints_uri=baseline,
    )


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(folder: Path, ft: bool) -> dict[str, Any]:
    """One execution, timed after the one-time imports."""
    import pyarrow as pa

    pa.scalar("warm-up")  # pyarrow imports pandas on first use when it is installed
    if ft:
        import sklearn.neighbors  # noqa: F401  (scikit-learn's import, once per process)
    baseline = folder / "baseline-analysis.json"
    start = time.perf_counter()
    outcome = run_execution(definition(folder, ft=ft, baseline=str(baseline)), SCHEDULED)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "peak_mib": _peak_mib(),
        "status": outcome.status.value,
        "rows": outcome.diagnostics.rows if outcome.diagnostics else None,
        "violations": len(outcome.violations),
    }


def make_baseline(folder: Path) -> None:
    """A baseline: the window's own analysis with FT (so nothing violates it by construction)."""
    target = folder / "baseline-analysis.json"
    if target.exists():
        return
    outcome = run_execution(definition(folder, ft=True, baseline=None), SCHEDULED)
    shutil.copy(Path(outcome.output_uri) / "analysis.json", target)


def main() -> None:
    """Generate the data once, then time the execution without and with FT."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--child", choices=["plain", "ft"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.gettempdir()) / "biaswatch-capture-bench"
    if args.child:
        print(json.dumps(run(folder, args.child == "ft")))
        return
    generate(folder, args.records, args.files)
    make_baseline(folder)
    print(f"One execution: {args.records:,} captured inferences + as many labels, one hour")
    print(f"{'metrics':<32} {'seconds':>8} {'rows':>10} {'peak RSS MiB':>13}  status")
    for child, label in (("plain", "post-training, all but FT"), ("ft", "post-training with FT")):
        command = [sys.executable, __file__, "--child", child, "--folder", str(folder)]
        figures = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
        print(
            f"{label:<32} {figures['seconds']:>8.2f} {figures['rows']:>10,}"
            f" {figures['peak_mib']:>13.0f}  {figures['status']}"
        )


if __name__ == "__main__":
    main()
