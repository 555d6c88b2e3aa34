"""Migrations 0003 (attempts), 0004 (deliveries) and 0005 (live episodes) on a store made at 0002,
SQLite and PostgreSQL.

``tests/data/store-0002.sqlite`` was written by biaswatch at revision 0002 (see
``tests/data/README.md``): one schedule with a Completed, a CompletedWithViolations, a Failed,
an InProgress and a Pending execution, and metric points. The PostgreSQL database is migrated to
0002 by the same migrations and gets the very same rows, copied from that file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, text
from tests.conftest import run_cli
from tests.postgres import fresh_database

from biaswatch.errors import StorageError
from biaswatch.store import ExecutionStatus, Store, Trigger
from biaswatch.store.database import head_revision

FIXTURE = Path(__file__).parents[2] / "data" / "store-0002.sqlite"
T = datetime(2026, 11, 24, 10, tzinfo=UTC)
TABLES = ("endpoints", "schedules", "executions", "metric_points")


def _upgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from biaswatch.store.database import _MIGRATIONS

    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def _copy_rows(source: str, target: str) -> None:
    """The fixture's rows, inserted as they are (PostgreSQL's sequences moved past them)."""
    old, new = create_engine(source), create_engine(target)
    metadata = MetaData()
    metadata.reflect(new, only=TABLES)
    with old.connect() as reading, new.begin() as writing:
        for name in TABLES:
            table = metadata.tables[name]
            rows = [dict(row._mapping) for row in reading.execute(table.select())]
            if rows:
                writing.execute(table.insert(), rows)
        for name in ("executions", "metric_points"):
            writing.execute(text(f"SELECT setval('{name}_id_seq', (SELECT max(id) FROM {name}))"))
    old.dispose()
    new.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    copy = tmp_path / "store.db"
    shutil.copy(FIXTURE, copy)
    if request.param == "sqlite":
        yield f"sqlite:///{copy}"
        return
    with fresh_database() as url:
        _upgrade(url, "0002")
        _copy_rows(f"sqlite:///{copy}", url)
        yield url


def test_every_execution_that_began_becomes_its_attempt_1(old_store: str) -> None:
    store = Store.open(old_store)
    slots = store.executions("hourly")
    assert [(s.status, s.attempts, s.attempt) for s in slots] == [
        ("Completed", 1, 1),
        ("CompletedWithViolations", 1, 1),
        ("Failed", 1, 1),
        ("InProgress", 1, None),
        ("Pending", 0, None),
    ]
    assert [s.lease_owner for s in slots] == [None, None, None, "otherhost:4242:sched", None]
    for slot in slots[:4]:
        [attempt] = store.attempts(slot.id)
        assert (attempt.number, attempt.trigger, attempt.status) == (1, "scheduled", slot.status)
        assert (attempt.failure_reason, attempt.output_uri, attempt.counts) == (
            slot.failure_reason, slot.output_uri, slot.counts,
        )  # fmt: skip
        assert attempt.started_at == slot.started_at
        assert attempt.ground_truth_files is None  # not recorded before 0003
    assert store.attempts(slots[4].id) == []
    assert store.attempts(slots[0].id)[0].owner == "host:1:manual"
    assert len(store.metric_series("hourly")) == 4
    store.engine.dispose()


def test_a_migrated_store_reruns_runs_and_takes_over(old_store: str) -> None:
    store = Store.open(old_store)
    failed = store.execution_at("hourly", T + timedelta(hours=2))
    assert failed is not None
    attempt = store.claim(
        failed.id, owner="me", now=T, lease=timedelta(minutes=2), trigger=Trigger.MANUAL,
        rerun=True,
    )  # fmt: skip
    assert attempt is not None
    assert attempt.number == 2
    assert store.finish(attempt, status=ExecutionStatus.COMPLETED, now=T)
    # The InProgress execution's lease (from before the migration) has long expired.
    running = store.execution_at("hourly", T + timedelta(hours=3))
    assert running is not None
    assert store.end_stale(now=datetime.now(UTC)) == [running.id]
    pending = store.execution_at("hourly", T + timedelta(hours=4))
    assert pending is not None
    first = store.claim(
        pending.id, owner="me", now=T, lease=timedelta(minutes=2), trigger=Trigger.SCHEDULED
    )
    assert first is not None
    assert first.number == 1
    assert store.delete_schedule("hourly")
    store.engine.dispose()


def test_attempts_that_ended_before_notifications_existed_notify_nobody(old_store: str) -> None:
    store = Store.open(old_store)
    # Every attempt that had ended counts as noticed: upgrading sends nothing about the past.
    assert store.unnoticed() == []
    running = store.execution_at("hourly", T + timedelta(hours=3))
    assert running is not None
    assert store.end_stale(now=datetime.now(UTC)) == [running.id]
    assert [attempt.number for _, attempt in store.unnoticed()] == [1]
    assert store.deliveries(running.id) == []
    store.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def newer_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store a newer biaswatch migrated past this one's last revision."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'newer.db'}"
        yield _newer(url)
    else:
        with fresh_database() as url:
            yield _newer(url)


def _newer(url: str) -> str:
    Store.open(url).engine.dispose()
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9001'"))
    engine.dispose()
    return url


def test_a_store_from_a_newer_biaswatch_is_refused_in_words(newer_store: str) -> None:
    with pytest.raises(StorageError) as caught:
        Store.open(newer_store)
    message = str(caught.value)
    assert (
        "has schema revision 9001, written by a newer biaswatch; this one knows revisions up"
        f" to {head_revision()}" in message
    )
    assert "pip install -U biaswatch" in message
    engine = create_engine(newer_store)
    with engine.connect() as connection:  # nothing was changed
        assert list(connection.execute(text("SELECT version_num FROM alembic_version"))) == [
            ("9001",)
        ]
    engine.dispose()


def test_the_cli_says_so_without_a_traceback(
    newer_store: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BIASWATCH_DATABASE_URL", newer_store)
    assert run_cli(["schedules", "list"]) != 0
    err = capsys.readouterr().err
    assert "written by a newer biaswatch" in err
    assert "Traceback" not in err


def test_deliveries_of_executions_are_kept_when_deliveries_of_live_episodes_come(
    old_store: str,
) -> None:
    _upgrade(old_store, "0004")
    engine = create_engine(old_store)
    moment = "2026-11-24 10:00:00" + ("+00" if old_store.startswith("postgresql") else "")
    with engine.begin() as connection:
        slot = connection.execute(text("SELECT min(id) FROM executions")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO deliveries (execution_id, attempt, event, position, target,"
                " payload, status, tries, created_at, due_at) VALUES (:slot, 1, 'violation', 0,"
                " :target, '{}', 'Delivered', 1, :moment, :moment)"
            ),
            {"slot": slot, "target": '{"type": "webhook", "url": "https://h/x"}', "moment": moment},
        )
    engine.dispose()
    store = Store.open(old_store)  # 0004 -> 0005
    [delivery] = store.deliveries(slot)
    assert (delivery.event, delivery.status, delivery.live_episode_id) == (
        "violation", "Delivered", None,
    )  # fmt: skip
    assert delivery.receiver == "webhook https://h/x"
    assert store.live_episodes("hourly") == []
    assert store.delete_schedule("hourly")
    assert store.deliveries(slot) == []
    store.engine.dispose()
