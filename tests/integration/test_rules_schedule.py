"""A schedule with the opt-in extras: confidence intervals and the ``significant`` rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.test_seed_samples import (
    HEADERS,
    T,
    capture_traffic,
    env,  # noqa: F401  (the fixture)
    monitor_with_baseline,
)

from biaswatch.clarify import BiasConfig
from biaswatch.model_monitor import CronExpressionGenerator, EndpointInput

BIAS = BiasConfig(label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0])


def test_significant_rule_with_intervals(env: dict[str, Any]) -> None:  # noqa: F811
    monitor = monitor_with_baseline(env, BIAS)
    monitor.create_monitoring_schedule(
        monitor_schedule_name="trustworthy",
        output_s3_uri=str(env["tmp"] / "reports"),
        constraints=monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        ground_truth_input=str(env["tmp"] / "ground-truth"),
        endpoint_input=EndpointInput(
            endpoint_name="ll-adult",
            destination="/opt/ml/processing/input/endpoint",
            probability_threshold_attribute=0.8,
        ),
        confidence_level=0.99,
        violation_rules={"rule": "significant", "min_facet_size": 10},
    )
    capture_traffic(env, bias=True)
    execution = monitor.run_execution(scheduled_time=T)
    assert execution.describe()["MonitoringExecutionStatus"] == "CompletedWithViolations"
    violations = execution.constraint_violations()
    assert violations is not None
    flagged = {v["metric_name"] for v in violations.body_dict["violations"]}
    assert {"RD", "DI"} <= flagged  # DI too: the significant rule measures from its ideal, 1
    analysis = json.loads((Path(execution.output.destination) / "analysis.json").read_text())
    assert analysis["biaswatch"]["confidence_intervals"]["level"] == 0.99
    assert HEADERS[-1] == "Target"
    # The intervals reach the store and the dashboard's trend charts as bands.
    store = env["store"]
    points = store.metric_series("trustworthy", metric="DPPL")
    assert points
    assert all(p.lower is not None and p.lower <= p.value <= p.upper for p in points)
    from biaswatch.report import trend_chart
    from biaswatch.server.queries import schedule_series

    row = store.schedule("trustworthy")
    assert row is not None
    series = schedule_series(store, row, metric="DPPL")
    assert series[0].to_json()["points"][0]["interval"] == [points[0].lower, points[0].upper]
    svg = trend_chart(series[0].points, constraint=series[0].constraint, title="DPPL")
    assert 'class="band"' in svg
