"""Prometheus gauges of each schedule's latest execution, scraped or written as a text file."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from biaswatch.publish import BiasMetricsCollector, LatestMetric, ScheduleSnapshot, write_textfile

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
SNAPSHOT = ScheduleSnapshot(
    "hourly",
    "churn",
    "CompletedWithViolations",
    T,
    2,
    [
        LatestMetric("post_training", "Sex", "0", "DPPL", 0.31),
        LatestMetric("post_training", "Sex", "0", "DI", math.inf),
    ],
)


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_latest_values_statuses_and_violations_are_exposed() -> None:
    registry = CollectorRegistry()
    registry.register(BiasMetricsCollector(lambda: [SNAPSHOT]))
    found = samples(generate_latest(registry).decode())
    key = {("schedule", "hourly"), ("endpoint", "churn")}
    metric = key | {("stage", "post_training"), ("facet", "Sex"), ("facet_value", "0")}
    assert found[("biaswatch_bias_metric", frozenset(metric | {("metric", "DPPL")}))] == 0.31
    assert found[("biaswatch_bias_metric", frozenset(metric | {("metric", "DI")}))] == math.inf
    assert found[("biaswatch_last_execution_violations", frozenset(key))] == 2
    assert (
        found[("biaswatch_last_execution_scheduled_time_seconds", frozenset(key))] == T.timestamp()
    )
    status = {
        dict(labels)["status"]: value
        for (name, labels), value in found.items()
        if name == "biaswatch_last_execution_status"
    }
    assert status == {
        "Completed": 0,
        "CompletedWithViolations": 1,
        "Failed": 0,
        "Stopped": 0,
    }


def test_the_collector_reads_fresh_snapshots_at_every_scrape() -> None:
    current: list[ScheduleSnapshot] = []
    registry = CollectorRegistry()
    registry.register(BiasMetricsCollector(lambda: current))
    assert "churn" not in generate_latest(registry).decode()
    current.append(SNAPSHOT)
    assert 'endpoint="churn"' in generate_latest(registry).decode()


def test_the_text_file_replaces_the_previous_one(tmp_path: Path) -> None:
    path = tmp_path / "biaswatch.prom"
    path.write_text("stale\n")
    write_textfile(str(path), [SNAPSHOT])
    text = path.read_text()
    assert "stale" not in text
    assert 'biaswatch_bias_metric{endpoint="churn"' in text
    assert not [p for p in tmp_path.iterdir() if p.name != "biaswatch.prom"]
