"""Configs and datasets as SageMaker's SDK and AWS's examples make them, end to end.

Through ``biaswatch analyze`` and through the SageMaker-shaped Python API
(``ModelBiasMonitor.suggest_baseline``). The configs are verbatim output of the SageMaker SDK
(2.257.7: ``_AnalysisConfigGenerator.bias`` and ``BiasAnalysisConfig._to_dict()``) for the
adult example's headers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import run_cli

from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
from biaswatch.examples import example_path
from biaswatch.model_monitor import BiasAnalysisConfig, ModelBiasMonitor
from biaswatch.store import Store

ADULT = example_path("adult")
HEADERS = json.loads((ADULT / "analysis_config.json").read_text())["headers"]
RECORDS = [json.loads(line) for line in (ADULT / "validation.jsonl").read_text().splitlines()]
METHODS = {
    "report": {"name": "report", "title": "Analysis Report"},
    "pre_training_bias": {"methods": "all"},
    "post_training_bias": {"methods": "all"},
}
BIAS = {
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
    "group_variable": "Age",
}
# DataConfig(..., dataset_type="application/jsonlines", predicted_label="score") with
# ModelPredictedLabelConfig(probability_threshold=0.6) and no model.
SDK_THRESHOLD = {
    "dataset_type": "application/jsonlines",
    "features": "features",
    "headers": HEADERS,
    "label": "label",
    "predicted_label": "score",
    **BIAS,
    "methods": METHODS,
    "probability_threshold": 0.6,
}
# ModelConfig(model_name="m", instance_count=1, instance_type="ml.m5.xlarge",
# accept_type="text/csv", content_type="text/csv") with probability_threshold=0.8.
SDK_MODEL = {
    "dataset_type": "application/jsonlines",
    "features": "features",
    "headers": HEADERS,
    "label": "label",
    **BIAS,
    "methods": METHODS,
    "predictor": {
        "model_name": "m",
        "instance_type": "ml.m5.xlarge",
        "initial_instance_count": 1,
        "accept_type": "text/csv",
        "content_type": "text/csv",
    },
    "probability_threshold": 0.8,
}
# DataConfig(..., dataset_type="application/json", features="instances[*].features",
# label="instances[*].label", predicted_label="instances[*].predicted_label").
SDK_JSON = {
    "dataset_type": "application/json",
    "features": "instances[*].features",
    "headers": HEADERS,
    "label": "instances[*].label",
    "predicted_label": "instances[*].predicted_label",
    **BIAS,
    "methods": METHODS,
}


def _analyze(tmp_path: Path, config: dict[str, Any], dataset: Path, name: str) -> int:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(config))
    arguments = ["--analysis-config", str(path), "--dataset", str(dataset)]
    return run_cli(["analyze", *arguments, "--output-dir", str(tmp_path / name)])


def _result(tmp_path: Path, name: str) -> Any:
    return json.loads((tmp_path / name / "analysis.json").read_text())


def _document(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    """The records as one JSON document, shaped as AWS's JSON bias-monitoring example."""
    path.write_text(json.dumps({"instances": list(records)}))
    return path


def test_the_sdks_json_dataset_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = _document(tmp_path / "adult.json", RECORDS)
    assert _analyze(tmp_path, SDK_JSON, dataset, "json") == 0
    reference = json.loads((ADULT / "analysis_config.json").read_text())
    assert _analyze(tmp_path, reference, ADULT / "validation.jsonl", "jsonl") == 0
    assert _result(tmp_path, "json") == _result(tmp_path, "jsonl")
    assert _result(tmp_path, "json")["pre_training_bias_metrics"]["label"] == "Target"
    assert "Analysed 666 rows" in capsys.readouterr().out


def test_a_json_document_whose_lists_disagree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = [dict(r) for r in RECORDS[:50]]
    records[7]["label"] = None  # the projection instances[*].label leaves it out
    dataset = _document(tmp_path / "d.json", records)
    assert _analyze(tmp_path, SDK_JSON, dataset, "out") == 1
    assert capsys.readouterr().err.strip().replace("\n", "") == (
        f"error: {dataset}: label 'instances[*].label' gives 49 values for 50 records (features"
        " 'instances[*].features'); it must give one value per record (a JMESPath projection"
        " leaves out records whose value is missing or null)"
    )


