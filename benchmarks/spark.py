"""Benchmark: the local and the Spark engine side by side, on 1M and 10M records.

Datasets: CSV files of N rows (sex, age, race, three numeric features, label, prediction),
analysed with every pre- and post-training metric but FT (facets sex and age > 40, group
race) — a baselining job. Windows: one execution over an hour of N captured inferences and
their labels (``benchmarks/capture.py``'s files, 100,000 lines a file), all post-training
metrics but FT. Each figure comes from a fresh process; the Spark session's start (JVM, about
5 to 15 s, once per process) is shown apart; peak MiB is the driver process's. Spark runs
``local[*]`` on this machine.

With ``--json`` the windows' payloads are JSON (``{"features": [...]}`` in, ``{"score": ...}``
out, labels ``{"label": ...}``; ``features_attribute`` and ``probability_attribute`` JMESPaths)
in place of CSV, and there is no floor row.

With ``--again`` each process runs its job a second time, as a scheduler's long-lived process
does: the column ``again`` is that second run (a warm JVM for Spark).

Each window also gets the row ``floor``: the least work any Spark engine does for it, timed the
same way — Spark's own text reader over the capture and ground-truth files, each line split at
its quotes and its id, facet, group and score taken at their places in this benchmark's layout,
the records joined to their labels and counted by (facet, group, prediction, label). No check
of a line, no accounting, no metric: what is left when everything biaswatch adds is free.

Usage: ``python benchmarks/spark.py [--sizes 1000000 10000000] [--folder DIR] [--no-window]
[--no-dataset] [--json] [--again]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

CONFIG = {
    "dataset_type": "text/csv",
    "label": "label",
    "label_values_or_threshold": [1],
    "predicted_label": "prediction",
    "facet": [
        {"name_or_index": "sex", "value_or_threshold": [0]},
        {"name_or_index": "age", "value_or_threshold": [40]},
    ],
    "group_variable": "race",
    "methods": {
        "pre_training_bias": {"methods": "all"},
        "post_training_bias": {
            "methods": ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD",
                        "SD", "TE"]
        },
    },
}  # fmt: skip


def generate(folder: Path, rows: int) -> Path:
    """A CSV dataset of ``rows`` rows (written once, then reused)."""
    path = folder / f"dataset-{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        handle.write("sex,age,race,f1,f2,f3,label,prediction\n")
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            sex = rng.integers(0, 2, n)
            columns = [
                sex,
                rng.integers(18, 90, n),
                rng.integers(0, 5, n),
                rng.integers(0, 100, n),
                rng.integers(0, 100, n),
                rng.integers(0, 100, n),
                rng.integers(0, 2, n),
                (rng.random(n) < 0.3 + 0.2 * sex).astype(int),
            ]
            block = np.column_stack(columns)
            np.savetxt(handle, block, fmt="%d", delimiter=",")
    return path


def capture_window(records: int, *, json_payloads: bool = False) -> Path:
    """An hour of ``records`` captured inferences and their labels (``benchmarks/capture.py``'s
    files, 100,000 lines a file; written once, then reused)."""
    files = max(1, records // 100_000)
    folder = Path(tempfile.gettempdir()) / f"biaswatch-capture-bench-{records}"
    if json_payloads:
        folder = folder.with_name(f"{folder.name}-json")
    elif records == 1_000_000:
        folder = Path(tempfile.gettempdir()) / "biaswatch-capture-bench"  # capture.py's own
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.capture import generate as generate_capture

    generate_capture(folder, records, files, json_payloads=json_payloads)
    return folder


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(kind: str, engine: str, path: str, *, again: bool = False) -> dict[str, Any]:
    """One measurement in this (fresh) process; with ``again``, a second one after it."""
    import pyarrow as pa

    pa.scalar("warm-up")  # pyarrow's one-time lazy import of pandas
    startup = 0.0
    if engine in ("spark", "floor"):
        from biaswatch.spark import spark_session

        began = time.perf_counter()
        spark_session("local[*]")
        startup = time.perf_counter() - began
    runs = [_once(kind, engine, path) for _ in range(2 if again else 1)]
    figures = {"seconds": runs[0][0], "startup": startup, "rows": runs[0][1]}
    if again:
        figures["again"] = runs[1][0]
    return figures | {"peak_mib": _peak_mib()}


def floor(session: Any, folder: Path) -> int:
    """The window's records joined to their labels and counted, with nothing else (see above).

    Returns how many records were joined.
    """
    from pyspark.sql import functions as F

    def tokens(kind: str) -> tuple[Any, list[str]]:
        files = sorted(str(p) for p in (folder / kind).rglob("*.jsonl"))
        with open(files[0]) as first:
            sample = first.readline().split('"')
        lines = session.read.text(files).select(F.split("value", '"', -1).alias("t"))
        return lines, sample

    def at(sample: list[str], key: str) -> Any:
        return F.get("t", sample.index(key) + 2)

    captures, sample = tokens("capture")
    fields = F.split(F.get("t", sample.index("data") + 2), ",", -1)  # the input's data
    records = captures.select(
        at(sample, "inferenceId").alias("key"),
        F.get(fields, 1).alias("f1"),
        F.get(fields, 2).alias("f2"),
        (
            F.get("t", sample.index("data", sample.index("endpointOutput")) + 2).cast("double")
            > 0.5
        ).alias("predicted"),
    )
    truths, sample = tokens("ground-truth")
    labels = truths.select(at(sample, "eventId").alias("key"), at(sample, "data").alias("label"))
    groups = records.join(labels, "key").groupBy(
        (F.col("f1").cast("int") > 45).alias("facet"), "f2", "predicted", "label"
    )
    return sum(row["count"] for row in groups.count().collect())


def _once(kind: str, engine: str, path: str) -> tuple[float, int]:
    """The seconds one job takes, and the rows it analysed."""
    began = time.perf_counter()
    if engine == "floor":
        from biaswatch.spark import spark_session

        rows = floor(spark_session("local[*]"), Path(path))
    elif kind == "dataset":
        from biaswatch.jobs.baseline import run_baselining_job

        baseline = run_baselining_job(
            path, CONFIG, output_uri=tempfile.mkdtemp(prefix="bench-"), engine=engine
        )
        rows = baseline.result.rows
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from benchmarks.capture import SCHEDULED
        from benchmarks.execution import definition

        from biaswatch.jobs.execution import run_execution

        window = definition(Path(path), ft=False, baseline=None)
        endpoint = window.endpoint_input
        if kind == "json-window" and endpoint is not None:
            endpoint = endpoint.model_copy(
                update={"features_attribute": "features", "probability_attribute": "score"}
            )
        window = window.model_copy(
            update={
                "engine": engine,
                "output_uri": tempfile.mkdtemp(prefix="bench-"),
                "endpoint_input": endpoint,
            }
        )
        execution = run_execution(window, SCHEDULED)
        rows = execution.diagnostics.rows if execution.diagnostics else 0
    return time.perf_counter() - began, rows


def main() -> None:
    """Generate the data once, then time both engines in fresh processes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--no-window", action="store_true")
    parser.add_argument("--no-dataset", action="store_true")
    parser.add_argument("--json", action="store_true", help="windows with JSON payloads")
    parser.add_argument("--again", action="store_true", help="run each job twice per process")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run(*args.child, again=args.again)))
        return
    folder = args.folder or Path(tempfile.gettempdir()) / "biaswatch-spark-bench"
    jobs = []
    if not args.no_dataset:
        jobs += [("dataset", str(generate(folder, size)), f"dataset {size:,} rows")
                 for size in args.sizes]  # fmt: skip
    if not args.no_window:
        kind = "json-window" if args.json else "window"
        jobs += [(kind, str(capture_window(size, json_payloads=args.json)),
                  f"{kind} {size:,} captures") for size in args.sizes]  # fmt: skip
    again = "   again" if args.again else ""
    print(
        f"{'input':<30} {'engine':<7} {'seconds':>8} {'+ start':>8} {'rows':>12} {'peak MiB':>9}"
        + again
    )
    for kind, path, label in jobs:
        for engine in ("local", "spark", *(["floor"] if kind == "window" else [])):
            command = [sys.executable, __file__, "--child", kind, engine, path]
            command += ["--again"] if args.again else []
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            start = f"{figures['startup']:.1f}" if engine != "local" else ""
            second = f" {figures['again']:>7.2f}" if args.again else ""
            print(
                f"{label:<30} {engine:<7} {figures['seconds']:>8.2f} {start:>8}"
                f" {figures['rows']:>12,} {figures['peak_mib']:>9.0f}" + second
            )


if __name__ == "__main__":
    main()
