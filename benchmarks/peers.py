"""Benchmark: workload W with biaswatch, DuckDB and Polars on the same files, as users run them.

Workload W: one monitoring execution over an hour of N endpoint-capture records (SageMaker's
JSON Lines, a 14-feature CSV payload, one probability out; ``benchmarks/capture.py`` writes
them) and N ground-truth lines; every post-training metric but FT, against a baseline.

- **biaswatch**: a fresh ``python`` process that does what a user's script does —
  ``ModelBiasMonitor.attach(name).run_execution(T, rerun=True)`` — so its imports, the store,
  the worker process and the recording are all counted.
- **DuckDB**: ``read_ndjson_auto`` of the capture and ground-truth files, the payload split,
  the join on inferenceId (else eventId), and a ``GROUP BY`` of (group, facet, label,
  prediction): the count tensor the metrics come from.
- **Polars**: ``scan_ndjson``, the same split, join and ``group_by``.
- **Clarify** (the reference): pandas reads the files, splits the payloads and joins them, and
  Clarify's library (``smclarify``, in an environment of its own: ``benchmarks/reference.py``)
  computes the same metrics. ``--no-clarify`` leaves it out (it takes half a minute at 1M).

DuckDB and Polars compute only the counts (no metric, no file, no malformed-line accounting),
so they are a lower bound for the same job. Every figure is a fresh process measured from
outside: CPU (user + system, the worker included), wall, and peak RSS (the largest process).
The results are checked to agree: the joined rows of all four, the peers' count tensors with
each other, and Clarify's metric values with biaswatch's ``analysis.json``.

Usage: ``python benchmarks/peers.py [--records 1000000] [--files 10] [--folder DIR]
[--no-clarify]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
from benchmarks.capture import SCHEDULED, generate
from benchmarks.execution import definition, make_baseline
from benchmarks.reference import WORKLOAD, reference_python, reference_versions

GLOB_CAPTURE = "capture/bench/AllTraffic/2026/11/24/*/*.jsonl"
GLOB_TRUTH = "ground-truth/2026/11/24/*/*.jsonl"
SCHEDULE = "peers-bench"

_DUCKDB = """
WITH capture AS (
    SELECT coalesce(eventMetadata.inferenceId, eventMetadata.eventId) AS key,
           string_split(captureData.endpointInput.data, ',') AS f,
           CAST(captureData.endpointOutput.data AS DOUBLE) AS score
    FROM read_ndjson_auto('{capture}')
), truth AS (
    SELECT eventMetadata.eventId AS key, CAST(groundTruthData.data AS INTEGER) AS label
    FROM read_ndjson_auto('{truth}')
)
SELECT CAST(f[3] AS INTEGER) AS grp, CAST(f[2] AS INTEGER) > 45 AS facet,
       label = 1 AS positive, score > 0.5 AS predicted, count(*) AS n
FROM capture JOIN truth USING (key)
GROUP BY ALL ORDER BY ALL
"""


def run_duckdb(folder: Path) -> dict[str, Any]:
    """The count tensor with DuckDB."""
    import duckdb

    rows = duckdb.execute(
        _DUCKDB.format(capture=folder / GLOB_CAPTURE, truth=folder / GLOB_TRUTH)
    ).fetchall()
    return {"rows": sum(r[-1] for r in rows), "tensor": [list(r) for r in rows]}


def run_polars(folder: Path) -> dict[str, Any]:
    """The count tensor with Polars."""
    import polars as pl

    capture = pl.scan_ndjson(str(folder / GLOB_CAPTURE)).select(
        pl.coalesce(
            pl.col("eventMetadata").struct.field("inferenceId"),
            pl.col("eventMetadata").struct.field("eventId"),
        ).alias("key"),
        pl.col("captureData")
        .struct.field("endpointInput")
        .struct.field("data")
        .str.split(",")
        .alias("f"),
        pl.col("captureData")
        .struct.field("endpointOutput")
        .struct.field("data")
        .cast(pl.Float64)
        .alias("score"),
    )
    truth = pl.scan_ndjson(str(folder / GLOB_TRUTH)).select(
        pl.col("eventMetadata").struct.field("eventId").alias("key"),
        pl.col("groundTruthData").struct.field("data").cast(pl.Int64).alias("label"),
    )
    counted = (
        capture.join(truth, on="key")
        .select(
            pl.col("f").list.get(2).cast(pl.Int64).alias("grp"),
            (pl.col("f").list.get(1).cast(pl.Int64) > 45).alias("facet"),
            (pl.col("label") == 1).alias("positive"),
            (pl.col("score") > 0.5).alias("predicted"),
        )
        .group_by("grp", "facet", "positive", "predicted")
        .len()
        .sort("grp", "facet", "positive", "predicted")
        .collect()
    )
    rows = [list(r) for r in counted.iter_rows()]
    return {"rows": sum(r[-1] for r in rows), "tensor": rows}


def run_biaswatch() -> dict[str, Any]:
    """What a user's script does: attach to the schedule and run its execution (a new attempt)."""
    from biaswatch.model_monitor import ModelBiasMonitor

    execution = ModelBiasMonitor.attach(SCHEDULE).run_execution(SCHEDULED, rerun=True)
    analysis = json.loads(Path(execution.output.destination, "analysis.json").read_text())
    (entry,) = analysis["post_training_bias_metrics"]["facets"]["f1"]
    return {
        "rows": (execution.row.counts or {}).get("rows"),
        "status": execution.row.status,
        "values": {metric["name"]: metric["value"] for metric in entry["metrics"]},
    }