def test_a_score_column_as_predicted_label_with_probability_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = ADULT / "validation.jsonl"
    assert _analyze(tmp_path, SDK_THRESHOLD, dataset, "sdk") == 0
    equivalent = SDK_THRESHOLD | {"probability": "score"}
    del equivalent["predicted_label"]
    assert _analyze(tmp_path, equivalent, dataset, "probability") == 0
    sdk = _result(tmp_path, "sdk")
    assert sdk == _result(tmp_path, "probability")
    # score > 0.6: 84 of the 666 rows; women (d, Sex 0) 8 of 210, men 76 of 456.
    positive = [r["score"] > 0.6 for r in RECORDS]
    women = [p for p, r in zip(positive, RECORDS, strict=True) if r["features"][9] == 0]
    men = [p for p, r in zip(positive, RECORDS, strict=True) if r["features"][9] == 1]
    [entry] = sdk["post_training_bias_metrics"]["facets"]["Sex"]
    dppl = next(m for m in entry["metrics"] if m["name"] == "DPPL")
    assert (sum(women), len(women), sum(men), len(men)) == (8, 210, 76, 456)
    assert dppl["value"] == 76 / 456 - 8 / 210
    assert capsys.readouterr().err == ""


def test_without_probability_threshold_the_score_column_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = dict(SDK_THRESHOLD)
    del config["probability_threshold"]
    assert _analyze(tmp_path, config, ADULT / "validation.jsonl", "out") == 1
    assert capsys.readouterr().err.strip() == (
        "error: predicted label column 'score' is continuous but label column is categorical:"
        " Predicted Label Column series datatype is not the same as Label Column series"
    )


def test_a_predictor_block_naming_a_sagemaker_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _analyze(tmp_path, SDK_MODEL, ADULT / "validation.jsonl", "out") == 2
    err = capsys.readouterr().err.replace("\n", "")
    assert err.startswith(
        'error: predictor = {"model_name":"m","instance_type":"ml.m5.xlarge",'
        '"initial_instance_count":1,"...: the \'predictor\' block names a SageMaker model to'
        " make the predictions of the post-training metrics, and biaswatch cannot call a"
        " SageMaker model. Put the model's predictions in the dataset and name their column"
        " 'predicted_label'"
    )
    assert not (tmp_path / "out").exists()


def test_a_predictor_block_is_ignored_when_the_dataset_has_predictions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_block = SDK_MODEL | {"predicted_label": "predicted_label"}
    assert _analyze(tmp_path, with_block, ADULT / "validation.jsonl", "block") == 0
    assert capsys.readouterr().err.strip() == (
        "note: the analysis config's 'predictor' block (a SageMaker model) is ignored: the"
        " predictions come from the dataset's column 'predicted_label'"
    )
    without = {k: v for k, v in with_block.items() if k != "predictor"}
    assert _analyze(tmp_path, without, ADULT / "validation.jsonl", "plain") == 0
    assert _result(tmp_path, "block") == _result(tmp_path, "plain")


def test_the_monitors_config_on_a_json_lines_dataset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bias = BiasConfig([1], "Sex", [0], group_name="Age")
    config = BiasAnalysisConfig(bias, headers=HEADERS, label="Target")._to_dict()
    assert "dataset_type" not in config
    dataset = ADULT / "validation.jsonl"
    assert _analyze(tmp_path, config, dataset, "out") == 2
    assert capsys.readouterr().err.strip().replace("\n", "") == (
        f"error: dataset {str(dataset)!r} looks like JSON Lines (its first line is a JSON"
        " object), but the analysis config's dataset_type is 'text/csv' (the default when it is"
        ' not set): set "dataset_type": "application/jsonlines" (or "application/json" for one'
        ' JSON document) and "features", the JMESPath of the features in each record (e.g.'
        ' "features"), and give "label" as a JMESPath too'
    )


