"""CloudWatch metric data: SageMaker's namespace, names, dimensions and value limits."""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
    assert send_metric_data(request, endpoint_url=s3_server) == 1  # one request, no retry
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


@contextmanager
def flaky_cloudwatch(moto: str, failures: int) -> Iterator[tuple[str, list[int]]]:
    """A CloudWatch endpoint on loopback that answers 503 ``failures`` times, then relays each
    request to moto's server; yields its URL and the status of every answer it gave."""
    answers: list[int] = []

    class Relay(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if len(answers) < failures:
                answers.append(503)
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            forwarded = urllib.request.Request(moto + self.path, body, headers, method="POST")
            with urllib.request.urlopen(forwarded) as answer:
                content = answer.read()
                answers.append(answer.status)
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.mark.usefixtures("aws")
def test_a_send_is_retried_until_the_server_recovers(s3_server: str) -> None:
    request = metric_data_request(
        golden_document(), schedule_name="retried", endpoint_name="e", timestamp=T
    )
    with flaky_cloudwatch(s3_server, failures=2) as (url, answers):
        assert send_metric_data(request, endpoint_url=url) == 3  # two failures, then sent
    assert answers == [503, 503, 200]
    listed = boto3.client("cloudwatch", endpoint_url=s3_server).list_metrics(
        Namespace=ENDPOINT_NAMESPACE,
        Dimensions=[{"Name": "MonitoringSchedule", "Value": "retried"}],
    )["Metrics"]
    assert {m["MetricName"] for m in listed} == {d["MetricName"] for d in request["MetricData"]}


@pytest.mark.usefixtures("aws")
def test_a_send_that_keeps_failing_says_how_often_it_tried(s3_server: str) -> None:
    request = metric_data_request(
        analysis({"CI": 0.1}), schedule_name="s", endpoint_name="e", timestamp=T
    )
    started = time.monotonic()
    failing = r"failed after 3 attempt\(s\)"
    with (
        flaky_cloudwatch(s3_server, failures=10) as (url, answers),
        pytest.raises(PublishError, match=failing) as raised,
    ):
        send_metric_data(request, endpoint_url=url)
    assert raised.value.attempts == 3
    assert answers == [503, 503, 503]
    assert time.monotonic() - started < 10  # the backoff is bounded


@pytest.mark.usefixtures("aws")
def test_the_execution_s_report_records_the_attempts(
    s3_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
    from biaswatch.jobs.publishing import publish_cloudwatch

    definition = MonitoringJobDefinition(
        schedule_name="reported",
        endpoint_input=EndpointInputDefinition(endpoint_name="e", capture_uri=str(tmp_path)),
        ground_truth_uri=str(tmp_path),
        output_uri=str(tmp_path),
        analysis_config={"label": "y", "facet": [{"name_or_index": "f"}]},
    )
    monkeypatch.setenv("BIASWATCH_CLOUDWATCH", "send")
    with flaky_cloudwatch(s3_server, failures=1) as (url, _):
        monkeypatch.setenv("BIASWATCH_CLOUDWATCH_ENDPOINT_URL", url)
        sent = publish_cloudwatch(definition, T, golden_document(), str(tmp_path / "a"))
    assert sent is not None
    assert (sent["status"], sent["attempts"]) == ("Sent", 2)
    with flaky_cloudwatch(s3_server, failures=10) as (url, _):
        monkeypatch.setenv("BIASWATCH_CLOUDWATCH_ENDPOINT_URL", url)
        failed = publish_cloudwatch(definition, T, golden_document(), str(tmp_path / "b"))
    assert failed is not None
    assert (failed["status"], failed["attempts"]) == ("Failed", 3)
    assert "503" in failed["detail"] or "Unavailable" in failed["detail"]
