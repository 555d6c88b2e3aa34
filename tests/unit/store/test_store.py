"""The metadata store on SQLite and on a real PostgreSQL: schedules, executions, leases, metrics."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import StatementError
from tests.postgres import fresh_database

from biaswatch.errors import ConfigError
from biaswatch.storage import FileStamp
from biaswatch.store import (
    AttemptRow,
    ExecutionStatus,
    MetricPoint,
    ScheduleStatus,
    Store,
    Trigger,
    attempt_owner,
    owner_alive,
    process_owner,
)

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with fresh_database() as database:
            yield database


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store.open(url)
    yield opened
    opened.engine.dispose()


def _schedule(store: Store, name: str = "hourly") -> None:
    store.create_schedule(name, expression="cron(0 * ? * * *)", definition={"k": 1}, now=T)


def test_opening_twice_migrates_once(url: str) -> None:
    Store.open(url).engine.dispose()
    second = Store.open(url)
    assert second.schedules() == []
    second.engine.dispose()


def test_the_head_revision_is_alembics() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from biaswatch.store.database import _MIGRATIONS, head_revision

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_store_at_the_head_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Store.open(url).engine.dispose()
    code = (
        "import sys; from biaswatch.store import Store; "
        f"Store.open({url!r}).schedules(); print('alembic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_endpoints(store: Store) -> None:
    store.register_endpoint("ep", capture_uri="s3://b/capture", now=T)
    store.register_endpoint("ep", capture_uri="s3://b/other", now=T, url="http://localhost:8080")
    row = store.endpoint("ep")
    assert row is not None
    assert (row.capture_uri, row.url, row.created_at) == (
        "s3://b/other",
        "http://localhost:8080",
        T,
    )
    assert [e.name for e in store.endpoints()] == ["ep"]


def test_schedules(store: Store) -> None:
    _schedule(store)
    with pytest.raises(ConfigError, match="exists already"):
        _schedule(store)
    store.update_schedule("hourly", now=T + LEASE, status=ScheduleStatus.STOPPED)
    row = store.schedule("hourly")
    assert row is not None
    assert (row.status, row.definition, row.updated_at) == ("Stopped", {"k": 1}, T + LEASE)
    assert store.schedules(status=ScheduleStatus.SCHEDULED) == []
    with pytest.raises(ConfigError, match="no monitoring schedule called 'nope'"):
        store.update_schedule("nope", now=T)
    assert store.delete_schedule("hourly")
    assert not store.delete_schedule("hourly")


def _claim(store: Store, execution_id: int, owner: str, **options: Any) -> AttemptRow | None:
    return store.claim(
        execution_id, owner=owner, now=options.pop("now", T), lease=LEASE,
        trigger=options.pop("trigger", Trigger.SCHEDULED), **options,
    )  # fmt: skip


def test_an_execution_runs_once_and_ends(store: Store) -> None:
    _schedule(store)
    execution = store.add_execution("hourly", T, now=T)
    assert store.add_execution("hourly", T, now=T).id == execution.id  # one row per slot
    attempt = _claim(store, execution.id, "a")
    assert attempt is not None
    assert (attempt.number, attempt.trigger, attempt.status) == (1, "scheduled", "InProgress")
    assert _claim(store, execution.id, "b") is None
    assert _claim(store, execution.id, "b", rerun=True) is None  # running: no second attempt
    assert store.heartbeat(execution.id, owner="a", now=T + LEASE, lease=LEASE)
    assert not store.heartbeat(execution.id, owner="b", now=T, lease=LEASE)
    assert store.finish(
        attempt, status=ExecutionStatus.COMPLETED_WITH_VIOLATIONS, now=T + LEASE,
        output_uri="memory://out", counts={"rows": 3},
    )  # fmt: skip
    row = store.execution_at("hourly", T)
    assert row is not None
    assert (row.status, row.output_uri, row.counts, row.ended_at) == (
        "CompletedWithViolations", "memory://out", {"rows": 3}, T + LEASE,
    )  # fmt: skip
    assert (row.attempt, row.attempts, row.lease_owner, row.revised) == (1, 1, None, False)
    assert not store.finish(attempt, status=ExecutionStatus.FAILED, now=T)
    assert _claim(store, execution.id, "c") is None  # without rerun, a slot runs once


def test_a_rerun_is_a_new_attempt_the_slot_then_shows(store: Store) -> None:
    _schedule(store)
    execution = store.add_execution("hourly", T, now=T)
    first = _claim(store, execution.id, "a")
    assert first is not None
    points = [MetricPoint(T, "post_training", "sex", "0", "DPPL", 0.5)]
    store.finish(
        first, status=ExecutionStatus.FAILED, now=T, failure_reason="0 labels", points=points
    )
    late = T + timedelta(hours=3)
    second = _claim(
        store, execution.id, "b", now=late, trigger=Trigger.MANUAL, rerun=True,
        ground_truth_until=late,
    )  # fmt: skip
    assert second is not None
    assert (second.number, second.trigger, second.ground_truth_until) == (2, "manual", late)
    running = store.execution(execution.id)
    assert running is not None
    assert (running.status, running.attempt, running.attempts) == ("Failed", 1, 2)
    stamps = [FileStamp("2026/11/24/13/a.jsonl", 10, "v1")]
    newer = [MetricPoint(T, "post_training", "sex", "0", "DPPL", 0.25)]
    assert store.finish(
        second, status=ExecutionStatus.COMPLETED, now=late, output_uri="memory://out",
        points=newer, ground_truth_files=stamps, archived=(1, "memory://out/attempts/1"),
    )  # fmt: skip
    row = store.execution(execution.id)
    assert row is not None
    assert (row.status, row.failure_reason, row.attempt, row.revised) == (
        "Completed", None, 2, True,
    )  # fmt: skip
    assert store.metric_series("hourly") == newer  # the latest attempt's points only
    attempts = store.attempts(execution.id)
    assert [(a.number, a.status, a.output_uri) for a in attempts] == [
        (2, "Completed", "memory://out"), (1, "Failed", "memory://out/attempts/1"),
    ]  # fmt: skip
    assert attempts[0].ground_truth_files == [["2026/11/24/13/a.jsonl", 10, "v1"]]
    [(slot, recorded)] = store.finished_between("hourly", since=T, until=late)
    assert (slot.id, recorded and recorded.number) == (execution.id, 2)


def test_a_stale_attempt_is_ended_by_anyone_and_the_slot_can_rerun(store: Store) -> None:
    _schedule(store)
    first = store.add_execution("hourly", T, now=T)
    attempt = _claim(store, first.id, "otherhost:1:manual/x")
    assert attempt is not None
    assert store.end_stale(now=T + LEASE / 2) == []
    assert store.end_stale(now=T + LEASE * 2) == [first.id]
    row = store.execution(first.id)
    assert row is not None
    assert (row.status, row.attempt, row.lease_owner) == ("Failed", 1, None)
    assert "attempt 1 stopped before finishing" in (row.failure_reason or "")
    assert "lease expired" in (row.failure_reason or "")
    assert "--rerun" in (row.failure_reason or "")
    assert not store.finish(attempt, status=ExecutionStatus.COMPLETED, now=T)
    assert [a.status for a in store.attempts(first.id)] == ["Failed"]
    following = store.add_execution("hourly", T + timedelta(hours=1), now=T)
    assert _claim(store, following.id, "alive") is not None
    assert _claim(store, first.id, "again", rerun=True) is not None


def test_an_attempt_whose_process_is_gone_is_ended_before_its_lease_runs_out(
    store: Store,
) -> None:
    _schedule(store)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    owner = f"{socket.gethostname()}:{gone.pid}:manual/x"
    assert owner_alive(process_owner("manual"))
    assert not owner_alive(owner)
    execution = store.add_execution("hourly", T, now=T)
    assert _claim(store, execution.id, owner) is not None
    alive = store.add_execution("hourly", T + timedelta(hours=1), now=T)
    assert _claim(store, alive.id, attempt_owner(process_owner("manual"))) is not None
    assert store.end_stale(now=T) == [execution.id]
    row = store.execution(execution.id)
    assert row is not None
    assert "that process no longer exists" in (row.failure_reason or "")
    assert str(gone.pid) in (row.failure_reason or "")


def test_two_processes_rerunning_after_the_same_attempt_make_one_attempt(url: str) -> None:
    setup = Store.open(url)
    _schedule(setup)
    execution = setup.add_execution("hourly", T, now=T)
    first = _claim(setup, execution.id, "a")
    assert first is not None
    setup.finish(first, status=ExecutionStatus.COMPLETED, now=T)
    won: list[int] = []
    barrier = threading.Barrier(4)

    def rerun(owner: str) -> None:
        store = Store.open(url)
        barrier.wait()
        attempt = _claim(
            store, execution.id, owner, rerun=True, after=1, trigger=Trigger.LATE_GROUND_TRUTH
        )
        if attempt is not None:
            won.append(attempt.number)
        store.engine.dispose()

    threads = [threading.Thread(target=rerun, args=(f"s{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert won == [2]
    assert [a.number for a in setup.attempts(execution.id)] == [2, 1]
    setup.engine.dispose()


def test_executions_oldest_first(store: Store) -> None:
    _schedule(store)
    for hours in (3, 1, 2):
        store.add_execution("hourly", T + timedelta(hours=hours), now=T)
    times = [e.scheduled_time for e in store.executions("hourly")]
    assert times == sorted(times)
    assert [e.scheduled_time for e in store.executions("hourly", limit=2)] == times[1:]


def test_two_schedulers_never_run_a_slot_twice(url: str) -> None:
    setup = Store.open(url)
    _schedule(setup)
    slots = [T + timedelta(hours=h) for h in range(40)]
    claimed: dict[str, list[datetime]] = {"a": [], "b": []}

    def scheduler(owner: str) -> None:
        store = Store.open(url)
        for slot in slots:
            execution = store.add_execution("hourly", slot, now=T)
            if _claim(store, execution.id, owner) is not None:
                claimed[owner].append(slot)
        store.engine.dispose()

    threads = [threading.Thread(target=scheduler, args=(owner,)) for owner in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed["a"] + claimed["b"]) == slots
    assert len(setup.executions("hourly")) == len(slots)
    setup.engine.dispose()


def test_metric_points_keep_infinity_and_undefined(store: Store) -> None:
    _schedule(store)
    points = [
        MetricPoint(T, "post_training", "Sex", "0", "TE", math.inf),
        MetricPoint(T, "post_training", "Sex", "0", "CDDPL", None),
        MetricPoint(T + timedelta(hours=1), "post_training", "Sex", "0", "TE", 1.5),
    ]
    for moment in (T, T + timedelta(hours=1)):
        attempt = _claim(store, store.add_execution("hourly", moment, now=T).id, "a")
        assert attempt is not None
        at = [p for p in points if p.scheduled_time == moment]
        store.finish(attempt, status=ExecutionStatus.COMPLETED, now=T, points=at)
    assert store.metric_series("hourly", metric="TE") == [points[0], points[2]]
    assert len(store.metric_series("hourly")) == 3


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="no time zone"):
        store.register_endpoint("ep", capture_uri="x", now=datetime(2026, 1, 1))  # noqa: DTZ001
