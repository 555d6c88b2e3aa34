"""The metadata store on SQLite and on a real PostgreSQL: schedules, executions, leases, metrics."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import StatementError
from tests.postgres import fresh_database

from biaswatch.errors import ConfigError
from biaswatch.store import ExecutionStatus, MetricPoint, ScheduleStatus, Store

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


def test_an_execution_runs_once_and_ends(store: Store) -> None:
    _schedule(store)
    execution = store.add_execution("hourly", T, now=T)
    assert store.add_execution("hourly", T, now=T).id == execution.id  # one row per slot
    assert store.claim(execution.id, owner="a", now=T, lease=LEASE)
    assert not store.claim(execution.id, owner="b", now=T, lease=LEASE)
    assert store.heartbeat(execution.id, owner="a", now=T + LEASE, lease=LEASE)
    assert not store.heartbeat(execution.id, owner="b", now=T, lease=LEASE)
    assert store.finish(
        execution.id, owner="a", status=ExecutionStatus.COMPLETED_WITH_VIOLATIONS, now=T + LEASE,
        output_uri="memory://out", counts={"rows": 3},
    )  # fmt: skip
    row = store.execution_at("hourly", T)
    assert row is not None
    assert (row.status, row.output_uri, row.counts, row.ended_at) == (
        "CompletedWithViolations", "memory://out", {"rows": 3}, T + LEASE,
    )  # fmt: skip
    assert not store.finish(execution.id, owner="a", status=ExecutionStatus.FAILED, now=T)


def test_a_dead_worker_execution_fails_and_the_next_slot_runs(store: Store) -> None:
    _schedule(store)
    first = store.add_execution("hourly", T, now=T)
    assert store.claim(first.id, owner="dead", now=T, lease=LEASE)
    assert store.fail_expired(now=T + LEASE / 2) == []
    assert store.fail_expired(now=T + LEASE * 2) == [first.id]
    row = store.execution(first.id)
    assert row is not None
    assert row.status == "Failed"
    assert "stopped" in (row.failure_reason or "")
    assert not store.finish(first.id, owner="dead", status=ExecutionStatus.COMPLETED, now=T)
    following = store.add_execution("hourly", T + timedelta(hours=1), now=T)
    assert store.claim(following.id, owner="alive", now=T, lease=LEASE)


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
            if store.claim(execution.id, owner=owner, now=T, lease=LEASE):
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
    store.add_metric_points("hourly", points)
    assert store.metric_series("hourly", metric="TE") == [points[0], points[2]]
    assert len(store.metric_series("hourly")) == 3


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="no time zone"):
        store.register_endpoint("ep", capture_uri="x", now=datetime(2026, 1, 1))  # noqa: DTZ001
