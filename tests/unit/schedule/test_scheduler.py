"""The scheduler with an injected clock: slots once, catch-up, two daemons, a killed worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.postgres import fresh_database
from tests.processes import children
from tests.receivers import WebhookReceiver

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.schedule import Scheduler, SchedulerOptions
from biaswatch.store import Store

T = datetime(2026, 11, 24, 10, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def add_schedule(
    store: Store, tmp_path: Path, name: str = "hourly", notifications: tuple[str, ...] = ()
) -> None:
    definition = MonitoringJobDefinition(
        notifications=notifications,
        schedule_name=name,
        endpoint_input=EndpointInputDefinition(
            endpoint_name="ep", capture_uri=str(tmp_path / "capture")
        ),
        ground_truth_uri=str(tmp_path / "truth"),
        output_uri=str(tmp_path / "out"),
        analysis_config={
            "label": "y",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "s"}],
        },
    )
    store.create_schedule(
        name,
        expression="cron(0 * ? * * *)",
        definition=definition.model_dump(mode="json"),
        now=T - timedelta(minutes=1),
    )


def run(scheduler: Scheduler) -> None:
    for future in scheduler.tick():
        future.result()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    yield opened
    opened.engine.dispose()


def test_each_hourly_slot_fires_once(store: Store, tmp_path: Path) -> None:
    add_schedule(store, tmp_path)
    clock = FakeClock(T)
    scheduler = Scheduler(store, clock=clock)
    run(scheduler)
    clock.now = T + timedelta(minutes=20)
    run(scheduler)
    clock.now = T + timedelta(hours=1, minutes=5)
    run(scheduler)
    scheduler.close()
    executions = store.executions("hourly")
    assert [e.scheduled_time for e in executions] == [T, T + timedelta(hours=1)]
    # The capture folder is empty: each execution fails with its reason, and the next still runs.
    assert {e.status for e in executions} == {"Failed"}
    assert all((e.failure_reason or "").startswith("no captured records") for e in executions)


def test_a_restart_catches_up_within_the_bound(store: Store, tmp_path: Path) -> None:
    add_schedule(store, tmp_path)
    first = Scheduler(store, clock=FakeClock(T))
    run(first)
    first.close()
    later = Scheduler(
        store,
        clock=FakeClock(T + timedelta(hours=6)),
        options=SchedulerOptions(catch_up=timedelta(hours=3)),
    )
    run(later)
    later.close()
    hours = [e.scheduled_time for e in store.executions("hourly")]
    assert hours == [T, *(T + timedelta(hours=h) for h in (3, 4, 5, 6))]


def test_stopped_schedules_do_not_run(store: Store, tmp_path: Path) -> None:
    from biaswatch.store import ScheduleStatus

    add_schedule(store, tmp_path)
    store.update_schedule("hourly", now=T, status=ScheduleStatus.STOPPED)
    scheduler = Scheduler(store, clock=FakeClock(T))
    assert scheduler.tick() == []
    scheduler.close()


def test_two_schedulers_on_postgresql_never_run_a_slot_twice_and_notify_once(
    tmp_path: Path,
) -> None:
    with fresh_database() as url, WebhookReceiver().running() as receiver:
        setup = Store.open(url)
        add_schedule(setup, tmp_path, notifications=(receiver.url + "/hook",))
        clock = FakeClock(T + timedelta(hours=3))
        daemons = [Scheduler(Store.open(url), clock=clock, owner=name) for name in ("a", "b")]
        threads = [threading.Thread(target=run, args=(daemon,)) for daemon in daemons]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for daemon in daemons:  # a last round each, as the daemons' next ticks would
            run(daemon)
            daemon.close()
            daemon.store.engine.dispose()
        executions = setup.executions("hourly")
        deliveries = [d for e in executions for d in setup.deliveries(e.id)]
        setup.engine.dispose()
    assert [e.scheduled_time for e in executions] == [T + timedelta(hours=h) for h in range(4)]
    assert [e.status for e in executions] == ["Failed"] * 4
    # Four failed slots in a row: one event, from the first, delivered once.
    assert [(r.path, r.json["event"], r.json["scheduled_time"]) for r in receiver.received] == [
        ("/hook", "failed", T.isoformat())
    ]
    assert [(d.event, d.status, d.tries) for d in deliveries] == [("failed", "Delivered", 1)]


def test_a_killed_worker_fails_its_execution_and_the_next_slot_runs(
    store: Store, tmp_path: Path
) -> None:
    add_schedule(store, tmp_path)
    clock = FakeClock(T)
    scheduler = Scheduler(store, clock=clock)
    [future] = scheduler.tick()
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        workers = [pid for pid, (cmd, _) in children().items() if "biaswatch.jobs.worker" in cmd]
        time.sleep(0.01)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    row = future.result()
    assert row is not None
    assert row.status == "Failed"
    assert "was killed by SIGKILL before finishing" in (row.failure_reason or "")
    clock.now = T + timedelta(hours=1)
    run(scheduler)
    scheduler.close()
    assert [e.scheduled_time for e in store.executions("hourly")] == [T, T + timedelta(hours=1)]


def test_after_a_stop_no_new_execution_starts_and_queued_slots_stay(
    store: Store, tmp_path: Path
) -> None:
    add_schedule(store, tmp_path)
    clock = FakeClock(T + timedelta(hours=11, minutes=5))  # 12 slots are due at once
    scheduler = Scheduler(store, clock=clock, options=SchedulerOptions(workers=1))
    started = scheduler.tick()
    assert len(started) == 12
    scheduler.stop()  # as SIGTERM does, while the first slot runs
    scheduler.close()
    ran = store.executions("hourly")
    assert 1 <= len(ran) <= 2, [e.scheduled_time for e in ran]  # the one running, at most
    assert all(e.status == "Failed" for e in ran)  # finished, not left InProgress
    # The rest have no row: the next scheduler runs them.
    successor = Scheduler(store, clock=clock)
    assert len(successor.due(clock.now)) == 12 - len(ran)
    successor.close()
