"""Analysis inputs at their edges: missing values, weights, unreadable files, excluded columns."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from biaswatch.analysis import analyze, read_dataset
from biaswatch.analysis.aggregate import aggregate_dataset, aggregate_table
from biaswatch.analysis.columns import Column, DataType, converted_values
from biaswatch.analysis.dataset import dataset_from_table
from biaswatch.analysis.document import document_intervals
from biaswatch.analysis.intersections import single
from biaswatch.config import config_from_dict
from biaswatch.config.analysis import FacetConfig
from biaswatch.errors import ConfigError, EmptyWindowError, SchemaError
from biaswatch.metrics import MetricCode, MetricValue


def test_a_column_has_as_many_values_as_rows() -> None:
    assert len(Column.of("c", pa.chunked_array([[1, 2], [3]]))) == 3


def test_an_all_missing_column_has_no_uniqueness() -> None:
    assert Column.of("c", pa.array([None, None], pa.int64())).uniqueness() == 0.0
    weighted = Column.of("c", pa.array([None, 1, 2]), np.array([5, 0, 0], np.int64))
    assert weighted.uniqueness() == 0.0


def test_uniqueness_counts_weighted_rows() -> None:
    column = Column.of("c", pa.array([1, 2, None]), np.array([3, 1, 4], np.int64))
    assert column.uniqueness() == pytest.approx(2 / 4)


def test_a_boolean_column_is_categorical() -> None:
    column = Column.of("c", pa.array([True, False, True]))
    assert column.data_type(None, binary_is_categorical=False) is DataType.CATEGORICAL


def test_factorize_decodes_dictionaries_and_reads_nan_as_missing() -> None:
    dictionary = Column.of("c", pa.array(["b", "a", "b"]).dictionary_encode())
    found = dictionary.factorize()
    assert (found.codes.tolist(), found.uniques) == ([0, 1, 0], ("b", "a"))
    floats = Column.of("c", pa.array([1.5, math.nan, None, 1.5]))
    found = floats.factorize()
    assert found.codes.tolist() == [0, 1, 1, 0]
    assert found.uniques == (1.5, None)


def test_values_that_fit_no_number_type_do_not_convert() -> None:
    assert converted_values(["x"], float) is None
    assert converted_values(["x"], int) is None
    assert converted_values(["2.5"], int) == [2.5]


def test_aggregating_weighted_rows_sums_their_weights() -> None:
    table = pa.table({"s": ["b", "a", "b", "c"]})
    distinct, counts = aggregate_table(table, ["s"], np.array([2, 5, 3, 1]))
    assert distinct.column("s").to_pylist() == ["b", "a", "c"]
    assert counts.tolist() == [5, 5, 1]


def _jsonlines_config(**changes: Any) -> Any:
    return config_from_dict(
        {
            "dataset_type": "application/jsonlines",
            "features": "features",
            "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": 0}],
        }
        | changes
    )


def test_json_lines_features_must_be_a_list(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"features": [1, 2], "label": 1}\n{"features": {"a": 1}, "label": 0}\n')
    with pytest.raises(SchemaError, match="line 2: features 'features' is not a list") as caught:
        read_dataset(path, _jsonlines_config())
    assert (caught.value.line, caught.value.field) == (2, "features")


def test_json_lines_of_blank_lines_only_is_an_empty_dataset(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("\n  \n\n")
    with pytest.raises(EmptyWindowError, match="has no records"):
        read_dataset(path, _jsonlines_config())


def test_blank_lines_between_json_lines_records_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"features": [0, 2], "label": 1}\n\n{"features": [1, 3], "label": 0}\n')
    dataset = read_dataset(path, _jsonlines_config())
    assert dataset.table.column("feature_1").to_pylist() == [2, 3]


def test_json_lines_headers_must_name_the_features(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"features": [0, 2], "label": 1}\n')
    with pytest.raises(ConfigError, match="headers: 4 names for 2 features"):
        read_dataset(path, _jsonlines_config(headers=["a", "b", "c", "d"]))


def test_a_csv_that_is_not_utf8_is_a_schema_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"sex,label\n0,1\n\xff\xfe,0\n")
    config = config_from_dict(
        {"label": "label", "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex"}]}
    )
    with pytest.raises(SchemaError, match=r"x\.csv") as caught:
        read_dataset(path, config)
    assert caught.value.path == str(path)


def test_excluded_columns_are_left_out_of_the_flip_test(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    rows = [(i % 2, i % 7, f"n{i}", (i // 2) % 2, (i // 3) % 2) for i in range(40)]
    path.write_text(
        "sex,x,name,label,prediction\n"
        + "".join(f"{s},{x},{n},{y},{p}\n" for s, x, n, y, p in rows)
    )
    base = {
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "predicted_label": "prediction",
        "methods": {"post_training_bias": {"methods": ["FT"]}},
    }

    def flip_test(config: dict[str, Any]) -> Any:
        parsed = config_from_dict(config)
        result = analyze(read_dataset(path, parsed), parsed)
        assert result.post_training is not None
        [entry] = result.post_training.facets["sex"]
        found = entry.metric(MetricCode.FT)
        assert found is not None
        return found.value

    with_text = flip_test(base)
    assert with_text.error == "FlipTest does not support non-numeric columns"
    without_text = flip_test(base | {"excluded_columns": ["name"]})
    assert without_text.error is None
    assert -1 <= without_text.value <= 1


def test_intervals_with_an_undefined_bound_are_left_out() -> None:
    document = {
        "biaswatch": {
            "confidence_intervals": {
                "post_training_bias_metrics": {
                    "sex": [
                        {
                            "value_or_threshold": "0",
                            "metrics": {"DPPL": [0.1, 0.3], "DI": [None, 1.2]},
                        }
                    ]
                }
            }
        }
    }
    assert document_intervals(document) == {("post_training", "sex", "0", "DPPL"): (0.1, 0.3)}


def test_ft_of_a_facet_value_missing_from_its_sample_of_rows_is_an_error() -> None:
    rows = [("abc"[i % 3], i % 5, (i // 2) % 2, (i // 3) % 2) for i in range(60)]
    table = pa.table(
        {
            "sex": [r[0] for r in rows],
            "x": [r[1] for r in rows],
            "label": [r[2] for r in rows],
            "prediction": [r[3] for r in rows],
        }
    )
    config = config_from_dict(
        {
            "label": "label",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "sex"}],
            "predicted_label": "prediction",
            "methods": {"post_training_bias": {"methods": ["FT", "DPPL"]}},
        }
    )
    counted = aggregate_dataset(dataset_from_table(table, config), config)
    sample = dataset_from_table(table.filter(pc.not_equal(table.column("sex"), "c")), config)
    result = analyze(counted, config, ft_rows=sample)
    assert result.post_training is not None
    found = {}
    for entry in result.post_training.facets["sex"]:
        ft = entry.metric(MetricCode.FT)
        assert ft is not None
        found[entry.value_or_threshold] = ft.value
    assert found["c"] == MetricValue.failed("facet value c is not in FT's sample of rows")
    assert found["a"].defined
    assert found["b"].defined


def test_one_intersection_named_twice_is_combined_once() -> None:
    table = pa.table(
        {
            "sex": ["f", "m", "f", "m"] * 10,
            "race": ["x", "x", "y", "y"] * 10,
            "label": [1, 0, 0, 1] * 10,
        }
    )
    facet = {"name_or_index": ["sex", "race"], "value_or_threshold": ["f × x"]}
    config = config_from_dict(
        {
            "label": "label",
            "label_values_or_threshold": [1],
            "facet": [facet, facet],
            "methods": {"pre_training_bias": {"methods": "all"}},
        }
    )
    result = analyze(dataset_from_table(table, config), config)
    assert result.pre_training is not None
    assert list(result.pre_training.facets) == ["sex × race"]
    [first, second] = result.pre_training.facets["sex × race"]
    assert first.metrics == second.metrics


def test_a_facet_of_several_columns_must_be_combined_first() -> None:
    facet = FacetConfig(name_or_index=["sex", "race"])
    with pytest.raises(ConfigError, match="was not combined"):
        single(facet)
