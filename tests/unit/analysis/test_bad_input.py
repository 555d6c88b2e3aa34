"""Bad input fails fast with an error that names the field and the value at fault."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import run_cli

from biaswatch.analysis import analyze, read_dataset
from biaswatch.config import config_from_dict, parse_analysis_config
from biaswatch.errors import (
    ConfigError,
    ConfigMismatchError,
    DataError,
    EmptyWindowError,
    SchemaError,
    UnknownMetricError,
)

CSV = "age,sex,group,label,prediction\n" + "".join(
    f"{20 + i},{'F' if i % 3 == 0 else 'M'},{i % 4},{i % 2},{(i // 2) % 2}\n" for i in range(60)
)


def _config(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "dataset_type": "text/csv",
        "label": "label",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": ["F"]}],
        "group_variable": "group",
        "predicted_label": "prediction",
    }
    config.update(changes)
    return config


def _run(tmp_path: Path, config: dict[str, Any], csv: str = CSV) -> None:
    path = tmp_path / "data.csv"
    path.write_text(csv)
    parsed = config_from_dict(config)
    analyze(read_dataset(path, parsed), parsed)


def test_the_fixture_itself_is_fine(tmp_path: Path) -> None:
    _run(tmp_path, _config())


def test_unknown_facet_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigMismatchError, match="'gender'") as caught:
        _run(tmp_path, _config(facet=[{"name_or_index": "gender"}]))
    assert (caught.value.field, caught.value.value) == ("facet[0].name_or_index", "gender")


def test_facet_index_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(ConfigMismatchError) as caught:
        _run(tmp_path, _config(facet=[{"name_or_index": 9}]))
    assert (caught.value.field, caught.value.value) == ("facet[0].name_or_index", 9)


def test_unknown_label_column(tmp_path: Path) -> None:
    with pytest.raises(ConfigMismatchError, match="'target'") as caught:
        _run(tmp_path, _config(label="target"))
    assert (caught.value.field, caught.value.value) == ("label", "target")


def test_label_values_absent_from_the_data(tmp_path: Path) -> None:
    with pytest.raises(ConfigMismatchError, match=r"\['yes'\]") as caught:
        _run(tmp_path, _config(label_values_or_threshold=["yes"]))
    assert (caught.value.field, caught.value.value) == ("label_values_or_threshold", ["yes"])


def test_a_label_threshold_above_every_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigMismatchError, match="threshold"):
        _run(tmp_path, _config(label="age", label_values_or_threshold=[500], methods={
            "pre_training_bias": {"methods": "all"}}))  # fmt: skip


def test_facet_value_absent(tmp_path: Path) -> None:
    with pytest.raises(ConfigMismatchError, match=r"\['X'\].*'F', 'M'") as caught:
        _run(tmp_path, _config(facet=[{"name_or_index": "sex", "value_or_threshold": ["X"]}]))
    assert (caught.value.field, caught.value.value) == ("facet[0].value_or_threshold", ["X"])


def test_facet_value_absent_is_an_empty_facet_when_not_strict(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(CSV)
    config = config_from_dict(
        _config(facet=[{"name_or_index": "sex", "value_or_threshold": ["X"]}])
    )
    result = analyze(read_dataset(path, config), config, strict=False)
    assert result.post_training is not None
    entry = result.post_training.facets["sex"][0]
    assert entry.value_or_threshold == "X"
    di = next(m for m in entry.metrics if m.code == "DI")
    assert di.value.error == "Facet set is empty"


def test_malformed_config_json() -> None:
    with pytest.raises(ConfigError, match=r"line 2, column") as caught:
        parse_analysis_config('{"label": "label",\n "facet": [}')
    assert caught.value.field is None


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"label_values_or_threshold": []}, "label_values_or_threshold", []),
        ({"facet": [{"name_or_index": 1.5}]}, "facet[0].name_or_index", 1.5),
        ({"dataset_type": "text/xml"}, "dataset_type", "text/xml"),
        (
            {"facet": [{"name_or_index": "sex", "value_or_threshold": []}]},
            "facet[0].value_or_threshold",
            [],
        ),
        ({"probability_threshold": "high"}, "probability_threshold", "high"),
    ],
)
def test_invalid_config_values_name_field_and_value(
    change: dict[str, Any], field: str, value: object
) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict(_config(**change))
    assert (caught.value.field, caught.value.value) == (field, value)
    assert field in str(caught.value)


def test_config_without_label() -> None:
    config = _config()
    del config["label"]
    with pytest.raises(ConfigError, match="'label' is required"):
        config_from_dict(config)


def test_empty_dataset_file(tmp_path: Path) -> None:
    with pytest.raises(EmptyWindowError):
        _run(tmp_path, _config(), csv="")


def test_dataset_with_a_header_and_no_rows(tmp_path: Path) -> None:
    with pytest.raises(EmptyWindowError, match="no rows"):
        _run(tmp_path, _config(), csv="age,sex,group,label,prediction\n")


def test_non_numeric_threshold_for_a_continuous_facet(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'forty'") as caught:
        _run(tmp_path, _config(facet=[{"name_or_index": "age", "value_or_threshold": ["forty"]}]))
    assert (caught.value.field, caught.value.value) == ("facet[0].value_or_threshold", "forty")


def test_continuous_facet_without_threshold(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="threshold values must be provided"):
        _run(tmp_path, _config(facet=[{"name_or_index": "age"}]))


def test_csv_row_with_the_wrong_number_of_fields(tmp_path: Path) -> None:
    lines = CSV.splitlines()
    lines[7] = "27,M,3,1"
    with pytest.raises(SchemaError, match="line 8: expected 5 fields, got 4") as caught:
        _run(tmp_path, _config(), csv="\n".join(lines) + "\n")
    assert caught.value.line == 8


def test_unknown_metric_code(tmp_path: Path) -> None:
    methods = {"post_training_bias": {"methods": ["DPPL", "DCAcc"]}}
    with pytest.raises(UnknownMetricError, match="'DCAcc'") as caught:
        _run(tmp_path, _config(methods=methods))
    assert caught.value.value == "DCAcc"


def test_metric_of_the_other_stage(tmp_path: Path) -> None:
    with pytest.raises(UnknownMetricError, match="'CI' is not a post-training metric"):
        _run(tmp_path, _config(methods={"post_training_bias": {"methods": ["CI"]}}))


def test_post_training_without_predictions(tmp_path: Path) -> None:
    config = _config()
    del config["predicted_label"]
    with pytest.raises(ConfigError, match="predicted_label"):
        _run(tmp_path, config)


def test_no_positive_prediction(tmp_path: Path) -> None:
    csv = "".join(line.rsplit(",", 1)[0] + ",0\n" for line in CSV.splitlines()[1:])
    csv = CSV.splitlines()[0] + "\n" + csv
    with pytest.raises(DataError, match="Positive Predicted Index Series contains all False"):
        _run(tmp_path, _config(), csv=csv)


def test_prediction_of_another_type_than_the_label(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="datatype is not the same"):
        _run(tmp_path, _config(predicted_label="age", label_values_or_threshold=[1]))


def _analyze_cli(folder: Path, dataset: str) -> int:
    return run_cli(
        [
            "analyze",
            *("--analysis-config", str(folder / "config.json")),
            *("--dataset", str(folder / dataset)),
            *("--output-dir", str(folder / "out")),
        ]
    )


def test_cli_reports_config_errors_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.json").write_text('{"label": "label", "facet": [}')
    (tmp_path / "data.csv").write_text(CSV)
    assert _analyze_cli(tmp_path, "data.csv") == 2
    assert "not valid JSON (line 1, column" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_reports_a_config_that_does_not_fit_the_dataset_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(_config(label="target")))
    (tmp_path / "data.csv").write_text(CSV)
    assert _analyze_cli(tmp_path, "data.csv") == 2
    assert "label = 'target': no such column" in capsys.readouterr().err


def test_cli_reports_data_errors_with_exit_code_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.json").write_text(json.dumps(_config()))
    (tmp_path / "data.csv").write_text(CSV.replace("\n20,F,0,0,0\n", "\n20,F,0\n"))
    assert _analyze_cli(tmp_path, "data.csv") == 1
    assert "expected 5 fields, got 3" in capsys.readouterr().err


def test_cli_missing_dataset_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.json").write_text(json.dumps(_config()))
    assert _analyze_cli(tmp_path, "nope.csv") == 2
    assert "Invalid value for '--dataset'" in capsys.readouterr().err
