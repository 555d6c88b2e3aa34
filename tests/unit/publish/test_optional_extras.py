"""Sending to CloudWatch: in batches through a given client, and a polite error without botocore."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from biaswatch.errors import PublishError
from biaswatch.publish.cloudwatch import BATCH_SIZE, send_metric_data


def test_sending_without_botocore_names_the_cloudwatch_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "botocore.session", None)  # import raises ImportError
    request = {"Namespace": "aws/sagemaker/Endpoints/bias-metrics", "MetricData": []}
    with pytest.raises(PublishError, match=r"pip install 'biaswatch\[cloudwatch\]'") as caught:
        send_metric_data(request)
    assert isinstance(caught.value.__cause__, ImportError)


class _Client:
    """A CloudWatch client that keeps each PutMetricData call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict[str, Any]]]] = []

    def put_metric_data(self, *, Namespace: str, MetricData: list[dict[str, Any]]) -> None:
        self.calls.append((Namespace, MetricData))


def test_a_given_client_gets_the_data_in_batches_of_cloudwatchs_limit() -> None:
    data = [
        {"MetricName": f"m{i}", "Timestamp": "2026-11-24T10:00:00+00:00", "Value": float(i)}
        for i in range(BATCH_SIZE + 3)
    ]
    client = _Client()
    sent = send_metric_data({"Namespace": "ns", "MetricData": data}, client=client)
    assert sent == 2  # requests: one per batch
    assert [(namespace, len(batch)) for namespace, batch in client.calls] == [
        ("ns", BATCH_SIZE),
        ("ns", 3),
    ]
    assert client.calls[1][1][0]["Timestamp"] == datetime(2026, 11, 24, 10, tzinfo=UTC)
