"""Running a schedule's execution for a scheduled time, and recording it in the store.

:func:`run_and_record` is what a manual run, a backfill and the scheduler call: it creates (or
finds) the execution row, claims it (so it runs exactly once), keeps its lease alive while a
worker process runs the work (:func:`biaswatch.jobs.execution.run_execution`, which records
nothing), runs the post-analytics script, records the metric points, ends the row with the
outcome's status, and then notifies (:mod:`biaswatch.jobs.notifying`, within a bound).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.errors import ScheduleError, StorageError
from biaswatch.jobs.attempt import (
    DIAGNOSTICS_FILE,
    AttemptPlan,
    ExecutionOutcome,
    execution_output_uri,
    window_of,
)
from biaswatch.jobs.notifying import NOTIFY_BUDGET, notify
from biaswatch.jobs.publishing import publish_cloudwatch, publish_prometheus
from biaswatch.jobs.worker import Worker, run_in_worker
from biaswatch.storage import join, json_bytes, read_bytes, write_bytes
from biaswatch.store import AttemptRow, ExecutionRow, Store, Trigger, attempt_owner

__all__ = [
    "INHERITED_ENVIRONMENT",
    "LEASE",
    "POST_ANALYTICS_TIMEOUT",
    "run_and_record",
    "run_post_analytics",
]

_log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
#: How often (seconds) a running attempt's runner checks that it was not stopped.
HOLD_CHECK = 2.0
POST_ANALYTICS_TIMEOUT = 300.0
Clock = Callable[[], datetime]


#: What the post-analytics script inherits from this process's environment; secrets reach it
#: only when the schedule's ``env`` names them.
INHERITED_ENVIRONMENT = ("PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PYTHONPATH")


def _inherited() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name in INHERITED_ENVIRONMENT or name.startswith("LC_")
    }


def run_post_analytics(
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    outcome: ExecutionOutcome,
    *,
    plan: AttemptPlan | None = None,
    timeout: float = POST_ANALYTICS_TIMEOUT,
) -> dict[str, Any]:
    """Run the schedule's ``postprocess_handler()`` script in a subprocess; report how it went.

    It runs after every attempt, whatever its status. The script sees SageMaker's environment
    names (``output_path``, ``start_time``, ``end_time``, ``sagemaker_monitoring_schedule_name``,
    ``sagemaker_endpoint_name``, ``baseline_constraints``), ``biaswatch_execution_status``
    (with ``biaswatch_failure_reason`` when it failed), ``biaswatch_attempt`` and
    ``biaswatch_trigger`` (``scheduled``, ``manual``, ``backfill``, ``late-ground-truth``), the
    schedule's ``env``, and of this process's environment only :data:`INHERITED_ENVIRONMENT`
    (and ``LC_*``). The report has the status, the exit code and the end of the script's
    output; a failure is reported, never raised.
    """
    script = definition.post_analytics_processor_script
    assert script is not None
    plan = plan or AttemptPlan()
    window = window_of(definition, scheduled_time)
    environment = (
        _inherited()
        | definition.environment
        | {
            "output_path": outcome.output_uri,
            "start_time": window.start.isoformat(),
            "end_time": window.end.isoformat(),
            "sagemaker_monitoring_schedule_name": definition.schedule_name,
            "biaswatch_execution_status": outcome.status.value,
            "biaswatch_attempt": str(plan.number),
            "biaswatch_trigger": plan.trigger.value,
        }
    )
    if outcome.failure_reason:
        environment["biaswatch_failure_reason"] = outcome.failure_reason
    if definition.baseline_constraints_uri:
        environment["baseline_constraints"] = definition.baseline_constraints_uri
    if isinstance(definition.data_input, EndpointInputDefinition):
        environment["sagemaker_endpoint_name"] = definition.data_input.endpoint_name
    try:
        source = read_bytes(script)
    except StorageError as exc:
        return {"status": "Failed", "detail": str(exc)}
    with tempfile.TemporaryDirectory(prefix="biaswatch-post-") as folder:
        path = os.path.join(folder, "postprocessor.py")
        with open(path, "wb") as handle:
            handle.write(source)
        call = f"import runpy; runpy.run_path({path!r})['postprocess_handler']()"
        try:
            done = subprocess.run(
                [sys.executable, "-c", call],
                env=environment,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"status": "Failed", "detail": f"the script ran longer than {timeout:g} s"}
    if done.returncode != 0:
        return {
            "status": "Failed",
            "exit_code": done.returncode,
            "detail": done.stderr.strip()[-2000:],
        }
    return {"status": "Completed", "exit_code": 0, "detail": done.stdout.strip()[-2000:]}


def _add_to_diagnostics(output_uri: str, key: str, report: dict[str, Any]) -> None:
    """Add a report to the execution's ``diagnostics.json``, where there is one."""
    uri = join(output_uri, DIAGNOSTICS_FILE)
    try:
        document = orjson.loads(read_bytes(uri))
        document[key] = report
        write_bytes(uri, json_bytes(document))
    except (StorageError, orjson.JSONDecodeError, TypeError) as exc:
        _log.warning("could not add %s to %s: %s", key, uri, exc)


def _keep_lease(
    store: Store,
    execution_id: int,
    owner: str,
    clock: Clock,
    stop: threading.Event,
    lost: threading.Event,
) -> None:
    """Renew the lease every third of it; set ``lost`` as soon as the slot is not held.

    Between renewals, whether the slot is still held is read every :data:`HOLD_CHECK`
    seconds, so that a stopped execution's worker is ended within that time.
    """
    renewed = time.monotonic()
    while not stop.wait(HOLD_CHECK):
        if time.monotonic() - renewed >= LEASE.total_seconds() / 3:
            held = store.heartbeat(execution_id, owner=owner, now=clock(), lease=LEASE)
            renewed = time.monotonic()
        else:
            held = store.holds(execution_id, owner)
        if not held:
            lost.set()
            return


