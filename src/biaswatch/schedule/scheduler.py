"""The scheduler: run every due (schedule, scheduled time) exactly once, and re-evaluate.

Each :meth:`Scheduler.tick` ends attempts whose worker is gone (their lease ran out, or their
process on this host no longer exists), finds the scheduled times that have come for every
``Scheduled`` schedule (missed ones too, back to ``catch_up``), and hands them to a pool; each
execution runs in a worker process, so a slow one blocks nothing else.

Re-evaluation (opt-in per schedule, ``reevaluate_within``): every ``reevaluation_interval`` a
tick also lists the ground-truth files of each finished slot of that period and reruns, with
trigger ``late-ground-truth``, the slots whose ground truth grew since their latest attempt that
recorded its files: a file it read changed (size or version), or, when that attempt failed or
left rows without ground truth, a new file appeared. (New files cannot add to a slot whose
every row had its label; a correction uploaded as a new file needs a manual rerun.) At most
``reevaluations_per_tick`` reruns start a tick, the slots compared longest ago first.

Each tick also starts a round of notifying (:func:`biaswatch.jobs.notifying.notify`) beside
the executions, when the previous round has ended: it decides the events of ended attempts and
delivers, or retries, what is due, for at most ``poll_interval`` (so a stop waits no longer).
Every ``live_interval`` (a minute), before it, a live round
(:func:`biaswatch.jobs.live.live_round`) reads the endpoints' live counts: the textfile's
live gauges, and the live events of schedules with a ``live_violation_window``.

Several schedulers may share one database: the store's conditional claim lets exactly one of
them run a slot, or rerun it after a given attempt. :meth:`Scheduler.run` ticks until asked to
stop (SIGTERM and SIGINT ask it), then waits for the running executions;
:meth:`Scheduler.run_once` runs one tick and waits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from biaswatch.config.cron import CronSchedule, parse_schedule_expression
from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.errors import BiaswatchError
from biaswatch.jobs.attempt import window_of
from biaswatch.jobs.live import live_round
from biaswatch.jobs.notifying import notify
from biaswatch.jobs.runner import run_and_record
from biaswatch.jobs.worker import Worker
from biaswatch.storage import FileStamp, list_hour_stamps
from biaswatch.store import (
    ExecutionRow,
    ExecutionStatus,
    ScheduleRow,
    ScheduleStatus,
    Store,
    Trigger,
    process_owner,
)

__all__ = ["Rerun", "Scheduler", "SchedulerOptions"]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class SchedulerOptions:
    """How often to look, how far back to catch up, how many executions at once."""

    poll_interval: timedelta = timedelta(seconds=30)
    catch_up: timedelta = timedelta(hours=24)
    workers: int = 2
    reevaluation_interval: timedelta = timedelta(minutes=5)
    """How often ground-truth files are listed for re-evaluation (each listing costs a LIST
    request per hour folder on an object store)."""
    reevaluations_per_tick: int = 4
    """At most this many late-ground-truth reruns start in one tick."""
    live_interval: timedelta = timedelta(minutes=1)
    """How often the live metrics are read: the Prometheus textfile's live gauges (when it is
    set) and the live events of schedules with a ``live_violation_window``."""


@dataclass(frozen=True, slots=True)
class Rerun:
    """A slot whose ground truth grew since its attempt ``after`` read it."""

    definition: MonitoringJobDefinition
    scheduled_time: datetime
    after: int
    compared_at: datetime
    """When the attempt that recorded the files began (the oldest comparison goes first)."""


def _grown(new: set[FileStamp], seen: set[FileStamp], slot: ExecutionRow) -> bool:
    """Whether files ``new`` since ``seen`` can change what the slot found (module docstring)."""
    if not new:
        return False
    read = {stamp.name for stamp in seen}
    if any(stamp.name in read for stamp in new):  # a file it read was rewritten
        return True
    unlabelled = int((slot.counts or {}).get("rows_without_ground_truth") or 0)
    return slot.status == ExecutionStatus.FAILED or unlabelled > 0


class _GroundTruthListing:
    """The ground-truth files of one schedule, each hour folder listed at most once."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._hours: dict[datetime, list[FileStamp]] = {}

    def stamps(self, hours: list[datetime]) -> set[FileStamp]:
        found: set[FileStamp] = set()
        for hour in hours:
            if hour not in self._hours:
                self._hours[hour] = list_hour_stamps(self.root, hour, hour)
            found.update(self._hours[hour])
        return found


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
        self.owner = owner or process_owner("scheduler")
        self._pool = ThreadPoolExecutor(
            max_workers=self.options.workers, thread_name_prefix="biaswatch-exec"
        )
        self._running: dict[tuple[str, datetime], Future[ExecutionRow | None]] = {}
        self._stop = threading.Event()
        self._reevaluated_at: datetime | None = None
        self._live_checked_at: datetime | None = None
        # One warm worker process per pool thread, closed when the scheduler stops.
        self._local = threading.local()
        self._workers: list[Worker] = []
        self._workers_lock = threading.Lock()
        # Notifications are decided and delivered beside the executions, one round at a time.
        self._notifier = ThreadPoolExecutor(max_workers=1, thread_name_prefix="biaswatch-notify")
        self._notifying: Future[None] | None = None

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

    def reruns(self, now: datetime) -> list[Rerun]:
        """The finished slots of re-evaluating schedules whose ground truth has grown."""
        found: list[Rerun] = []
        for row in self.store.schedules(status=ScheduleStatus.SCHEDULED):
            try:
                definition = MonitoringJobDefinition.model_validate(row.definition)
                if definition.reevaluate_within is None:
                    continue
                found.extend(self._grown(definition, now))
            except (BiaswatchError, ValueError) as exc:
                log.error("schedule %s cannot be re-evaluated: %s", row.name, exc)
        return sorted(found, key=lambda rerun: rerun.compared_at)

    def _grown(self, definition: MonitoringJobDefinition, now: datetime) -> list[Rerun]:
        within = definition.late_ground_truth_limit
        listing = _GroundTruthListing(definition.ground_truth_uri)
        grown = []
        slots = self.store.finished_between(definition.schedule_name, since=now - within, until=now)
        for slot, recorded in slots:
            if recorded is None or recorded.ground_truth_files is None:
                continue  # nothing to compare with: left alone
            moment = slot.scheduled_time
            window = window_of(definition, moment, ground_truth_until=min(now, moment + within))
            seen = {FileStamp.from_json(stamp) for stamp in recorded.ground_truth_files}
            if _grown(listing.stamps(window.ground_truth_hours()) - seen, seen, slot):
                grown.append(Rerun(definition, moment, slot.attempts, recorded.started_at))
        return grown

    def tick(self, *, reevaluate: bool | None = None) -> list[Future[ExecutionRow | None]]:
        """One round: end stale attempts, start the due slots and re-evaluations.

        Re-evaluation runs when ``reevaluation_interval`` has passed since the last one (or
        when ``reevaluate`` says so). Returns what it started.
        """
        now = self.clock()
        ended = self.store.end_stale(now=now)
        if ended:
            log.warning("ended %d attempts whose worker stopped: %s", len(ended), ended)
        self._running = {key: f for key, f in self._running.items() if not f.done()}
        self._live_round(now)  # before notifying: its events are delivered in this round
        if self._notifying is None or self._notifying.done():
            self._notifying = self._notifier.submit(
                notify,
                self.store,
                clock=self.clock,
                owner=self.owner,
                budget=self.options.poll_interval.total_seconds(),
            )
        started = []
        for definition, moment in self.due(now):
            future = self._submit(definition, moment, Trigger.SCHEDULED, None)
            if future is not None:
                started.append(future)
        if reevaluate is None:
            last = self._reevaluated_at
            reevaluate = last is None or now - last >= self.options.reevaluation_interval
        if reevaluate:
            self._reevaluated_at = now
            budget = self.options.reevaluations_per_tick
            for rerun in self.reruns(now):
                if budget <= 0:
                    break
                future = self._submit(
                    rerun.definition, rerun.scheduled_time, Trigger.LATE_GROUND_TRUTH, rerun.after
                )
                if future is not None:
                    started.append(future)
                    budget -= 1
        return started

    def _submit(
        self,
        definition: MonitoringJobDefinition,
        moment: datetime,
        trigger: Trigger,
        after: int | None,
    ) -> Future[ExecutionRow | None] | None:
        key = (definition.schedule_name, moment)
        if key in self._running or self._stop.is_set():
            return None
        future = self._pool.submit(self._execute, definition, moment, trigger, after)
        self._running[key] = future
        return future

    def _execute(
        self,
        definition: MonitoringJobDefinition,
        moment: datetime,
        trigger: Trigger,
        after: int | None,
    ) -> ExecutionRow | None:
        """Run one slot (or rerun it after attempt ``after``) in this thread's worker.

        Nothing once the scheduler is stopping: a slot queued before a stop is left for the
        next scheduler (it has no row yet).
        """
        if self._stop.is_set():
            return None
        worker = getattr(self._local, "worker", None)
        if worker is None:
            worker = self._local.worker = Worker()
            with self._workers_lock:
                self._workers.append(worker)
        return run_and_record(
            self.store,
            definition,
            moment,
            owner=self.owner,
            clock=self.clock,
            worker=worker,
            trigger=trigger,
            rerun=after is not None,
            after=after,
        )

    def _shut_down(self) -> None:
        """Wait for the running executions, drop the queued ones, end the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._notifier.shutdown(wait=True)
        with self._workers_lock:
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.close()

    def _live_round(self, now: datetime) -> None:
        """Every ``live_interval``: the textfile's live gauges and the schedules' live events.

        In the notifying thread: reading the live counts never holds up the round.
        """
        last = self._live_checked_at
        if last is not None and now - last < self.options.live_interval:
            return
        self._live_checked_at = now
        self._notifier.submit(live_round, self.store, now=now)

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

    def run_once(self) -> list[ExecutionRow]:
        """One tick with re-evaluation; wait for what it started; end the workers.

        Returns the executions it ran (as they ended).
        """
        started = self.tick(reevaluate=True)
        wait(started)
        if self._notifying is not None:
            wait([self._notifying])
        self._shut_down()
        return [row for future in started if (row := future.result()) is not None]

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
