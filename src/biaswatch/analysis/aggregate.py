"""Aggregated datasets: the distinct combinations of the columns an analysis reads, with counts.

Every metric but FT depends on a row only through its label, its model output, its facet values
and its group, so a dataset can be reduced to the distinct combinations of those columns, each
with the number of rows it stands for (its weight) — in first-appearance order, which keeps
Clarify's one-vs-rest entry order. The Spark engine builds such a table on the cluster; this
module builds it locally and says which columns it needs.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from biaswatch.analysis.dataset import Dataset, dataset_from_table, resolve_name
from biaswatch.config import AnalysisConfig

__all__ = ["aggregate_dataset", "aggregate_table", "analysed_columns", "analysed_names"]

ROW = "__biaswatch_row"


def analysed_columns(dataset: Dataset, config: AnalysisConfig) -> list[str]:
    """The columns the analysis reads besides FT's features, in the table's order."""
    return analysed_names(dataset.table.column_names, config)


def analysed_names(names: list[str], config: AnalysisConfig) -> list[str]:
    """Of the column ``names``, those the analysis reads besides FT's features, in order."""
    refs = [
        ("label", config.label_column),
        ("predicted_label", config.predicted_label),
        ("probability", config.probability),
        ("group_variable", config.group_variable),
    ]
    for index, facet in enumerate(config.facet):
        parts = (
            facet.name_or_index if isinstance(facet.name_or_index, list) else [facet.name_or_index]
        )
        refs += [(f"facet[{index}].name_or_index", part) for part in parts]
    wanted = {resolve_name(names, ref, field=field) for field, ref in refs if ref is not None}
    return [name for name in names if name in wanted]


def aggregate_table(
    table: pa.Table, columns: list[str], weights: np.ndarray | None = None
) -> tuple[pa.Table, np.ndarray]:
    """The distinct rows of ``table[columns]`` in first-appearance order, and their counts.

    Examples
    --------
    >>> distinct, counts = aggregate_table(pa.table({"s": ["b", "a", "b"]}), ["s"])
    >>> distinct.column("s").to_pylist(), counts.tolist()
    (['b', 'a'], [2, 1])
    """
    numbered = table.select(columns).append_column(ROW, pa.array(np.arange(table.num_rows)))
    if weights is not None:
        numbered = numbered.append_column("__weight", pa.array(weights, pa.int64()))
        counting = ("__weight", "sum")
    else:
        counting = (ROW, "count")
    grouped = numbered.group_by(columns, use_threads=False).aggregate([(ROW, "min"), counting])
    order = pc.sort_indices(grouped.column(f"{ROW}_min"))
    grouped = grouped.take(order)
    counts = np.asarray(grouped.column(f"{counting[0]}_{counting[1]}").to_numpy(), np.int64)
    return grouped.select(columns), counts


def aggregate_dataset(dataset: Dataset, config: AnalysisConfig) -> Dataset:
    """``dataset`` reduced to its analysed columns' distinct rows, weighted by their counts."""
    distinct, counts = aggregate_table(dataset.table, analysed_columns(dataset, config))
    return dataset_from_table(distinct, config, source=dataset.source, weights=counts)
