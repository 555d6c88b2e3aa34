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


def test_a_failed_hour_keeps_the_last_good_values_and_says_it_failed(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from prometheus_client import generate_latest

    from biaswatch.jobs.publishing import metrics_registry, schedule_snapshots
    from biaswatch.store import ExecutionStatus, MetricPoint, Store, Trigger

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    t = datetime(2026, 11, 24, 10, tzinfo=UTC)
    store.create_schedule("s", expression=None, definition={}, now=t)
    lease = timedelta(minutes=2)
    for hour, status in enumerate(
        [ExecutionStatus.COMPLETED_WITH_VIOLATIONS, ExecutionStatus.FAILED, ExecutionStatus.FAILED]
    ):
        moment = t + timedelta(hours=hour)
        row = store.add_execution("s", moment, now=moment)
        attempt = store.claim(row.id, owner="o", now=moment, lease=lease, trigger=Trigger.SCHEDULED)
        assert attempt is not None
        points = (
            [MetricPoint(moment, "post_training", "sex", "0", "DPPL", 0.4)]
            if status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS
            else []
        )
        counts = {"violations": 2} if status.name != "FAILED" else {}
        store.finish(attempt, status=status, now=moment, counts=counts, points=points)
    [snapshot] = schedule_snapshots(store)
    assert (snapshot.status, snapshot.failed, snapshot.failures) == ("Failed", True, 2)
    assert snapshot.violations == 2
    assert [(m.metric, m.value) for m in snapshot.metrics] == [("DPPL", 0.4)]
    text = generate_latest(metrics_registry(store)).decode()
    assert 'biaswatch_last_execution_failed{endpoint="",schedule="s"} 1.0' in text
    assert 'biaswatch_execution_failures_total{endpoint="",schedule="s"} 2.0' in text
    assert 'biaswatch_last_execution_violations{endpoint="",schedule="s"} 2.0' in text
    assert 'metric="DPPL",schedule="s",stage="post_training"} 0.4' in text
    store.engine.dispose()


def test_a_revised_slot_republishes_its_latest_attempt(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from biaswatch.jobs.publishing import schedule_snapshots
    from biaswatch.store import ExecutionStatus, MetricPoint, Store, Trigger

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    t = datetime(2026, 11, 24, 10, tzinfo=UTC)
    store.create_schedule("s", expression=None, definition={}, now=t)
    slot = store.add_execution("s", t, now=t)
    lease = timedelta(minutes=2)
    for value, status, rerun in (
        (0.4, ExecutionStatus.COMPLETED_WITH_VIOLATIONS, False),
        (0.1, ExecutionStatus.COMPLETED, True),
    ):
        attempt = store.claim(
            slot.id, owner="o", now=t, lease=lease, trigger=Trigger.MANUAL, rerun=rerun
        )
        assert attempt is not None
        point = MetricPoint(t, "post_training", "sex", "0", "DPPL", value)
        counts = {"violations": 1 if status.name.endswith("VIOLATIONS") else 0}
        store.finish(attempt, status=status, now=t, counts=counts, points=[point])
    [snapshot] = schedule_snapshots(store)
    assert (snapshot.status, snapshot.violations) == ("Completed", 0)
    assert [(m.metric, m.value) for m in snapshot.metrics] == [("DPPL", 0.1)]
    store.engine.dispose()


def test_the_next_slot_is_due_by_the_schedule_s_own_cadence(tmp_path: Path) -> None:
    from datetime import timedelta

    from biaswatch.jobs.publishing import schedule_snapshots
    from biaswatch.store import ExecutionStatus, ScheduleStatus, Store, Trigger

    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    schedules = {
        "hourly": "cron(0 * ? * * *)",
        "daily": "cron(0 2 ? * * *)",
        "once": "NOW",
        "stopped": "cron(0 * ? * * *)",
        "broken": "cron(nonsense)",
    }
    for name, expression in schedules.items():
        store.create_schedule(name, expression=expression, definition={}, now=T)
        row = store.add_execution(name, T, now=T)
        attempt = store.claim(
            row.id, owner="o", now=T, lease=timedelta(minutes=2), trigger=Trigger.SCHEDULED
        )
        assert attempt is not None
        store.finish(attempt, status=ExecutionStatus.COMPLETED, now=T, counts={}, points=[])
    store.update_schedule("stopped", now=T, status=ScheduleStatus.STOPPED)
    due = {snapshot.schedule: snapshot.next_time for snapshot in schedule_snapshots(store)}
    assert due == {
        "hourly": T + timedelta(hours=1),
        "daily": T.replace(hour=2) + timedelta(days=1),
        "once": None,
        "stopped": None,
        "broken": None,
    }
    registry = CollectorRegistry()
    registry.register(BiasMetricsCollector(lambda: schedule_snapshots(store)))
    found = samples(generate_latest(registry).decode())
    exposed = {
        dict(labels)["schedule"]: value
        for (name, labels), value in found.items()
        if name == "biaswatch_next_execution_scheduled_time_seconds"
    }
    assert exposed == {
        "hourly": (T + timedelta(hours=1)).timestamp(),
        "daily": (T.replace(hour=2) + timedelta(days=1)).timestamp(),
    }
    store.engine.dispose()
