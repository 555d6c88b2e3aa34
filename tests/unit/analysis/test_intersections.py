"""Intersectional facets: one facet over several columns, one-vs-rest over their combinations."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from biaswatch.analysis import analysis_document, analyze, dataset_from_table
from biaswatch.analysis.aggregate import aggregate_dataset
from biaswatch.config import AnalysisConfig, config_from_dict
from biaswatch.errors import ConfigError

METHODS = {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}


def table() -> pa.Table:
    rng = np.random.default_rng(3)
    n = 3000
    return pa.table(
        {
            "sex": rng.choice(["Female", "Male"], n),
            "race": rng.choice(["A", "B", "C"], n),
            "x": rng.integers(0, 100, n),
            "label": rng.integers(0, 2, n),
            "prediction": rng.integers(0, 2, n),
        }
    )


def config(facet: object, values: list[str] | None = None) -> AnalysisConfig:
    entry: dict[str, object] = {"name_or_index": facet}
    if values is not None:
        entry["value_or_threshold"] = values
    return config_from_dict(
        {
            "label": "label",
            "predicted_label": "prediction",
            "label_values_or_threshold": [1],
            "facet": [entry],
            "group_variable": "x",
            "methods": METHODS,
        }
    )


def test_equals_a_column_of_the_combinations() -> None:
    # FT aside: an intersectional facet's columns are left out of FT's features, and a
    # hand-made text column could not be in them.
    data = table()
    pairs = zip(data["sex"].to_pylist(), data["race"].to_pylist(), strict=True)
    combined = [f"{s} × {r}" for s, r in pairs]
    by_hand = data.append_column("sex × race", pa.array(combined))
    manual = config("sex × race")
    expected = analysis_document(analyze(dataset_from_table(by_hand, manual), manual))
    crossed = config(["sex", "race"])
    actual = analysis_document(analyze(dataset_from_table(data, crossed), crossed))
    for document in (actual, expected):
        for entries in document["post_training_bias_metrics"]["facets"].values():
            for entry in entries:
                entry["metrics"] = [m for m in entry["metrics"] if m["name"] != "FT"]
    assert actual == expected
    entries = actual["post_training_bias_metrics"]["facets"]["sex × race"]
    assert len(entries) == 6
    assert {e["value_or_threshold"] for e in entries} == {
        f"{s} × {r}" for s in ("Female", "Male") for r in "ABC"
    }


def test_chosen_combinations_and_aggregation() -> None:
    data = table()
    chosen = config(["sex", "race"], ["Female × B", "Female × C"])
    rows = dataset_from_table(data, chosen)
    document = analysis_document(analyze(rows, chosen))
    (entry,) = document["pre_training_bias_metrics"]["facets"]["sex × race"]
    assert entry["value_or_threshold"] == "Female × B,Female × C"
    aggregated = analysis_document(analyze(aggregate_dataset(rows, chosen), chosen, ft_rows=rows))
    assert aggregated == document


def test_one_column_is_not_an_intersection() -> None:
    one = config(["sex"])
    with pytest.raises(ConfigError, match="needs two columns or more"):
        analyze(dataset_from_table(table(), one), one)
