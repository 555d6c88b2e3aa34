"""Run by ``test_cluster_spark.py`` in a fresh process pointed at a standalone cluster or at a
Spark Connect server.

``python -m tests.spark.cluster_check FOLDER`` (with ``BIASWATCH_SPARK_MASTER`` and, for a
cluster, ``BIASWATCH_SPARK_PYTHON`` set) counts the golden corpus and a monitoring window with
the Spark engine there and with the local engine, and prints what differs as one JSON object.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson
from tests.capture_data import T
from tests.golden.test_clarify_golden import CASES, mismatches
from tests.unit.jobs.test_execution import baseline, capture_window, definition, rows

from biaswatch.analysis import analysis_document, analyze, read_dataset
from biaswatch.config import parse_analysis_config
from biaswatch.errors import BiaswatchError
from biaswatch.jobs.execution import run_execution
from biaswatch.spark import analyze_with_spark, spark_session


def golden(session: Any) -> dict[str, Any]:
    """Each golden case's mismatches between the engines (an error's type when both raise)."""
    found: dict[str, Any] = {}
    for case in CASES:
        config = parse_analysis_config((case / "analysis_config.json").read_bytes(), source="x")
        dataset = str(case / "dataset.csv")
        try:
            expected = analysis_document(
                analyze(read_dataset(case / "dataset.csv", config), config)
            )
        except BiaswatchError as exc:
            try:
                analyze_with_spark(session, dataset, config)
            except BiaswatchError as spark_exc:
                same = type(spark_exc) is type(exc)
                found[case.name] = [] if same else [f"{type(spark_exc)} != {type(exc)}"]
                continue
            found[case.name] = [f"spark raised nothing where local raised {type(exc)}"]
            continue
        found[case.name] = mismatches(
            expected, analysis_document(analyze_with_spark(session, dataset, config))
        )
    return found


def window(folder: Path) -> dict[str, Any]:
    """A monitoring window with injected bias, counted by both engines."""
    base = str(folder)
    capture_window(base, rows(400, biased=True, seed=5))
    chosen = definition(base, baseline_constraints_uri=baseline(base, rows(600, biased=False)))
    local = run_execution(chosen.model_copy(update={"engine": "local"}), T)
    spark = run_execution(
        chosen.model_copy(update={"engine": "spark", "output_uri": f"{base}/spark-reports"}), T
    )
    assert spark.diagnostics is not None
    assert local.diagnostics is not None
    return {
        "statuses": [local.status.value, spark.status.value],
        "mismatches": mismatches(local.analysis, spark.analysis),
        "rows": [local.diagnostics.rows, spark.diagnostics.rows],
        "engine": spark.diagnostics.engine,
        "violations": [len(local.violations), len(spark.violations)],
    }


def main() -> None:
    folder = Path(sys.argv[1])
    session = spark_session()
    report: dict[str, Any] = {"golden": golden(session), "window": window(folder)}
    report["session"] = type(session).__module__
    if report["session"].startswith("pyspark.sql.connect"):
        from pyspark import SparkContext

        report["local_jvm"] = SparkContext._active_spark_context is not None
        sys.stdout.write(orjson.dumps(report).decode() + "\n")
        return
    # The block managers of the driver and of each executor that ran the work.
    report["executors"] = session.sparkContext._jsc.sc().getExecutorMemoryStatus().size()
    report["master"] = session.sparkContext.master
    report["python"] = session.sparkContext.getConf().get("spark.pyspark.python")
    report["executor_pythons"] = sorted(
        set(session.sparkContext.parallelize(range(4), 4).map(lambda _: sys.executable).collect())
    )
    sys.stdout.write(orjson.dumps(report).decode() + "\n")


if __name__ == "__main__":
    main()
