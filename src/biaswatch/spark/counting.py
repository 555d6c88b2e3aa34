"""Counting with Spark: a DataFrame of string columns reduced to an aggregated dataset.

Spark groups the rows by the analysed columns (label, model output, facets, group) and counts
them, keeping each combination's first row number so that the local engine sees the values in
first-appearance order (Clarify's one-vs-rest order). The few distinct rows come back to the
driver, are typed as pandas would type them, and the metrics are derived from their counts.
FT needs feature rows: a bounded sample of them comes back too (all of them when they fit).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from biaswatch.analysis import Dataset, dataset_from_table
from biaswatch.analysis.aggregate import analysed_names
from biaswatch.config import AnalysisConfig
from biaswatch.errors import EmptyWindowError
from biaswatch.records import text_column

__all__ = [
    "COUNT",
    "FIRST",
    "FT_SAMPLE",
    "ORDER",
    "counted_dataset",
    "dataset_of_counts",
    "sampled_rows",
]

FT_SAMPLE = 100_000
"""Rows FT is computed on in Spark mode; FT is exact when the data has no more rows."""
ORDER = "__biaswatch_order"
COUNT = "__count"
"""A counted group's number of rows."""
FIRST = "__first"
"""A counted group's first row (its least ``ORDER``)."""


def _typed(table: pa.Table, names: list[str]) -> pa.Table:
    return pa.table({name: text_column(table.column(name).combine_chunks()) for name in names})


def counted_dataset(frame: Any, config: AnalysisConfig, *, source: str) -> Dataset:
    """``frame`` (strings, and an ``ORDER`` column) as an aggregated dataset."""
    from pyspark.sql import functions as F

    names = [n for n in frame.columns if n != ORDER]
    columns = analysed_names(names, config)
    counted = (
        frame.groupBy(*columns)
        .agg(F.count(F.lit(1)).alias(COUNT), F.min(ORDER).alias(FIRST))
        .toArrow()
    )
    return dataset_of_counts(counted, columns, config, source=source)


def dataset_of_counts(
    counted: pa.Table, columns: list[str], config: AnalysisConfig, *, source: str
) -> Dataset:
    """Groups of rows (``columns``' values, ``COUNT``, ``FIRST``) as an aggregated dataset.

    The groups are taken in the order of their first rows.
    """
    if counted.num_rows == 0:
        raise EmptyWindowError(f"{source} has no rows", path=source)
    counted = counted.sort_by(FIRST)
    weights = np.asarray(counted.column(COUNT).to_numpy(), np.int64)
    return dataset_from_table(_typed(counted, columns), config, source=source, weights=weights)


def sampled_rows(
    frame: Any, config: AnalysisConfig, *, rows: int, limit: int = FT_SAMPLE, source: str
) -> Dataset:
    """Rows of ``frame`` for FT: all of them (in order) when ``rows <= limit``, else a sample."""
    names = [n for n in frame.columns if n != ORDER]
    chosen = frame if rows <= limit else frame.sample(fraction=min(1.0, 1.2 * limit / rows), seed=7)
    table = chosen.orderBy(ORDER).limit(limit).toArrow()
    return dataset_from_table(_typed(table, names), config, source=f"{source} (FT rows)")
