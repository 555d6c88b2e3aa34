"""CloudWatch metric data: SageMaker's namespace, names, dimensions and value limits."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from tests.conftest import GOLDEN

from biaswatch.errors import PublishError
from biaswatch.publish import (
    BATCH_NAMESPACE,
    ENDPOINT_NAMESPACE,
    LARGEST,
    metric_data_request,
    send_metric_data,
)

T = datetime(2026, 11, 24, 10, tzinfo=UTC)


def golden_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (GOLDEN / "case-000" / "expected_analysis.json").read_text()
    )
    return document


def analysis(values: dict[str, Any]) -> dict[str, Any]:
    metrics = [{"name": name, "value": value} for name, value in values.items()]
    entry = {"value_or_threshold": "Female", "metrics": metrics}
    section = {"label": "income", "label_value_or_threshold": ">50K", "facets": {"sex": [entry]}}
    return {"version": "1.0", "pre_training_bias_metrics": section}


def test_every_defined_metric_is_published_with_sagemaker_dimensions() -> None:
    document = golden_document()
    request = metric_data_request(document, schedule_name="s", endpoint_name="e", timestamp=T)
    defined = [
        (section, metric["name"])
        for section, content in document.items()
        if section.endswith("_bias_metrics")
        for entries in content["facets"].values()
        for entry in entries
        for metric in entry["metrics"]
        if metric["value"] is not None
    ]
    assert request["Namespace"] == ENDPOINT_NAMESPACE
    assert len(request["MetricData"]) == len(defined)
    names = {d["MetricName"] for d in request["MetricData"]}
    assert names == {f"bias_metric_{name}" for _, name in defined}
    stages = {
        next(x["Value"] for x in d["Dimensions"] if x["Name"] == "BiasStage")
        for d in request["MetricData"]
    }
    assert stages == {"Pre-training", "Post-Training"}
    first = request["MetricData"][0]
    assert [x["Name"] for x in first["Dimensions"]] == [
        "Endpoint",
        "MonitoringSchedule",
        "BiasStage",
        "Label",
        "LabelValue",
        "Facet",
        "FacetValue",
    ]


def test_batch_transform_has_its_namespace_and_no_endpoint_dimension() -> None:
    request = metric_data_request(
        analysis({"CI": 0.1}), schedule_name="s", endpoint_name=None, timestamp=T
    )
    assert request["Namespace"] == BATCH_NAMESPACE
    assert "Endpoint" not in {d["Name"] for d in request["MetricData"][0]["Dimensions"]}


def test_infinities_are_the_largest_values_cloudwatch_takes_and_nulls_are_left_out() -> None:
    request = metric_data_request(
        analysis({"DI": "Infinity", "DPL": "-Infinity", "KL": None, "CI": 1e-200, "JS": 0.25}),
        schedule_name="s",
        endpoint_name="e",
        timestamp=T,
    )
    values = {d["MetricName"]: d["Value"] for d in request["MetricData"]}
    assert values == {
        "bias_metric_DI": LARGEST,
        "bias_metric_DPL": -LARGEST,
        "bias_metric_CI": 0.0,
        "bias_metric_JS": 0.25,
    }
    assert math.isclose(LARGEST, 2.348543e108, rel_tol=1e-6)


def test_the_request_goes_to_a_cloudwatch_server(
    s3_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    request = metric_data_request(
        golden_document(), schedule_name="sent", endpoint_name="e", timestamp=T
    )
    assert send_metric_data(request, endpoint_url=s3_server) == len(request["MetricData"])
    client = boto3.client("cloudwatch", endpoint_url=s3_server)
    listed = client.list_metrics(Namespace=ENDPOINT_NAMESPACE)["Metrics"]
    sent = [m for m in listed if {"Name": "MonitoringSchedule", "Value": "sent"} in m["Dimensions"]]
    assert {m["MetricName"] for m in sent} == {d["MetricName"] for d in request["MetricData"]}


def test_a_refused_request_is_a_publish_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    request = metric_data_request(
        analysis({"CI": 0.1}), schedule_name="s", endpoint_name="e", timestamp=T
    )
    # Nothing listens on port 9 of loopback.
    with pytest.raises(PublishError, match="PutMetricData to CloudWatch failed"):
        send_metric_data(request, endpoint_url="http://127.0.0.1:9")
