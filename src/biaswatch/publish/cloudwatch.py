"""Bias metrics as Amazon CloudWatch metric data, the way SageMaker's bias monitor publishes them.

An execution's ``analysis.json`` becomes one ``PutMetricData`` request: namespace
``aws/sagemaker/Endpoints/bias-metrics`` (batch transform: ``aws/sagemaker/ModelMonitoring/
bias-metrics``), metric ``bias_metric_<CODE>``, the dimensions SageMaker's docs spell out, and
±infinity published as ±2³⁶⁰ (2.348543e108, the largest magnitude CloudWatch accepts). Undefined
metrics are not published.

The request is written as JSON next to the execution's outputs (``aws cloudwatch
put-metric-data --cli-input-json file://…`` replays it) and, when configured, sent with botocore
(extra ``cloudwatch``).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from biaswatch.analysis import document_metrics
from biaswatch.errors import PublishError

__all__ = [
    "BATCH_NAMESPACE",
    "ENDPOINT_NAMESPACE",
    "LARGEST",
    "metric_data_request",
    "send_metric_data",
]

ENDPOINT_NAMESPACE = "aws/sagemaker/Endpoints/bias-metrics"
BATCH_NAMESPACE = "aws/sagemaker/ModelMonitoring/bias-metrics"
LARGEST = 2.0**360
"""CloudWatch rejects magnitudes above 2³⁶⁰ (and non-zero ones below 2⁻³⁶⁰)."""
BATCH_SIZE = 1000
"""``PutMetricData`` takes at most 1000 metrics per request."""
SEND_ATTEMPTS = 3
"""Tries per batch before a send is reported failed (backoff between them: under 3 s in all)."""
TIMEOUT = 5.0
"""Seconds to connect, and to wait for an answer, per try: a dead server costs at most ~30 s."""

_STAGES = {"pre_training": "Pre-training", "post_training": "Post-Training"}


def _published(value: float) -> float:
    """``value`` within what CloudWatch accepts: ±inf → ±2³⁶⁰, magnitudes below 2⁻³⁶⁰ → 0."""
    if math.isinf(value):
        return math.copysign(LARGEST, value)
    if abs(value) < 1 / LARGEST:
        return 0.0
    return value


def metric_data_request(
    document: dict[str, Any],
    *,
    schedule_name: str,
    endpoint_name: str | None,
    timestamp: datetime,
) -> dict[str, Any]:
    """The ``PutMetricData`` request (``Namespace`` and ``MetricData``) for an analysis.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> entry = {"value_or_threshold": "0", "metrics": [
    ...     {"name": "DI", "value": "Infinity"}, {"name": "CDDPL", "value": None}]}
    >>> section = {"label": "y", "label_value_or_threshold": "1", "facets": {"Sex": [entry]}}
    >>> request = metric_data_request({"post_training_bias_metrics": section},
    ...     schedule_name="hourly", endpoint_name="churn",
    ...     timestamp=datetime(2026, 1, 2, 3, tzinfo=UTC))
    >>> request["Namespace"], len(request["MetricData"])
    ('aws/sagemaker/Endpoints/bias-metrics', 1)
    >>> datum = request["MetricData"][0]
    >>> datum["MetricName"], datum["Value"], datum["Timestamp"]
    ('bias_metric_DI', 2.3485425827738332e+108, '2026-01-02T03:00:00+00:00')
    >>> [(d["Name"], d["Value"]) for d in datum["Dimensions"]]  # doctest: +NORMALIZE_WHITESPACE
    [('Endpoint', 'churn'), ('MonitoringSchedule', 'hourly'), ('BiasStage', 'Post-Training'),
     ('Label', 'y'), ('LabelValue', '1'), ('Facet', 'Sex'), ('FacetValue', '0')]
    """
    context = [] if endpoint_name is None else [{"Name": "Endpoint", "Value": endpoint_name}]
    context.append({"Name": "MonitoringSchedule", "Value": schedule_name})
    data = []
    for metric in document_metrics(document):
        if metric.value is None:
            continue
        dimensions = [
            *context,
            {"Name": "BiasStage", "Value": _STAGES[metric.stage]},
            {"Name": "Label", "Value": metric.label},
            {"Name": "LabelValue", "Value": metric.label_value},
            {"Name": "Facet", "Value": metric.facet},
            {"Name": "FacetValue", "Value": metric.facet_value},
        ]
        data.append(
            {
                "MetricName": f"bias_metric_{metric.name}",
                "Timestamp": timestamp.isoformat(),
                # CloudWatch rejects empty dimension values (an unnamed label, say).
                "Dimensions": [d for d in dimensions if d["Value"]],
                "Value": _published(float(metric.value)),
                "Unit": "None",
            }
        )
    namespace = ENDPOINT_NAMESPACE if endpoint_name is not None else BATCH_NAMESPACE
    return {"Namespace": namespace, "MetricData": data}


def send_metric_data(
    request: dict[str, Any],
    *,
    endpoint_url: str | None = None,
    client: Any = None,
    attempts: int = SEND_ATTEMPTS,
) -> int:
    """Send a ``PutMetricData`` request with botocore, in batches; return the requests made.

    Credentials and region come from the usual AWS settings; ``endpoint_url`` selects a
    CloudWatch-compatible server. Each batch is tried up to ``attempts`` times, with botocore's
    standard retries (exponential backoff with jitter, on throttling, 5xx answers and
    connection errors). Failures raise :class:`~biaswatch.errors.PublishError`, with the
    requests made in its ``attempts``.
    """
    if client is None:
        try:  # the optional extra, imported only to send
            import botocore.config
            import botocore.session
        except ImportError as exc:
            raise PublishError(
                "sending metrics to CloudWatch needs botocore: pip install 'biaswatch[cloudwatch]'"
            ) from exc
        client = botocore.session.get_session().create_client(
            "cloudwatch",
            endpoint_url=endpoint_url,
            config=botocore.config.Config(
                retries={"mode": "standard", "total_max_attempts": attempts},
                connect_timeout=TIMEOUT,
                read_timeout=TIMEOUT,
            ),
        )
    data = request["MetricData"]
    made = 0
    try:
        for start in range(0, len(data), BATCH_SIZE):
            batch = [
                {**datum, "Timestamp": datetime.fromisoformat(datum["Timestamp"])}
                for datum in data[start : start + BATCH_SIZE]
            ]
            answer = client.put_metric_data(Namespace=request["Namespace"], MetricData=batch)
            made += 1 + _retries(answer, default=0)
    except Exception as exc:  # botocore's errors are many; each one is a failed publish
        made += 1 + _retries(getattr(exc, "response", None), default=attempts - 1)
        raise PublishError(
            f"PutMetricData to CloudWatch failed after {made} attempt(s): {exc}", attempts=made
        ) from exc
    return made


def _retries(answer: Any, *, default: int) -> int:
    """The retries botocore made for a request (``RetryAttempts``), else ``default``."""
    if not isinstance(answer, dict):
        return default
    retried = answer.get("ResponseMetadata", {}).get("RetryAttempts")
    return retried if isinstance(retried, int) else default