def _small(tmp_path: Path) -> Path:
    """20 rows: an integer 0/1 facet and label, and a 0/1 prediction."""
    path = tmp_path / "small.csv"
    rows = [(i % 2, (i // 3) % 2, (i // 2) % 2, "ab"[i % 4 // 2]) for i in range(20)]
    path.write_text(
        "sex,label,prediction,group\n" + "".join(f"{s},{y},{p},{g}\n" for s, y, p, g in rows)
    )
    return path


def test_a_threshold_on_a_small_binary_label_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {
        "label": "label",
        "predicted_label": "prediction",
        "label_values_or_threshold": [0.5],
        "facet": [{"name_or_index": "group", "value_or_threshold": ["a"]}],
    }
    assert _analyze(tmp_path, config, _small(tmp_path), "half") == 0
    assert capsys.readouterr().err.strip().replace("\n", "") == (
        "warning: label_values_or_threshold = [0.5]: label column 'label' holds only 0 and 1 and"
        " is categorical, so 0.5 is not a threshold: it is converted to the column's type and"
        " matched, which makes the label 0 positive. Write the positive label itself: [1] (or"
        " [0]). (SageMaker Clarify reads this config as 'label > 0.5' when the column has 40"
        " rows or fewer, and as biaswatch does above that; see"
        " docs/decisions/0002-binary-labels-are-categorical.md.)"
    )
    assert (
        _analyze(tmp_path, config | {"label_values_or_threshold": [0]}, _small(tmp_path), "zero")
        == 0
    )
    half, zero = _result(tmp_path, "half"), _result(tmp_path, "zero")
    for section in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        assert half[section]["facets"] == zero[section]["facets"]
    assert capsys.readouterr().err == ""


def test_a_facet_threshold_that_selects_no_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = {
        "label": "label",
        "predicted_label": "prediction",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
    }
    assert _analyze(tmp_path, config, _small(tmp_path), "out") == 2
    assert capsys.readouterr().err.strip().replace("\n", "") == (
        "error: facet[0].value_or_threshold = [1]: no row of facet column 'sex' is above the"
        " threshold, so the sensitive group d is empty. The column is read as continuous"
        " (Clarify's rule for floats, and for integers with at least 5 % distinct values), and"
        " a threshold t selects the rows whose value is > t: its values range from 0 to 1;"
        " choose a threshold below 1 ([0] makes d the rows whose value is 1)"
    )
    fixed = config | {"facet": [{"name_or_index": "sex", "value_or_threshold": [0]}]}
    assert _analyze(tmp_path, fixed, _small(tmp_path), "fixed") == 0
    [entry] = _result(tmp_path, "fixed")["pre_training_bias_metrics"]["facets"]["sex"]
    assert entry["value_or_threshold"] == "(0, 1]"


# ---------------------------------------------------------------- the Python API

T = datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.fixture
def monitor(tmp_path: Path) -> ModelBiasMonitor:
    return ModelBiasMonitor(store=Store.open(f"sqlite:///{tmp_path / 's.db'}"), clock=lambda: T)


def _constraints(monitor: ModelBiasMonitor) -> Any:
    """The latest baseline's ``analysis.json``."""
    found = monitor.suggested_constraints()
    assert found is not None
    return found.body_dict


def _rule(row: Sequence[Any]) -> int:
    """A model: age over 40 and more than 12 years of education."""
    return int(row[0] > 40 and row[4] > 12)


def test_a_json_baseline_with_a_python_predictor(monitor: ModelBiasMonitor, tmp_path: Path) -> None:
    dataset = _document(
        tmp_path / "adult.json", [{"features": r["features"], "label": r["label"]} for r in RECORDS]
    )
    asked: list[list[Any]] = []

    def predictor(rows: list[list[Any]]) -> list[int]:
        asked.extend(rows)
        return [_rule(row) for row in rows]

    bias = BiasConfig([1], "Sex", [0], group_name="Age")
    monitor.suggest_baseline(
        data_config=DataConfig(
            str(dataset),
            str(tmp_path / "json-out"),
            label="instances[*].label",
            headers=HEADERS,
            features="instances[*].features",
            dataset_type="application/json",
        ),
        bias_config=bias,
        model_config=ModelConfig(predictor=predictor),
    )
    assert asked == [r["features"] for r in RECORDS]
    from_json = _constraints(monitor)

    csv = tmp_path / "adult.csv"
    csv.write_text(
        ",".join([*HEADERS, "prediction"])
        + "\n"
        + "".join(
            ",".join(map(str, [*r["features"], r["label"], _rule(r["features"])])) + "\n"
            for r in RECORDS
        )
    )
    monitor.suggest_baseline(
        data_config=DataConfig(
            str(csv), str(tmp_path / "csv-out"), label="Target", predicted_label="prediction"
        ),
        bias_config=bias,
    )
    assert from_json == _constraints(monitor)
    assert from_json["post_training_bias_metrics"]["label"] == "Target"


def test_a_json_baseline_with_predictions_in_the_document(
    monitor: ModelBiasMonitor, tmp_path: Path
) -> None:
    dataset = _document(tmp_path / "adult.json", RECORDS)
    monitor.suggest_baseline(
        data_config=DataConfig(
            str(dataset),
            str(tmp_path / "out"),
            label="instances[*].label",
            headers=HEADERS,
            features="instances[*].features",
            dataset_type="application/json",
            predicted_label="instances[*].predicted_label",
        ),
        bias_config=BiasConfig([1], "Sex", [0], group_name="Age"),
    )
    reference = json.loads((ADULT / "analysis_config.json").read_text())
    assert _analyze(tmp_path, reference, ADULT / "validation.jsonl", "jsonl") == 0
    assert _constraints(monitor) == _result(tmp_path, "jsonl")


def test_a_baseline_thresholds_a_score_column_with_probability_threshold(
    monitor: ModelBiasMonitor, tmp_path: Path
) -> None:
    monitor.suggest_baseline(
        data_config=DataConfig(
            str(ADULT / "validation.jsonl"),
            str(tmp_path / "out"),
            label="label",
            headers=HEADERS,
            features="features",
            dataset_type="application/jsonlines",
            predicted_label="score",
        ),
        bias_config=BiasConfig([1], "Sex", [0], group_name="Age"),
        model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.6),
    )
    assert _analyze(tmp_path, SDK_THRESHOLD, ADULT / "validation.jsonl", "cli") == 0
    assert _constraints(monitor) == _result(tmp_path, "cli")


def test_a_predictor_of_scores_with_probability_threshold(
    monitor: ModelBiasMonitor, tmp_path: Path
) -> None:
    scores = {tuple(r["features"]): r["score"] for r in RECORDS}

    def baseline(predictor: Any, folder: str, threshold: float | None) -> Any:
        monitor.suggest_baseline(
            data_config=DataConfig(
                str(ADULT / "validation.jsonl"),
                str(tmp_path / folder),
                label="label",
                headers=HEADERS,
                features="features",
                dataset_type="application/jsonlines",
            ),
            bias_config=BiasConfig([1], "Sex", [0], group_name="Age"),
            model_config=ModelConfig(predictor=predictor),
            model_predicted_label_config=(
                None
                if threshold is None
                else ModelPredictedLabelConfig(probability_threshold=threshold)
            ),
        )
        return _constraints(monitor)

    from_scores = baseline(lambda rows: [scores[tuple(r)] for r in rows], "scores", 0.6)
    from_labels = baseline(lambda rows: [int(scores[tuple(r)] > 0.6) for r in rows], "labels", None)
    assert from_scores == from_labels


# ---------------------------------------------------------------- the baselining job


def test_a_model_is_asked_about_the_features_only(tmp_path: Path) -> None:
    from biaswatch.jobs.baseline import run_baselining_job

    # The dataset's own predictions are text: as a feature they would make FT an error.
    rows = [(i % 2, 20 + i % 30, f"id{i}", (i // 2) % 2, "ny"[i // 3 % 2]) for i in range(80)]
    dataset = tmp_path / "d.csv"
    dataset.write_text(
        "sex,age,id,label,old_prediction\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)
    )
    asked: list[list[Any]] = []

    def predictor(features: list[list[Any]]) -> list[int]:
        asked.extend(features)
        return [int(age > 35) for _, age in features]

    config = {
        "label": "label",
        "predicted_label": "old_prediction",
        "excluded_columns": ["id"],
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
    }
    outcome = run_baselining_job(
        str(dataset), config, output_uri=str(tmp_path / "out"), predictor=predictor
    )
    # Neither the label, the dataset's own predictions nor the excluded id go to the model.
    assert asked == [[sex, age] for sex, age, *_ in rows]
    # The model's answers replace the dataset's predictions: the result is that of the dataset
    # without them (FT's features too: age alone, as sex is the facet and id is excluded).
    plain = tmp_path / "plain.csv"
    plain.write_text("sex,age,id,label\n" + "".join(",".join(map(str, r[:4])) + "\n" for r in rows))
    del config["predicted_label"]
    expected = run_baselining_job(
        str(plain), config, output_uri=str(tmp_path / "plain"), predictor=predictor
    )
    assert outcome.analysis == expected.analysis
    post = outcome.analysis["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    assert "error" not in next(m for m in post if m["name"] == "FT")


@pytest.mark.parametrize("engine", ["local", "spark"])
def test_a_baseline_with_only_a_predictor_block(tmp_path: Path, engine: str) -> None:
    from biaswatch.errors import ConfigError
    from biaswatch.jobs.baseline import run_baselining_job

    with pytest.raises(ConfigError) as caught:
        run_baselining_job(
            str(ADULT / "validation.jsonl"),
            SDK_MODEL,
            output_uri=str(tmp_path / "out"),
            engine=engine,
        )
    assert caught.value.field == "predictor"
    assert "the predictions of the baseline's post-training metrics" in str(caught.value)
