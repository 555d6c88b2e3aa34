"""Running a schedule's execution for a scheduled time, and recording it in the store.

:func:`run_and_record` is what a manual run, a backfill and the scheduler call: it creates (or
finds) the execution row, claims it (so it runs exactly once), keeps its lease alive while a
worker process runs the work (:func:`biaswatch.jobs.execution.run_execution`, which records
nothing), runs the post-analytics script, records the metric points, and ends the row with the
outcome's status.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import orjson

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.errors import StorageError
from biaswatch.jobs.execution import DIAGNOSTICS_FILE, ExecutionOutcome, window_of
from biaswatch.jobs.publishing import publish_cloudwatch, publish_prometheus
from biaswatch.jobs.worker import Worker, run_in_worker
from biaswatch.storage import join, json_bytes, read_bytes, write_bytes
from biaswatch.store import ExecutionRow, Store

__all__ = [
    "INHERITED_ENVIRONMENT",
    "LEASE",
    "POST_ANALYTICS_TIMEOUT",
    "run_and_record",
    "run_post_analytics",
]

_log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
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
    timeout: float = POST_ANALYTICS_TIMEOUT,
) -> dict[str, Any]:
    """Run the schedule's ``postprocess_handler()`` script in a subprocess; report how it went.

    It runs after every execution, whatever its status. The script sees SageMaker's environment
    names (``output_path``, ``start_time``, ``end_time``, ``sagemaker_monitoring_schedule_name``,
    ``sagemaker_endpoint_name``, ``baseline_constraints``), ``biaswatch_execution_status``
    (with ``biaswatch_failure_reason`` when it failed), the schedule's ``env``, and of this
    process's environment only :data:`INHERITED_ENVIRONMENT` (and ``LC_*``). The report has the
    status, the exit code and the end of the script's output; a failure is reported, never
    raised.
    """
    script = definition.post_analytics_processor_script
    assert script is not None
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
    store: Store, execution_id: int, owner: str, clock: Clock, stop: threading.Event
) -> None:
    while not stop.wait(LEASE.total_seconds() / 3):
        store.heartbeat(execution_id, owner=owner, now=clock(), lease=LEASE)


def run_and_record(
    store: Store,
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    *,
    owner: str,
    clock: Clock,
    worker: Worker | None = None,
) -> ExecutionRow:
    """Run the execution of ``definition`` at ``scheduled_time`` once, and record it.

    It runs in ``worker`` (warm, reused), else in a worker process of its own. When another
    process has claimed it (or it has run already), nothing runs and the existing row is
    returned.
    """
    name = definition.schedule_name
    row = store.add_execution(name, scheduled_time, now=clock())
    if not store.claim(row.id, owner=owner, now=clock(), lease=LEASE):
        current = store.execution(row.id)
        assert current is not None
        return current
    stop = threading.Event()
    keeper = threading.Thread(
        target=_keep_lease, args=(store, row.id, owner, clock, stop), daemon=True
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
            may_commit=lambda: store.heartbeat(row.id, owner=owner, now=clock(), lease=LEASE),
        )
        # The store's boundary: the typed accounting becomes the execution's JSON record.
        counts = {} if outcome.diagnostics is None else outcome.diagnostics.to_json()
        if outcome.analysis is not None:
            store.add_metric_points(name, outcome.points)
            published = publish_cloudwatch(
                definition, scheduled_time, outcome.analysis, outcome.output_uri
            )
            if published is not None:
                counts["cloudwatch"] = published
        if definition.post_analytics_processor_script:
            report = run_post_analytics(definition, scheduled_time, outcome)
            counts["post_analytics"] = report
            _add_to_diagnostics(outcome.output_uri, "post_analytics", report)
        counts["violations"] = len(outcome.violations)
        counts["violated"] = [
            {
                "stage": v.section.removesuffix("_bias_metrics"),
                "facet": v.facet,
                "facet_value": v.facet_value,
                "metric": v.metric_name,
            }
            for v in outcome.violations
        ]
    finally:
        stop.set()
        keeper.join()
    store.finish(
        row.id,
        owner=owner,
        status=outcome.status,
        now=clock(),
        failure_reason=outcome.failure_reason,
        output_uri=outcome.output_uri,
        counts=counts,
    )
    textfile = publish_prometheus(store)
    if textfile is not None and textfile["status"] == "Failed":
        _log.warning("writing the Prometheus text file failed: %s", textfile["detail"])
    finished = store.execution(row.id)
    assert finished is not None
    return finished