def prepare_biaswatch(folder: Path) -> dict[str, str]:
    """A store with the endpoint and the schedule (once); the environment that finds them."""
    from biaswatch.capture.registry import register_endpoint
    from biaswatch.model_monitor import EndpointInput, ModelBiasMonitor
    from biaswatch.store import Store

    environment = {"BIASWATCH_HOME": str(folder / "peers-home")}
    os.environ.update(environment)
    store = Store.open()
    if store.schedule(SCHEDULE) is None:
        register_endpoint("bench", str(folder / "capture"))
        chosen = definition(folder, ft=False, baseline=str(folder / "baseline-analysis.json"))
        config = folder / "peers-analysis-config.json"
        config.write_text(json.dumps(chosen.analysis_config))
        ModelBiasMonitor(store=store).create_monitoring_schedule(
            monitor_schedule_name=SCHEDULE,
            endpoint_input=EndpointInput(
                "bench", probability_attribute="0", probability_threshold_attribute=0.5
            ),
            ground_truth_input=chosen.ground_truth_uri,
            analysis_config=str(config),
            constraints=chosen.baseline_constraints_uri,
            output_s3_uri=str(folder / "peers-output"),
        )
    return environment


def measured(command: list[str], environment: dict[str, str]) -> dict[str, Any]:
    """Run ``command`` in a wrapper process that reports its CPU, wall and peak RSS."""
    wrapper = [sys.executable, __file__, "--measure", json.dumps(command)]
    done = subprocess.run(
        wrapper, check=True, capture_output=True, text=True, env=os.environ | environment
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(command: list[str]) -> None:
    """(In the wrapper) run ``command``; print its result with CPU, wall and peak RSS."""
    start = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        json.dumps(
            result
            | {
                "cpu": usage.ru_utime + usage.ru_stime,
                "wall": wall,
                "peak_mib": usage.ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    """Generate the data once, then run each tool in fresh processes and compare."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="runs per tool; the best is shown")
    parser.add_argument("--no-clarify", action="store_true", help="leave out Clarify's library")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child", choices=["biaswatch", "duckdb", "polars"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        measure(json.loads(args.measure))
        return
    folder = args.folder or Path(tempfile.gettempdir()) / f"biaswatch-peers-{args.records}"
    if args.child:
        if args.child == "biaswatch":
            print(json.dumps(run_biaswatch()))
        else:
            print(json.dumps((run_duckdb if args.child == "duckdb" else run_polars)(folder)))
        return
    generate(folder, args.records, args.files)
    make_baseline(folder)
    environment = prepare_biaswatch(folder)
    print(f"Workload W: {args.records:,} captured inferences + as many labels, one hour,")
    print(
        f"{args.files} + {args.files} files; each figure the best of {args.repeat} fresh processes"
    )
    print(
        f"{'tool':<12} {'CPU s':>7} {'wall s':>7} {'peak RSS MiB':>13} {'rows':>11}  CPU ÷ DuckDB"
    )
    commands = {
        tool: [sys.executable, __file__, "--child", tool, "--folder", str(folder)]
        for tool in ("duckdb", "polars", "biaswatch")
    }
    if not args.no_clarify:
        python = reference_python()
        print(f"Clarify's library: {reference_versions(python)} (once: it is the slowest)")
        commands["clarify"] = [python, "-c", WORKLOAD, str(folder), GLOB_CAPTURE, GLOB_TRUTH]
    results: dict[str, dict[str, Any]] = {}
    for tool, command in commands.items():
        runs = [
            measured(command, environment) for _ in range(1 if tool == "clarify" else args.repeat)
        ]
        results[tool] = min(runs, key=lambda r: r["cpu"])
        results[tool]["peak_mib"] = max(r["peak_mib"] for r in runs)
    duck, ours = results["duckdb"], results["biaswatch"]
    for tool, figures in results.items():
        print(
            f"{tool:<10} {figures['cpu']:>7.2f} {figures['wall']:>7.2f}"
            f" {figures['peak_mib']:>13.0f} {figures['rows']:>11,}"
            f"  {figures['cpu'] / duck['cpu']:>6.2f}×"
        )
    if results["duckdb"]["tensor"] != results["polars"]["tensor"]:
        raise SystemExit("DuckDB's and Polars' count tensors differ")
    if len({figures["rows"] for figures in results.values()}) != 1:
        raise SystemExit(f"the tools joined different numbers of rows: {results}")
    print("counts agree: the same joined rows; DuckDB's and Polars' count tensors are equal")
    if "clarify" in results:
        reference = results["clarify"]
        differing = {
            name: (value, ours["values"].get(name))
            for name, value in reference["values"].items()
            if not _close(value, ours["values"].get(name))
        }
        if differing:
            raise SystemExit(f"Clarify's and biaswatch's values differ: {differing}")
        print(
            f"Clarify's {len(reference['values'])} metric values equal biaswatch's; biaswatch"
            f" is {reference['wall'] / ours['wall']:.1f}× faster in wall time,"
            f" {reference['cpu'] / ours['cpu']:.1f}× in CPU"
        )


def _close(expected: Any, found: Any) -> bool:
    """Equal, to floating-point rounding (pandas and numpy add in other orders)."""
    if isinstance(expected, float) and isinstance(found, float):
        return abs(expected - found) <= 1e-12 * max(1.0, abs(expected))
    return bool(expected == found)


if __name__ == "__main__":
    main()
