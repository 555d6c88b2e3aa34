"""An execution publishes its metrics: CloudWatch metric data (file, and sent) and Prometheus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.integration.test_seed_samples import (
    T,
    capture_traffic,
    env,  # noqa: F401  (the fixture)
    monitor_with_baseline,
    schedule_endpoint,
)

from biaswatch.clarify import BiasConfig
from biaswatch.publish import ENDPOINT_NAMESPACE

BIAS = BiasConfig(label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0])


def run_biased_execution(env: dict[str, Any]) -> Any:  # noqa: F811
    monitor = monitor_with_baseline(env, BIAS)
    schedule_endpoint(monitor, BIAS, env)
    capture_traffic(env, bias=True)
    return monitor.run_execution(scheduled_time=T)


def test_metric_data_is_sent_and_the_text_file_written(
    env: dict[str, Any],  # noqa: F811
    s3_server: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BIASWATCH_CLOUDWATCH": "send",
        "BIASWATCH_CLOUDWATCH_ENDPOINT_URL": s3_server,
        "BIASWATCH_PROMETHEUS_TEXTFILE": str(tmp_path / "biaswatch.prom"),
    }.items():
        monkeypatch.setenv(name, value)
    execution = run_biased_execution(env)
    assert execution.describe()["MonitoringExecutionStatus"] == "CompletedWithViolations"
    report = execution.row.counts["cloudwatch"]
    assert report["status"] == "Sent", report
    written = json.loads(
        (Path(execution.output.destination) / "cloudwatch_metrics.json").read_text()
    )
    assert written["Namespace"] == ENDPOINT_NAMESPACE
    assert len(written["MetricData"]) == report["metrics"] > 0
    listed = boto3.client("cloudwatch", endpoint_url=s3_server).list_metrics(
        Namespace=ENDPOINT_NAMESPACE,
        MetricName="bias_metric_DPPL",
        Dimensions=[{"Name": "MonitoringSchedule", "Value": "bias-schedule"}],
    )["Metrics"]
    assert listed
    text = (tmp_path / "biaswatch.prom").read_text()
    labels = 'endpoint="ll-adult",schedule="bias-schedule",status="CompletedWithViolations"'
    assert f"biaswatch_last_execution_status{{{labels}}} 1.0" in text
    assert 'metric="DPPL"' in text


def test_by_default_the_request_is_only_written(env: dict[str, Any]) -> None:  # noqa: F811
    execution = run_biased_execution(env)
    assert execution.row.counts["cloudwatch"]["status"] == "Written"
    assert (Path(execution.output.destination) / "cloudwatch_metrics.json").exists()


def test_a_failed_send_is_recorded_and_the_execution_still_reports_its_violations(
    env: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BIASWATCH_CLOUDWATCH", "send")
    monkeypatch.setenv("BIASWATCH_CLOUDWATCH_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    execution = run_biased_execution(env)
    assert execution.describe()["MonitoringExecutionStatus"] == "CompletedWithViolations"
    report = execution.row.counts["cloudwatch"]
    assert report["status"] == "Failed"
    assert "PutMetricData" in report["detail"]


def test_cloudwatch_off_writes_nothing(
    env: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BIASWATCH_CLOUDWATCH", "off")
    execution = run_biased_execution(env)
    assert "cloudwatch" not in execution.row.counts
    assert not (Path(execution.output.destination) / "cloudwatch_metrics.json").exists()
