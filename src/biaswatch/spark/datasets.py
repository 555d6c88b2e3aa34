"""A dataset file counted by Spark: the Spark engine of baselining jobs and ``analyze``.

CSV (header row detected as the local engine does) and Parquet are read as strings, counted on
the cluster and analysed locally from the counts (see :mod:`biaswatch.spark.counting`).
"""

from __future__ import annotations

from typing import Any

from biaswatch.analysis import AnalysisResult, analyze
from biaswatch.analysis.dataset import read_csv_header
from biaswatch.config import AnalysisConfig
from biaswatch.errors import ConfigError
from biaswatch.spark.counting import FT_SAMPLE, ORDER, counted_dataset, sampled_rows
from biaswatch.storage import locate

__all__ = ["analyze_with_spark"]


def _frame(session: Any, uri: str, config: AnalysisConfig) -> Any:
    from pyspark.sql import functions as F

    location = locate(uri)
    path = location.path if location.local else uri
    if config.dataset_type == "text/csv":
        names, has_header = read_csv_header(uri, headers=config.headers)
        frame = session.read.csv(path, header=has_header, inferSchema=False, enforceSchema=True)
        frame = frame.toDF(*names)
    elif config.dataset_type == "application/x-parquet":
        frame = session.read.parquet(path)
        frame = frame.select(*(F.col(c).cast("string").alias(c) for c in frame.columns))
    else:
        raise ConfigError(
            f"dataset_type {config.dataset_type!r} is not read by engine 'spark' (CSV and"
            " Parquet are); use engine 'local'",
            field="dataset_type",
            value=config.dataset_type,
        )
    return frame.withColumn(ORDER, F.monotonically_increasing_id())


def analyze_with_spark(
    session: Any,
    uri: str,
    config: AnalysisConfig,
    *,
    strict: bool = True,
    ft_sample: int = FT_SAMPLE,
) -> AnalysisResult:
    """Analyse the dataset at ``uri`` with Spark counting; the same result as the local engine.

    FT is computed on ``ft_sample`` rows (exact when the dataset has no more rows).
    """
    frame = _frame(session, uri, config).cache()
    try:
        dataset = counted_dataset(frame, config, source=uri)
        rows = None
        if config.methods.post_training_bias is not None:
            rows = sampled_rows(frame, config, rows=dataset.rows, limit=ft_sample, source=uri)
        return analyze(dataset, config, strict=strict, ft_rows=rows)
    finally:
        frame.unpersist()
