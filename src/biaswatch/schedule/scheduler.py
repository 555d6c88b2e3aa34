"""The scheduler: run every due (schedule, scheduled time) exactly once.

Each :meth:`Scheduler.tick` ends executions whose worker died (their lease ran out), finds the
scheduled times that have come for every ``Scheduled`` schedule (missed ones too, back to
``catch_up``), and hands them to a pool; each execution runs in its own worker process, so a
slow one blocks nothing else. Several schedulers may share one database: the store's claim lets
exactly one of them run a slot. :meth:`Scheduler.run` ticks until asked to stop (SIGTERM and
SIGINT ask it), then waits for the running executions.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.errors import BiaswatchError
from biaswatch.jobs.runner import run_and_record
from biaswatch.jobs.worker import Worker
from biaswatch.schedule.cron import CronSchedule, parse_schedule_expression
from biaswatch.store import ExecutionRow, ScheduleRow, ScheduleStatus, Store

__all__ = ["Scheduler", "SchedulerOptions"]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    """How often to look, how far back to catch up, how many executions at once."""

    poll_interval: timedelta = timedelta(seconds=30)
    catch_up: timedelta = timedelta(hours=24)
    workers: int = 2


def _default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Scheduler:
    """Runs due executions; see the module docstring."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Clock,
        options: SchedulerOptions | None = None,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.options = options or SchedulerOptions()
        self.owner = owner or _default_owner()
        self._pool = ThreadPoolExecutor(
            max_workers=self.options.workers, thread_name_prefix="biaswatch-exec"
        )
        self._running: dict[tuple[str, datetime], Future[ExecutionRow | None]] = {}
        self._stop = threading.Event()
        # One warm worker process per pool thread, closed when the scheduler stops.
        self._local = threading.local()
        self._workers: list[Worker] = []
        self._workers_lock = threading.Lock()

    def due(self, now: datetime) -> list[tuple[MonitoringJobDefinition, datetime]]:
        """The (definition, scheduled time) pairs that have come and have no execution yet."""
        found: list[tuple[MonitoringJobDefinition, datetime]] = []
        for row in self.store.schedules(status=ScheduleStatus.SCHEDULED):
            try:
                definition = MonitoringJobDefinition.model_validate(row.definition)
                times = self._times(row, now)
            except (BiaswatchError, ValueError) as exc:
                log.error("schedule %s cannot run: %s", row.name, exc)
                continue
            if not times:
                continue
            done = self.store.execution_times(row.name, since=min(times))
            found.extend((definition, moment) for moment in times if moment not in done)
        return sorted(found, key=lambda pair: pair[1])

    def _times(self, row: ScheduleRow, now: datetime) -> list[datetime]:
        schedule = parse_schedule_expression(row.expression or "")
        if schedule is None:  # NOW: once, at the time it was created
            return [row.created_at] if row.created_at <= now else []
        assert isinstance(schedule, CronSchedule)
        # Slots after the schedule was created, back to the catch-up bound (backfill runs older).
        if now - self.options.catch_up >= row.created_at:
            return schedule.times_between(now - self.options.catch_up - timedelta.resolution, now)
        return schedule.times_between(row.created_at, now)

    def tick(self) -> list[Future[ExecutionRow | None]]:
        """One round: end dead executions, start the due ones; returns what it started."""
        now = self.clock()
        failed = self.store.fail_expired(now=now)
        if failed:
            log.warning("ended %d executions whose worker stopped: %s", len(failed), failed)
        self._running = {key: f for key, f in self._running.items() if not f.done()}
        started = []
        for definition, moment in self.due(now):
            key = (definition.schedule_name, moment)
            if key in self._running or self._stop.is_set():
                continue
            future = self._pool.submit(self._execute, definition, moment)
            self._running[key] = future
            started.append(future)
        return started

    def _execute(
        self, definition: MonitoringJobDefinition, moment: datetime
    ) -> ExecutionRow | None:
        """Run one slot in this thread's worker; nothing once the scheduler is stopping.

        A slot queued before a stop is left for the next scheduler: it has no row yet.
        """
        if self._stop.is_set():
            return None
        worker = getattr(self._local, "worker", None)
        if worker is None:
            worker = self._local.worker = Worker()
            with self._workers_lock:
                self._workers.append(worker)
        return run_and_record(
            self.store, definition, moment, owner=self.owner, clock=self.clock, worker=worker
        )

    def _shut_down(self) -> None:
        """Wait for the running executions, drop the queued ones, end the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._workers_lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.close()

    def run(self) -> None:
        """Tick every ``poll_interval`` until :meth:`stop`; then wait for running executions."""
        log.info("scheduler %s started", self.owner)
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # one bad round (a database blip) must not stop the scheduler
                log.exception("scheduler round failed; trying again")
            self._stop.wait(self.options.poll_interval.total_seconds())
        self._shut_down()
        log.info("scheduler %s stopped", self.owner)

    def stop(self) -> None:
        """Ask :meth:`run` to finish (safe from a signal handler)."""
        self._stop.set()

    def close(self) -> None:
        """Stop and wait for running executions."""
        self.stop()
        self._shut_down()


def utc_now() -> datetime:
    """The real clock, for the daemon."""
    return datetime.now(UTC)
