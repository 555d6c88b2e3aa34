"""Baselines from a model behind an HTTP endpoint: CSV, JSON Lines and JSON, batched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.model_server import MODEL, ModelServer, model_server, score

from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
from biaswatch.errors import BaselineError, ConfigError
from biaswatch.examples import example_path
from biaswatch.jobs.endpoints import record_endpoint
from biaswatch.jobs.model_endpoint import HttpPredictor
from biaswatch.model_monitor import ModelBiasMonitor
from biaswatch.records import DecodingOptions
from biaswatch.store import Store

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
HEADERS = [*MODEL["feature_names"], "Target"]
RECORDS = [
    json.loads(line)
    for line in (example_path("adult") / "validation.jsonl").read_text().splitlines()
]
ROWS = [record["features"] for record in RECORDS]


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with model_server() as running:
        yield running


@pytest.fixture
def dataset(tmp_path: Path) -> Path:
    path = tmp_path / "validation.csv"
    lines = [",".join(map(str, [*r["features"], r["label"]])) for r in RECORDS]
    path.write_text("\n".join(lines) + "\n")
    return path


def monitor(tmp_path: Path) -> ModelBiasMonitor:
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    return ModelBiasMonitor(role="unused", store=store, clock=lambda: T)


def baseline(
    tmp_path: Path,
    dataset: Path,
    model_config: ModelConfig,
    bias_monitor: ModelBiasMonitor | None = None,
    **label: Any,
) -> dict[str, Any]:
    job = (bias_monitor or monitor(tmp_path)).suggest_baseline(
        data_config=DataConfig(
            s3_data_input_path=str(dataset),
            s3_output_path=str(tmp_path / "baseline"),
            label="Target",
            headers=HEADERS,
            dataset_type="text/csv",
        ),
        bias_config=BiasConfig(
            label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0]
        ),
        model_config=model_config,
        model_predicted_label_config=ModelPredictedLabelConfig(**label),
    )
    return job.suggested_constraints().body_dict


def test_http_csv_jsonlines_and_json_baselines_equal_the_python_predictor(
    tmp_path: Path, dataset: Path, server: ModelServer
) -> None:
    def predictor(rows: list[list[Any]]) -> list[int]:
        return [int(score(row) > 0.8) for row in rows]

    expected = baseline(tmp_path / "py", dataset, ModelConfig(predictor=predictor))
    csv = baseline(
        tmp_path / "csv",
        dataset,
        ModelConfig(model_url=server.url, content_type="text/csv", accept_type="text/csv"),
        probability_threshold=0.8,
    )
    lines = baseline(
        tmp_path / "jsonl",
        dataset,
        ModelConfig(
            model_url=server.url,
            content_type="application/jsonlines",
            content_template='{"features":$features}',
        ),
        label="predicted_label",
    )
    document = baseline(
        tmp_path / "json",
        dataset,
        ModelConfig(
            model_url=server.url,
            content_type="application/json",
            content_template='{"instances":$records}',
            records_per_request=250,
        ),
        probability="predictions[*].score",
        probability_threshold=0.8,
    )
    assert csv == lines == document == expected
    # Requests of at most 500 records (CSV, JSON Lines), 250 (JSON as configured).
    n = len(ROWS)
    sizes = [(kind.split("/")[1], count) for kind, count in server.requests]
    assert sorted(c for k, c in sizes if k == "csv") == sorted([500] * (n // 500) + [n % 500])
    assert sorted(c for k, c in sizes if k == "json") == sorted([250] * (n // 250) + [n % 250])


def test_a_registered_endpoint_is_called_at_its_url(
    tmp_path: Path, dataset: Path, server: ModelServer
) -> None:
    bias_monitor = monitor(tmp_path)
    record_endpoint(bias_monitor.store, "adult", str(tmp_path / "capture"), now=T, url=server.url)
    baseline(tmp_path, dataset, ModelConfig(endpoint_name="adult"), bias_monitor)
    assert server.requests
    written = json.loads((tmp_path / "baseline" / "analysis.json").read_text())
    assert "post_training_bias_metrics" in written


def test_an_endpoint_without_a_url_is_a_config_error(tmp_path: Path, dataset: Path) -> None:
    with pytest.raises(ConfigError, match="endpoint 'nowhere' has no URL"):
        baseline(tmp_path, dataset, ModelConfig(endpoint_name="nowhere"))


def test_a_failing_model_fails_the_baseline_with_its_answer(
    dataset: Path, server: ModelServer
) -> None:
    server.fail_with = 503
    predictor = HttpPredictor(server.url)
    with pytest.raises(BaselineError, match="HTTP 503"):
        predictor([[1.0, 2.0]])
    server.fail_with = 400
    with pytest.raises(BaselineError, match="failed on request 1: HTTP 400"):
        predictor([[1.0, 2.0]])


def test_an_unreadable_answer_names_the_request_and_shows_it(server: ModelServer) -> None:
    server.answer = b"<html>oops</html>"
    predictor = HttpPredictor(
        server.url,
        content_type="application/jsonlines",
        options=DecodingOptions(inference_attribute="predicted_label"),
    )
    with pytest.raises(BaselineError, match=r"request 1 \(1 records\).*<html>oops"):
        predictor([ROWS[0]])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"content_type": "image/png"}, "content_type 'image/png' is not CSV"),
        (
            {"content_type": "application/jsonlines", "content_template": "{}"},
            "needs \\$features",
        ),
        ({"content_type": "application/json", "content_template": "{}"}, "needs \\$records"),
        ({"records_per_request": 0}, "at least 1"),
    ],
)
def test_bad_request_settings_fail_fast(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        HttpPredictor("http://127.0.0.1:9", **arguments)


def test_json_bodies_follow_the_templates() -> None:
    one = HttpPredictor(
        "http://x", content_type="application/json", content_template='{"data":$features}'
    )
    assert one.records_per_request == 1
    assert one.body([[1, "a"]]) == b'{"data":[1,"a"]}'
    many = HttpPredictor(
        "http://x",
        content_type="application/json",
        content_template='{"instances":$records}',
        record_template='{"f":$features}',
    )
    assert many.body([[1], [2]]) == b'{"instances":[{"f":[1]},{"f":[2]}]}'
    assert HttpPredictor("http://x").body([[1, None, "a,b"]]) == b'1,,"a,b"'
