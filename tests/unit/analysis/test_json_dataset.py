"""Clarify's ``application/json`` datasets: one JSON document, read by JMESPaths over it.

The shape is AWS's JSON bias-monitoring example: ``{"instances": [{"features": [...],
"label": 0}, ...]}`` with ``features = "instances[*].features"`` and ``label =
"instances[*].label"``. The same records as JSON Lines must give the same table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from biaswatch.analysis import analysis_document, analyze, read_dataset
from biaswatch.config import AnalysisConfig, config_from_dict
from biaswatch.errors import ConfigError, EmptyWindowError, SchemaError

FEATURES = "instances[*].features"
LABEL = "instances[*].label"


def _config(**changes: Any) -> AnalysisConfig:
    base: dict[str, Any] = {
        "dataset_type": "application/json",
        "features": FEATURES,
        "label": LABEL,
        "headers": ["age", "sex", "Target"],
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}},
    }
    return config_from_dict(base | changes)


def _write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


def _instances(records: list[tuple[list[Any], Any]]) -> dict[str, Any]:
    return {"instances": [{"features": f, "label": y} for f, y in records]}


RECORDS = [([30 + i, i % 2], (i // 2) % 2) for i in range(8)]


def test_the_aws_example_shape(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", _instances(RECORDS))
    dataset = read_dataset(path, _config())
    assert dataset.table.column_names == ["age", "sex", "Target"]
    assert dataset.label == "Target"
    assert (dataset.predicted_label, dataset.probability) == (None, None)
    assert dataset.table.column("age").to_pylist() == [30 + i for i in range(8)]
    assert dataset.table.column("Target").to_pylist() == [0, 0, 1, 1, 0, 0, 1, 1]
    result = analyze(dataset, _config())
    assert result.pre_training is not None
    [entry] = result.pre_training.facets["sex"]
    assert {m.code.value: m.value.value for m in entry.metrics} == {"CI": 0.0, "DPL": 0.0}


def test_without_headers_the_columns_are_numbered_and_the_label_is_its_path(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path / "d.json", _instances(RECORDS))
    dataset = read_dataset(path, _config(headers=None, facet=[{"name_or_index": 1}]))
    assert dataset.table.column_names == ["feature_0", "feature_1", LABEL]
    named = read_dataset(path, _config(headers=["age", "sex"]))
    assert named.table.column_names == ["age", "sex", LABEL]
    assert named.label == LABEL


def test_predictions_and_scores_by_their_paths(tmp_path: Path) -> None:
    document = {
        "instances": [{"features": f, "label": y, "predicted_label": 1 - y} for f, y in RECORDS],
        "predictions": [{"score": 0.1 * i} for i in range(8)],
    }
    path = _write(tmp_path / "d.json", document)
    config = _config(
        predicted_label="instances[*].predicted_label", probability="predictions[*].score"
    )
    dataset = read_dataset(path, config)
    assert dataset.table.column_names == [
        "age",
        "sex",
        "Target",
        "instances[*].predicted_label",
        "predictions[*].score",
    ]
    assert dataset.predicted_label == "instances[*].predicted_label"
    assert dataset.probability == "predictions[*].score"
    assert dataset.table.column("instances[*].predicted_label").to_pylist() == [
        1 - y for _, y in RECORDS
    ]
    assert dataset.table.column("predictions[*].score").to_pylist()[3] == pytest.approx(0.3)


def test_a_record_without_a_label_is_a_count_mismatch(tmp_path: Path) -> None:
    document = _instances(RECORDS)
    del document["instances"][2]["label"]
    path = _write(tmp_path / "d.json", document)
    with pytest.raises(SchemaError) as caught:
        read_dataset(path, _config())
    assert str(caught.value) == (
        f"{path}: label 'instances[*].label' gives 7 values for 8 records (features"
        " 'instances[*].features'); it must give one value per record (a JMESPath projection"
        " leaves out records whose value is missing or null)"
    )
    assert (caught.value.field, caught.value.value, caught.value.path) == (
        "label",
        LABEL,
        str(path),
    )


def test_more_scores_than_records(tmp_path: Path) -> None:
    document = _instances(RECORDS) | {"predictions": [{"score": 0.5}] * 9}
    path = _write(tmp_path / "d.json", document)
    with pytest.raises(SchemaError, match=r"probability 'predictions\[\*\]\.score' gives 9 values"):
        read_dataset(path, _config(probability="predictions[*].score"))


@pytest.mark.parametrize(
    ("document", "gives"),
    [
        ({"rows": []}, "nothing (no such path in the document)"),
        ({"instances": {"features": [1, 2]}}, "nothing (no such path in the document)"),
        ({"instances": [{"features": 1}]}, "1 value"),
    ],
)
def test_features_that_are_not_rows(tmp_path: Path, document: Any, gives: str) -> None:
    path = _write(tmp_path / "d.json", document)
    with pytest.raises(SchemaError) as caught:
        read_dataset(path, _config())
    assert str(caught.value) == (
        f"{path}: features 'instances[*].features' must give a list of records, each a list of"
        f" feature values; it gives {gives}"
    )
    assert caught.value.field == "features"


def test_a_label_path_that_gives_one_value(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", _instances(RECORDS) | {"meta": {"label": 1}})
    with pytest.raises(SchemaError) as caught:
        read_dataset(path, _config(label="meta.label"))
    assert "label 'meta.label' gives a single int value (not a list) for 8 records" in str(
        caught.value
    )


def test_records_of_another_width(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", _instances([([1, 0], 1), ([2, 0, 5], 0)]))
    with pytest.raises(SchemaError, match=r"d\.json, record 2: expected 2 features, got 3"):
        read_dataset(path, _config())


def test_no_records(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", {"instances": []})
    with pytest.raises(EmptyWindowError, match="has no records"):
        read_dataset(path, _config())


def test_a_document_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"instances": [\n  {"features": [1, 0], "label": 1},\n  oops]}')
    with pytest.raises(SchemaError, match=r"invalid JSON \(line 3, column 3\)") as caught:
        read_dataset(path, _config())
    assert caught.value.line == 3


def test_an_invalid_jmespath_is_a_config_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", _instances(RECORDS))
    with pytest.raises(ConfigError) as caught:
        read_dataset(path, _config(features="instances[*.features"))
    assert str(caught.value).startswith(
        "features = 'instances[*.features' is not a valid JMESPath expression:"
    )
    assert (caught.value.field, caught.value.value) == ("features", "instances[*.features")


def test_a_label_header_that_repeats_a_feature_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "d.json", _instances(RECORDS))
    with pytest.raises(SchemaError, match=r"duplicate column names \['sex'\]"):
        read_dataset(path, _config(headers=["age", "sex", "sex"]))


def test_application_json_needs_a_features_path() -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict(
            {
                "dataset_type": "application/json",
                "label": LABEL,
                "label_values_or_threshold": [1],
                "facet": [{"name_or_index": 0}],
            }
        )
    assert "'features' (a JMESPath) is required for application/json" in str(caught.value)


VALUE = st.one_of(
    st.integers(-5, 5), st.floats(-10, 10, allow_nan=False), st.sampled_from(["a", "b", "c"])
)


@st.composite
def records(draw: st.DrawFn) -> list[tuple[list[Any], Any, float]]:
    width = draw(st.integers(1, 4))
    # A column holds one JSON type, as a real dataset's does.
    kinds = [draw(VALUE.map(type)) for _ in range(width)]
    cell = {
        int: st.integers(-5, 5),
        float: st.floats(-10, 10, allow_nan=False),
        str: st.sampled_from(["a", "b", "c"]),
    }
    row = st.tuples(*(cell[kind] for kind in kinds)).map(list)
    return draw(
        st.lists(
            st.tuples(row, st.integers(0, 2), st.floats(0, 1, allow_nan=False)),
            min_size=1,
            max_size=30,
        )
    )


@given(records())
def test_a_json_document_reads_as_the_same_records_in_json_lines(
    tmp_path_factory: pytest.TempPathFactory, found: list[tuple[list[Any], Any, float]]
) -> None:
    folder = tmp_path_factory.mktemp("same")
    width = len(found[0][0])
    headers = [f"f{i}" for i in range(width)] + ["Target"]
    lines = folder / "d.jsonl"
    lines.write_text(
        "".join(json.dumps({"features": f, "label": y, "score": p}) + "\n" for f, y, p in found)
    )
    document = _write(
        folder / "d.json",
        {"instances": [{"features": f, "label": y, "score": p} for f, y, p in found]},
    )
    common = {
        "headers": headers,
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "f0"}],
    }
    from_lines = read_dataset(
        lines,
        config_from_dict(
            common
            | {
                "dataset_type": "application/jsonlines",
                "features": "features",
                "label": "label",
                "probability": "score",
            }
        ),
    )
    from_document = read_dataset(
        document,
        config_from_dict(
            common
            | {
                "dataset_type": "application/json",
                "features": FEATURES,
                "label": LABEL,
                "probability": "instances[*].score",
            }
        ),
    )
    # The same columns, typed alike; only the score's column name (its JMESPath) differs.
    assert from_document.table.rename_columns(from_lines.table.column_names).equals(
        from_lines.table
    )
    assert from_document.label == from_lines.label == "Target"
    assert (from_lines.probability, from_document.probability) == ("score", "instances[*].score")


def test_a_json_document_analyses_as_its_csv(tmp_path: Path) -> None:
    rows = [(20 + i % 30, "ab"[i % 2], (i * 7) % 3 == 0, (i * 5) % 3 == 0) for i in range(90)]
    csv = tmp_path / "d.csv"
    csv.write_text(
        "age,sex,Target,prediction\n"
        + "".join(f"{a},{s},{int(y)},{int(p)}\n" for a, s, y, p in rows)
    )
    document = _write(
        tmp_path / "d.json",
        {
            "instances": [{"features": [a, s], "label": int(y)} for a, s, y, _ in rows],
            "predictions": [{"predicted_label": int(p)} for *_, p in rows],
        },
    )
    shared: dict[str, Any] = {
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": ["a"]}],
        "group_variable": "age",
    }
    from_csv = config_from_dict(shared | {"label": "Target", "predicted_label": "prediction"})
    from_json = config_from_dict(
        shared
        | {
            "dataset_type": "application/json",
            "features": FEATURES,
            "label": LABEL,
            "headers": ["age", "sex", "Target"],
            "predicted_label": "predictions[*].predicted_label",
        }
    )
    expected = analysis_document(analyze(read_dataset(csv, from_csv), from_csv))
    actual = analysis_document(analyze(read_dataset(document, from_json), from_json))
    assert actual == expected
