"""Re-evaluation: the scheduler reruns a finished slot whose ground truth grew, exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.capture_data import T, write_capture
from tests.postgres import fresh_database
from tests.unit.jobs.test_reruns import _labels, _setup
from tests.unit.schedule.test_scheduler import FakeClock, store

from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.jobs.runner import run_and_record
from biaswatch.schedule import Scheduler, SchedulerOptions
from biaswatch.store import Store

__all__ = ["store"]  # the fixture this module uses

LATER = T + timedelta(hours=5)
NOW = T + timedelta(hours=5, minutes=30)


def _two_slots(tmp_path: Path, store: Store) -> MonitoringJobDefinition:
    """Slots T and T+5h, each run with the labels of 100 of its 300 inferences.

    With ``reevaluate_within="PT6H"``, at NOW (T+5h30) slot T reads the ground-truth hours
    T-1h to T+5h, slot T+5h the hours T+4h and T+5h.
    """
    # Yearly: no slot of its own comes due in these tests; T and T+5h are run by hand.
    job = _setup(tmp_path, store, expression="cron(0 0 1 1 ? *)", reevaluate_within="PT6H")
    lines = Path(next((tmp_path / "data" / "capture").rglob("*.jsonl"))).read_bytes()
    write_capture(f"{tmp_path}/data/capture", [lines], hour=LATER - timedelta(hours=1))
    _labels(job, range(0, 100), hour=T, name="first")
    _labels(job, range(0, 100), hour=LATER, name="first")
    for moment in (T, LATER):
        row = run_and_record(store, job, moment, owner="me", clock=FakeClock(moment))
        assert row.counts is not None
        assert row.counts["rows"] == 100
    return job


def _settled(tmp_path: Path, store: Store) -> MonitoringJobDefinition:
    """:func:`_two_slots`, re-evaluated once at NOW, so that their recorded files are current."""
    job = _two_slots(tmp_path, store)
    Scheduler(store, clock=FakeClock(NOW)).run_once()
    return job


def test_once_reruns_the_slot_whose_labels_grew_and_leaves_the_other(
    tmp_path: Path, store: Store
) -> None:
    job = _two_slots(tmp_path, store)
    now = FakeClock(NOW)
    # Slot T's attempt read hours T-1h and T; the file in hour T+5h is new to it.
    [settled] = Scheduler(store, clock=now).run_once()
    assert (settled.scheduled_time, settled.attempt) == (T, 2)
    assert Scheduler(store, clock=now).run_once() == []  # nothing grew since
    # Labels for 100 more inferences land in hour T+2: within slot T's period, not T+5h's.
    _labels(job, range(100, 200), hour=T + timedelta(hours=2), name="late")
    [rerun] = Scheduler(store, clock=now).run_once()
    assert (rerun.scheduled_time, rerun.attempt, rerun.revised) == (T, 3, True)
    assert rerun.counts is not None
    assert rerun.counts["rows"] == 200
    assert [a.trigger for a in store.attempts(rerun.id)] == [
        "late-ground-truth", "late-ground-truth", "manual",
    ]  # fmt: skip
    other = store.execution_at(job.schedule_name, LATER)
    assert other is not None
    assert other.attempts == 1
    assert Scheduler(store, clock=now).run_once() == []  # read since: nothing grew again


def test_a_file_rewritten_in_place_counts_as_grown(tmp_path: Path, store: Store) -> None:
    job = _settled(tmp_path, store)
    _labels(job, range(0, 150), hour=T, name="first")  # the same file, now longer
    [rerun] = Scheduler(store, clock=FakeClock(NOW)).run_once()
    assert rerun.counts is not None
    assert rerun.counts["rows"] == 150


def test_slots_older_than_the_period_and_schedules_without_it_are_left_alone(
    tmp_path: Path, store: Store
) -> None:
    job = _settled(tmp_path, store)
    _labels(job, range(100, 200), hour=T + timedelta(hours=2), name="late")
    # Slot T is more than PT6H old by then; slot T+5h does not read hour T+2.
    assert Scheduler(store, clock=FakeClock(T + timedelta(hours=7))).run_once() == []
    store.update_schedule(
        job.schedule_name,
        now=T,
        definition=job.model_copy(update={"reevaluate_within": None}).model_dump(mode="json"),
    )
    assert Scheduler(store, clock=FakeClock(NOW)).run_once() == []


def test_reruns_per_tick_are_bounded(tmp_path: Path, store: Store) -> None:
    job = _settled(tmp_path, store)
    _labels(job, range(100, 200), hour=LATER, name="late")  # both slots read hour T+5h
    options = SchedulerOptions(reevaluations_per_tick=1)
    [first] = Scheduler(store, clock=FakeClock(NOW), options=options).run_once()
    [second] = Scheduler(store, clock=FakeClock(NOW), options=options).run_once()
    assert {first.scheduled_time, second.scheduled_time} == {T, LATER}


@pytest.fixture
def postgres() -> Iterator[str]:
    with fresh_database() as url:
        yield url


def test_two_schedulers_on_one_postgresql_database_rerun_a_slot_once(
    tmp_path: Path, postgres: str
) -> None:
    setup = Store.open(postgres)
    job = _settled(tmp_path, setup)
    _labels(job, range(100, 200), hour=T + timedelta(hours=2), name="late")
    now = FakeClock(NOW)
    stores = [Store.open(postgres) for _ in range(2)]
    schedulers = [Scheduler(store, clock=now) for store in stores]
    started = threading.Barrier(2)
    ran: list[int] = []

    def once(scheduler: Scheduler) -> None:
        started.wait()
        ran.extend(row.attempt or 0 for row in scheduler.run_once())

    threads = [threading.Thread(target=once, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slot = setup.execution_at(job.schedule_name, T)
    assert slot is not None
    assert [a.number for a in setup.attempts(slot.id)] == [3, 2, 1]
    assert ran.count(3) == 1  # one scheduler ran attempt 3; the other, if it got there, nothing
    for opened in [setup, *stores]:
        opened.engine.dispose()


def test_a_slot_with_every_label_reruns_only_when_a_file_it_read_changes(
    tmp_path: Path, store: Store
) -> None:
    job = _setup(tmp_path, store, expression="cron(0 0 1 1 ? *)", reevaluate_within="PT6H")
    _labels(job, range(300), hour=T, name="all")
    run_and_record(store, job, T, owner="me", clock=lambda: T)
    _labels(job, range(0, 50), hour=T + timedelta(hours=2), name="more")  # adds nothing
    assert Scheduler(store, clock=FakeClock(NOW)).run_once() == []
    _labels(job, range(0, 299), hour=T, name="all")  # a file it read, rewritten
    [rerun] = Scheduler(store, clock=FakeClock(NOW)).run_once()
    assert rerun.counts is not None
    assert (rerun.attempt, rerun.counts["rows"]) == (2, 299)
