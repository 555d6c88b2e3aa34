"""Reading datasets: CSV typed as pandas types it, with or without a header; JSON Lines; Parquet."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from biaswatch.analysis import analyze, dataset_from_table, read_dataset
from biaswatch.analysis.dataset import read_csv
from biaswatch.config import AnalysisConfig, config_from_dict
from biaswatch.errors import SchemaError

HEADERS = ["a", "b", "label"]


def test_csv_columns_are_typed_like_pandas(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("i,f,s,b,n,m\n1,1.5,x,True,,1\n2,2,y,false,NA,\n")
    table = read_csv(path, headers=None)
    assert table.schema.types == [
        pa.int64(), pa.float64(), pa.string(), pa.bool_(), pa.int64(), pa.int64(),
    ]  # fmt: skip
    assert table.column("b").to_pylist() == [True, False]
    assert table.column("n").null_count == 2
    assert table.column("m").to_pylist() == [1, None]


def test_csv_with_header_row_matching_the_config_headers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b,label\n1,2,3\n")
    assert read_csv(path, headers=HEADERS).num_rows == 1


def test_csv_without_header_row_takes_the_config_headers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("1,2,3\n4,5,6\n")
    table = read_csv(path, headers=HEADERS)
    assert table.column_names == HEADERS
    assert table.num_rows == 2


def test_csv_without_header_row_of_another_width(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("1,2\n")
    with pytest.raises(SchemaError, match="line 1: expected 3 fields"):
        read_csv(path, headers=HEADERS)


def test_csv_with_duplicate_header_names(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,a,label\n1,2,1\n")
    config = config_from_dict(
        {"label": "label", "label_values_or_threshold": [1], "facet": [{"name_or_index": "a"}]}
    )
    with pytest.raises(SchemaError, match=r"duplicate column names \['a'\]"):
        read_dataset(path, config)


def test_jsonlines_dataset(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    rows = [(0, 1, 1), (1, 0, 0), (0, 0, 1), (1, 1, 1), (1, 1, 0)] * 5
    path.write_text(
        "".join(
            f'{{"features": [{s}, {i}], "label": {y}, "out": {{"p": {p}}}}}\n'
            for i, (s, y, p) in enumerate(rows)
        )
    )
    config = config_from_dict(
        {
            "dataset_type": "application/jsonlines",
            "headers": ["sex", "id", "Target"],
            "features": "features",
            "label": "label",
            "predicted_label": "out.p",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        }
    )
    dataset = read_dataset(path, config)
    assert dataset.table.column_names == ["sex", "id", "Target", "out.p"]
    assert (dataset.label, dataset.predicted_label) == ("Target", "out.p")
    result = analyze(dataset, config)
    assert result.post_training is not None
    assert result.post_training.label == "Target"


def _minimal_jsonlines_config() -> AnalysisConfig:
    return config_from_dict(
        {
            "dataset_type": "application/jsonlines",
            "features": "features",
            "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": 0}],
        }
    )


def test_jsonlines_record_with_a_missing_feature(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"features": [1, 2], "label": 1}\n{"features": [1], "label": 0}\n')
    config = _minimal_jsonlines_config()
    with pytest.raises(SchemaError, match="line 2: expected 2 features, got 1"):
        read_dataset(path, config)


def test_jsonlines_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"features": [1, 2], "label": 1}\n{"features": [1, \n')
    config = _minimal_jsonlines_config()
    with pytest.raises(SchemaError, match="line 2: invalid JSON"):
        read_dataset(path, config)


def test_parquet_dataset_matches_the_same_csv(tmp_path: Path) -> None:
    csv = tmp_path / "x.csv"
    csv.write_text(
        "sex,group,label,prediction\n"
        + "".join(f"{'FM'[i % 2]},{i % 3},{i % 2},{(i // 3) % 2}\n" for i in range(40))
    )
    config = config_from_dict(
        {
            "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex"}],
            "group_variable": "group",
            "predicted_label": "prediction",
        }
    )
    from_csv = analyze(read_dataset(csv, config), config)
    parquet = tmp_path / "x.parquet"
    pq.write_table(read_csv(csv, headers=None), parquet)
    parquet_config = config.model_copy(update={"dataset_type": "application/x-parquet"})
    from_parquet = analyze(read_dataset(parquet, parquet_config), parquet_config)
    assert from_parquet.stages[0].facets.keys() == from_csv.stages[0].facets.keys()
    for a, b in zip(from_csv.stages, from_parquet.stages, strict=True):
        assert [m.value for f in a.facets["sex"] for m in f.metrics] == [
            m.value for f in b.facets["sex"] for m in f.metrics
        ]


def test_dataset_from_table_resolves_columns_by_index() -> None:
    table = pa.table({"s": ["a", "b"], "y": [1, 0], "p": [1, 1]})
    config = config_from_dict(
        {"label": 1, "predicted_label": 2, "label_values_or_threshold": [1],
         "facet": [{"name_or_index": 0}]}
    )  # fmt: skip
    dataset = dataset_from_table(table, config)
    assert (dataset.label, dataset.predicted_label) == ("y", "p")
