"""The SageMaker docs page's two samples (the seed), with only imports, role and URIs changed.

Both run end to end: baseline → hourly schedule → ``run_execution`` for a scheduled time whose
window holds capture and ground truth. With bias injected (women almost never predicted to
earn more), the execution ends ``CompletedWithViolations``; with the baseline's own data it
ends ``Completed``. The docs page omits ``ground_truth_input``, which SageMaker requires too:
the samples below add it (a URI).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from biaswatch.capture import GroundTruthRecord, upload_ground_truth
from biaswatch.capture.batch import write_batch_capture
from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.registry import register_endpoint
from biaswatch.capture.writer import CaptureWriter
from biaswatch.clarify import BiasConfig, DataConfig, ModelConfig, ModelPredictedLabelConfig
from biaswatch.examples import example_path
from biaswatch.model_monitor import (
    BatchTransformInput,
    BiasAnalysisConfig,
    CronExpressionGenerator,
    EndpointInput,
    ModelBiasModelMonitor,
)
from biaswatch.store import Store

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
MODEL = json.loads((Path(__file__).parents[2] / "tests" / "data" / "adult-model.json").read_text())
HEADERS = [*MODEL["feature_names"], "Target"]
FEMALE = MODEL["feature_names"].index("Sex")


def score(features: list[int]) -> float:
    z = sum(w * x for w, x in zip(MODEL["weights"], features, strict=True)) + MODEL["bias"]
    return 1 / (1 + math.exp(-z))


def records() -> list[tuple[list[int], int]]:
    lines = (example_path("adult") / "validation.jsonl").read_text().splitlines()
    return [(r["features"], r["label"]) for r in map(json.loads, lines)]


def biased(features: list[int], value: float) -> float:
    return value * 0.3 if features[FEMALE] == 0 else value


@pytest.fixture
def env(tmp_path: Path) -> dict[str, Any]:
    return make_env(tmp_path)


def make_env(tmp_path: Path) -> dict[str, Any]:
    """A store, a baseline dataset with predictions, and a registered endpoint."""
    store = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    baseline_csv = tmp_path / "baseline.csv"
    rows = [",".join(map(str, [*f, y, int(score(f) > 0.8)])) for f, y in records()]
    baseline_csv.write_text(",".join([*HEADERS, "prediction"]) + "\n" + "\n".join(rows) + "\n")
    # The endpoint is deployed with data capture before the schedule is created.
    register_endpoint("ll-adult", str(tmp_path / "capture"))
    return {"tmp": tmp_path, "store": store, "baseline": str(baseline_csv)}


def monitor_with_baseline(env: dict[str, Any], bias_config: BiasConfig) -> ModelBiasModelMonitor:
    model_bias_monitor = ModelBiasModelMonitor(
        role="arn:aws:iam::111122223333:role/unused", store=env["store"], clock=lambda: T
    )
    model_bias_monitor.suggest_baseline(
        data_config=DataConfig(
            s3_data_input_path=env["baseline"],
            s3_output_path=str(env["tmp"] / "baseline-output"),
            label="Target",
            headers=[*HEADERS, "prediction"],
            dataset_type="text/csv",
            predicted_label="prediction",
        ),
        bias_config=bias_config,
        model_predicted_label_config=ModelPredictedLabelConfig(probability_threshold=0.8),
        model_config=ModelConfig(
            model_name="ll-adult", instance_count=1, instance_type="ml.m5.xlarge"
        ),
    )
    return model_bias_monitor


def schedule_endpoint(
    model_bias_monitor: ModelBiasModelMonitor,
    model_bias_config: BiasConfig,
    env: dict[str, Any],
    **endpoint: Any,
) -> None:
    # --- the docs page's real-time sample ---
    model_bias_analysis_config = None
    if not model_bias_monitor.latest_baselining_job:
        model_bias_analysis_config = BiasAnalysisConfig(
            model_bias_config, headers=HEADERS, label="Target"
        )
    model_bias_monitor.create_monitoring_schedule(
        monitor_schedule_name="bias-schedule",
        post_analytics_processor_script=None,
        output_s3_uri=str(env["tmp"] / "reports"),
        statistics=model_bias_monitor.baseline_statistics(),
        constraints=model_bias_monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        enable_cloudwatch_metrics=True,
        analysis_config=model_bias_analysis_config,
        ground_truth_input=str(env["tmp"] / "ground-truth"),
        endpoint_input=EndpointInput(
            endpoint_name="ll-adult",
            destination="/opt/ml/processing/input/endpoint",
            start_time_offset="-PT1H",
            end_time_offset="-PT0H",
            probability_threshold_attribute=0.8,
            **endpoint,
        ),
    )


def capture_traffic(env: dict[str, Any], *, bias: bool, json_lines: bool = False) -> None:
    config = DataCaptureConfig(
        enable_capture=True,
        sampling_percentage=100,
        destination_s3_uri=str(env["tmp"] / "capture"),
        json_content_types=["application/jsonlines"],
    )
    truth = []
    with CaptureWriter(
        config, endpoint_name="ll-adult", clock=lambda: T - timedelta(minutes=30)
    ) as writer:
        for number, (features, label) in enumerate(records()):
            value = biased(features, score(features)) if bias else score(features)
            if json_lines:
                request = json.dumps({"features": features}).encode()
                response = json.dumps(
                    {"predicted_label": int(value > 0.8), "score": value}
                ).encode()
                kind = "application/jsonlines"
            else:
                request, response, kind = (
                    ",".join(map(str, features)).encode(),
                    str(value).encode(),
                    "text/csv",
                )
            writer.capture(
                request_body=request,
                request_content_type=kind,
                response_body=response,
                response_content_type=kind,
                inference_id=str(number),
            )
            truth.append(
                GroundTruthRecord.of(str(number), {"label": label} if json_lines else label)
            )
    upload_ground_truth(
        str(env["tmp"] / "ground-truth"), truth, collected_at=T - timedelta(minutes=5)
    )


@pytest.mark.parametrize("bias", [True, False], ids=["injected-bias", "baseline-data"])
def test_real_time_endpoint_sample_csv(env: dict[str, Any], bias: bool) -> None:
    model_bias_config = BiasConfig(
        label_values_or_threshold=[1],
        facet_name="Sex",
        facet_values_or_threshold=[0],
        group_name="Age",
    )
    model_bias_monitor = monitor_with_baseline(env, model_bias_config)
    schedule_endpoint(model_bias_monitor, model_bias_config, env)
    capture_traffic(env, bias=bias)
    execution = model_bias_monitor.run_execution(scheduled_time=T)
    described = execution.describe()
    if not bias:
        assert described["MonitoringExecutionStatus"] == "Completed", described
        assert (
            model_bias_monitor.latest_monitoring_constraint_violations().body_dict["violations"]
            == []
        )
        return
    assert described["MonitoringExecutionStatus"] == "CompletedWithViolations", described
    # As DescribeProcessingJob shows it: the job succeeded, and says it found violations.
    assert described["ProcessingJobStatus"] == "Completed"
    assert described["ExitMessage"] == (
        f"CompletedWithViolations: Job completed successfully with"
        f" {described['Counts']['violations']} violations."
    )
    execution.wait(logs=False)
    violations = model_bias_monitor.latest_monitoring_constraint_violations().body_dict[
        "violations"
    ]
    flagged = {v["metric_name"] for v in violations}
    assert {"DPPL", "CDDPL"} <= flagged
    assert all(v["facet"] == "Sex" and v["facet_value"] == "0" for v in violations)
    assert execution.output.destination.endswith("ll-adult/bias-schedule/2026/11/24/10")
    assert [e.row.scheduled_time for e in model_bias_monitor.list_executions()] == [T]


def test_real_time_endpoint_sample_json_lines(env: dict[str, Any]) -> None:
    model_bias_config = BiasConfig(
        label_values_or_threshold=[1],
        facet_name="Sex",
        facet_values_or_threshold=[0],
        group_name="Age",
    )
    model_bias_monitor = ModelBiasModelMonitor(role="unused", store=env["store"], clock=lambda: T)
    # No baselining job: the sample then passes the analysis config (the label is a JMESPath).
    model_bias_monitor.latest_baselining_job = None
    analysis = BiasAnalysisConfig(model_bias_config, headers=HEADERS, label="label")
    # The docs' sample calls both whether or not a baselining job ran; without one, both are
    # None (the SDK raises for the constraints), and the schedule checks no violations.
    model_bias_monitor.create_monitoring_schedule(
        monitor_schedule_name="bias-jsonl",
        statistics=model_bias_monitor.baseline_statistics(),
        constraints=model_bias_monitor.suggested_constraints(),
        output_s3_uri=str(env["tmp"] / "reports"),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        analysis_config=analysis,
        ground_truth_input=str(env["tmp"] / "ground-truth"),
        endpoint_input=EndpointInput(
            endpoint_name="ll-adult",
            destination="/opt/ml/processing/input/endpoint",
            start_time_offset="-PT1H",
            end_time_offset="-PT0H",
            probability_threshold_attribute=0.8,
            features_attribute="features",
            probability_attribute="score",
        ),
    )
    capture_traffic(env, bias=True, json_lines=True)
    execution = model_bias_monitor.run_execution(scheduled_time=T)
    # Without a baseline there is nothing to violate: Completed, and no violations file.
    assert execution.describe()["MonitoringExecutionStatus"] == "Completed"
    assert execution.constraint_violations() is None
    analysis_json = json.loads((Path(execution.output.destination) / "analysis.json").read_text())
    assert analysis_json["post_training_bias_metrics"]["label"] == "Target"


@pytest.mark.parametrize("bias", [True, False], ids=["injected-bias", "baseline-data"])
def test_batch_transform_sample(env: dict[str, Any], bias: bool) -> None:
    model_bias_config = BiasConfig(
        label_values_or_threshold=[1],
        facet_name="Sex",
        facet_values_or_threshold=[0],
        group_name="Age",
    )
    model_bias_monitor = monitor_with_baseline(env, model_bias_config)
    s3_capture_path = str(env["tmp"] / "batch-capture")
    # --- the docs page's batch-transform sample (dataset_format omitted, as there) ---
    model_bias_monitor.create_monitoring_schedule(
        monitor_schedule_name="bias-batch",
        post_analytics_processor_script=None,
        output_s3_uri=str(env["tmp"] / "reports"),
        statistics=model_bias_monitor.baseline_statistics(),
        constraints=model_bias_monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        enable_cloudwatch_metrics=True,
        analysis_config=None,
        ground_truth_input=str(env["tmp"] / "ground-truth"),
        batch_transform_input=BatchTransformInput(
            destination="opt/ml/processing/input",
            data_captured_destination_s3_uri=s3_capture_path,
            start_time_offset="-PT1H",
            end_time_offset="-PT0H",
            probability_threshold_attribute=0.8,
        ),
    )
    data = records()
    scores = [biased(f, score(f)) if bias else score(f) for f, _ in data]
    ids = write_batch_capture(
        s3_capture_path,
        output_prefix=str(env["tmp"] / "transform-output"),
        name="validation",
        features=[f for f, _ in data],
        predictions=scores,
        job_start=T - timedelta(minutes=45),
    )
    upload_ground_truth(
        str(env["tmp"] / "ground-truth"),
        [GroundTruthRecord(i, str(y)) for i, (_, y) in zip(ids, data, strict=True)],
        collected_at=T - timedelta(minutes=5),
    )
    execution = model_bias_monitor.run_execution(scheduled_time=T)
    status = execution.describe()["MonitoringExecutionStatus"]
    assert status == ("CompletedWithViolations" if bias else "Completed"), execution.describe()
    assert execution.output.destination.endswith("reports/bias-batch/2026/11/24/10")


@pytest.mark.parametrize("bias", [True, False], ids=["injected-bias", "baseline-data"])
def test_the_json_endpoint_scenario(env: dict[str, Any], bias: bool) -> None:
    """AWS's JSON bias-monitoring example: an ``application/json`` baseline (one document,
    ``instances[*].features``), JSON requests of ten records each, labels uploaded as JSON
    documents of ten labels, matched in order."""
    document = {"instances": [{"features": f, "label": y} for f, y in records()]}
    dataset = env["tmp"] / "validation.json"
    dataset.write_text(json.dumps(document))
    model_bias_config = BiasConfig(
        label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0]
    )
    model_bias_monitor = ModelBiasModelMonitor(role="unused", store=env["store"], clock=lambda: T)
    model_bias_monitor.suggest_baseline(
        data_config=DataConfig(
            s3_data_input_path=str(dataset),
            s3_output_path=str(env["tmp"] / "baseline-output"),
            features="instances[*].features",
            label="instances[*].label",
            headers=HEADERS,
            dataset_type="application/json",
        ),
        bias_config=model_bias_config,
        model_config=ModelConfig(predictor=lambda rows: [int(score(r) > 0.8) for r in rows]),
        model_predicted_label_config=ModelPredictedLabelConfig(
            label="predictions[*].predicted_label"
        ),
    ).wait(logs=False)
    model_bias_monitor.create_monitoring_schedule(
        monitor_schedule_name="bias-json",
        output_s3_uri=str(env["tmp"] / "reports"),
        constraints=model_bias_monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        ground_truth_input=str(env["tmp"] / "ground-truth"),
        endpoint_input=EndpointInput(
            endpoint_name="ll-adult",
            destination="/opt/ml/processing/input/endpoint",
            features_attribute="instances[*].features",
        ),
    )
    data = records()
    truth = []
    capture = DataCaptureConfig(
        enable_capture=True,
        sampling_percentage=100,
        destination_s3_uri=str(env["tmp"] / "capture"),
        json_content_types=["application/json"],
    )
    with CaptureWriter(
        capture, endpoint_name="ll-adult", clock=lambda: T - timedelta(minutes=30)
    ) as writer:
        for start in range(0, len(data), 10):
            batch = data[start : start + 10]
            scores = [biased(f, score(f)) if bias else score(f) for f, _ in batch]
            writer.capture(
                request_body=json.dumps(
                    {"instances": [{"features": f} for f, _ in batch]}
                ).encode(),
                request_content_type="application/json",
                response_body=json.dumps(
                    {"predictions": [{"predicted_label": int(s > 0.8), "score": s} for s in scores]}
                ).encode(),
                response_content_type="application/json",
                inference_id=f"request-{start}",
            )
            labels = {"instances": [{"label": y} for _, y in batch]}
            truth.append(GroundTruthRecord.of(f"request-{start}", labels))
    upload_ground_truth(
        str(env["tmp"] / "ground-truth"), truth, collected_at=T - timedelta(minutes=5)
    )
    execution = model_bias_monitor.run_execution(scheduled_time=T)
    described = execution.describe()
    assert described["Counts"]["rows"] == len(data), described
    expected = "CompletedWithViolations" if bias else "Completed"
    assert described["MonitoringExecutionStatus"] == expected, described
    if bias:
        violations = execution.constraint_violations()
        assert violations is not None
        assert "DPPL" in {v["metric_name"] for v in violations.body_dict["violations"]}