def run_and_record(
    store: Store,
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    *,
    owner: str,
    clock: Clock,
    worker: Worker | None = None,
    trigger: Trigger = Trigger.MANUAL,
    rerun: bool = False,
    after: int | None = None,
) -> ExecutionRow:
    """Run the execution of ``definition`` at ``scheduled_time``, and record it.

    It runs in ``worker`` (warm, reused), else in a worker process of its own; ``owner`` is the
    calling process (:func:`biaswatch.store.process_owner`). Without ``rerun``, a slot that
    has begun already is not run again: the existing row is returned. With ``rerun``, a
    finished slot runs a new attempt, and a slot whose attempt is running raises
    :class:`ScheduleError`; with ``after`` too (re-evaluation), the rerun happens only if the
    slot's latest attempt is still number ``after``, else the row is returned. Either way, an
    attempt whose worker is gone is ended first.
    """
    name = definition.schedule_name
    row = store.add_execution(name, scheduled_time, now=clock())
    store.end_stale(now=clock(), execution_id=row.id)
    now = clock()
    attempt = store.claim(
        row.id,
        owner=attempt_owner(owner),
        now=now,
        lease=LEASE,
        trigger=trigger,
        rerun=rerun,
        ground_truth_until=min(now, scheduled_time + definition.late_ground_truth_limit),
        after=after,
    )
    if attempt is None:
        current = store.execution(row.id)
        assert current is not None
        if rerun and after is None and current.lease_owner is not None:
            raise ScheduleError(_running(current))
        return current
    plan = AttemptPlan(
        attempt.number,
        trigger,
        attempt.ground_truth_until,
        _files_in_slot_folder(store, definition, row, attempt),
    )
    _run_attempt(store, definition, scheduled_time, attempt, plan, clock, worker)
    textfile = publish_prometheus(store)
    if textfile is not None and textfile["status"] == "Failed":
        _log.warning("writing the Prometheus text file failed: %s", textfile["detail"])
    notify(store, clock=clock, owner=owner, execution_id=row.id, budget=NOTIFY_BUDGET)
    finished = store.execution(row.id)
    assert finished is not None
    return finished


def _running(slot: ExecutionRow) -> str:
    """Why a rerun of a slot whose attempt is running is refused, and what to do."""
    owner = (slot.lease_owner or "").partition("/")[0]
    expires = slot.lease_expires_at.isoformat() if slot.lease_expires_at else "?"
    return (
        f"the execution of {slot.schedule_name} at {slot.scheduled_time.isoformat()} is running"
        f" (attempt {slot.attempts}, in {owner}, its lease renewed until {expires}); wait for it"
        " to finish, then rerun it. If that process is gone, a rerun takes over once its lease"
        " expires."
    )


def _files_in_slot_folder(
    store: Store, definition: MonitoringJobDefinition, slot: ExecutionRow, attempt: AttemptRow
) -> int | None:
    """The latest earlier attempt that ended with its files in the slot's folder, if any."""
    folder = execution_output_uri(definition, slot.scheduled_time)
    for earlier in store.attempts(slot.id):
        if earlier.number < attempt.number and earlier.output_uri == folder:
            return earlier.number
    return None


def _run_attempt(
    store: Store,
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    attempt: AttemptRow,
    plan: AttemptPlan,
    clock: Clock,
    worker: Worker | None,
) -> None:
    """Run a claimed attempt in a worker, publish, run post-analytics, and end the attempt."""
    assert attempt.owner is not None
    owner = attempt.owner
    slot = attempt.execution_id
    stop, lost = threading.Event(), threading.Event()
    keeper = threading.Thread(
        target=_keep_lease, args=(store, slot, owner, clock, stop, lost), daemon=True
    )
    keeper.start()
    try:
        outcome = run_in_worker(
            definition,
            scheduled_time,
            timeout=(
                None
                if definition.max_runtime_in_seconds is None
                else float(definition.max_runtime_in_seconds)
            ),
            worker=worker,
            may_commit=lambda: store.heartbeat(slot, owner=owner, now=clock(), lease=LEASE),
            plan=plan,
            cancel=lost,
        )
        # The store's boundary: the typed accounting becomes the execution's JSON record.
        counts = {} if outcome.diagnostics is None else outcome.diagnostics.to_json()
        if outcome.analysis is not None:
            published = publish_cloudwatch(
                definition, scheduled_time, outcome.analysis, outcome.output_uri
            )
            if published is not None:
                counts["cloudwatch"] = published
        if definition.post_analytics_processor_script:
            report = run_post_analytics(definition, scheduled_time, outcome, plan=plan)
            counts["post_analytics"] = report
            _add_to_diagnostics(outcome.output_uri, "post_analytics", report)
        counts["violations"] = len(outcome.violations)
        counts["violated"] = [v.record() for v in outcome.violations]
    finally:
        stop.set()
        keeper.join()
    store.finish(
        attempt,
        status=outcome.status,
        now=clock(),
        failure_reason=outcome.failure_reason,
        output_uri=outcome.output_uri,
        counts=counts,
        points=outcome.points,
        ground_truth_files=outcome.ground_truth_files,
        archived=outcome.archived,
    )
