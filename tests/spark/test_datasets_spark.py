"""engine=spark on a dataset file: Parquet as CSV, and a dataset without rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from biaswatch.analysis import analysis_document, analyze, read_dataset
from biaswatch.config import config_from_dict
from biaswatch.errors import EmptyWindowError
from biaswatch.spark import analyze_with_spark

ROWS = [(i % 3 == 0, 20 + i % 40, (i // 2) % 2, (i // 3) % 2) for i in range(120)]
CONFIG = {
    "headers": ["sex", "age", "label", "prediction"],
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
    "predicted_label": "prediction",
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}},
}


def test_a_parquet_dataset_gives_the_local_engines_analysis(tmp_path: Path, spark: Any) -> None:
    path = tmp_path / "data.parquet"
    table = pa.table(
        {
            "sex": [int(s) for s, *_ in ROWS],
            "age": [a for _, a, *_ in ROWS],
            "label": [y for *_, y, _ in ROWS],
            "prediction": [p for *_, p in ROWS],
        }
    )
    pq.write_table(table, path)
    config = config_from_dict(CONFIG | {"dataset_type": "application/x-parquet"})
    local = analyze(read_dataset(path, config), config)
    counted = analyze_with_spark(spark, str(path), config)
    assert analysis_document(counted) == analysis_document(local)


def test_a_dataset_without_rows_is_empty(tmp_path: Path, spark: Any) -> None:
    path = tmp_path / "data.csv"
    path.write_text("sex,age,label,prediction\n")
    with pytest.raises(EmptyWindowError, match="has no rows"):
        analyze_with_spark(spark, str(path), config_from_dict(CONFIG))


def test_pre_training_metrics_alone_need_no_rows_for_ft(tmp_path: Path, spark: Any) -> None:
    path = tmp_path / "data.csv"
    path.write_text(
        "sex,age,label,prediction\n" + "".join(f"{int(s)},{a},{y},{p}\n" for s, a, y, p in ROWS)
    )
    config = config_from_dict(CONFIG | {"methods": {"pre_training_bias": {"methods": "all"}}})
    local = analyze(read_dataset(path, config), config)
    counted = analyze_with_spark(spark, str(path), config)
    assert counted.post_training is None
    assert analysis_document(counted) == analysis_document(local)
