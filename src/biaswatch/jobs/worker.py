"""Running an execution in a worker process, with a time limit.

A worker process keeps one slow or crashing execution from blocking or taking down the
scheduler. When ``max_runtime_in_seconds`` passes, the worker is stopped and the execution ends
``Stopped`` (SageMaker's status for "exceeded max runtime"); a worker that dies ends it
``Failed`` with the exit code. Workers are not daemonic, so that the flip test can spread over
cores; instead each watches its parent and exits if the parent goes away.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from datetime import datetime
from multiprocessing.connection import Connection

from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.jobs.execution import ExecutionOutcome, execution_output_uri, run_execution
from biaswatch.store.status import ExecutionStatus

__all__ = ["run_in_worker"]


def _exit_with(parent: int) -> None:
    """End this process when its parent has gone (it is re-parented, and its pid changes)."""
    while os.getppid() == parent:
        threading.Event().wait(1.0)
    os._exit(1)


def _work(definition_json: str, scheduled_time: datetime, sender: Connection) -> None:
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    definition = MonitoringJobDefinition.model_validate_json(definition_json)
    outcome = run_execution(definition, scheduled_time)
    # The analysis result stays in the worker: the parent needs the document and the verdict.
    sender.send(
        ExecutionOutcome(
            outcome.status,
            outcome.output_uri,
            outcome.failure_reason,
            outcome.violations,
            outcome.analysis,
            None,
            outcome.counts,
        )
    )
    sender.close()


def run_in_worker(
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    *,
    timeout: float | None = None,
) -> ExecutionOutcome:
    """Run :func:`run_execution` in a fresh process; ``timeout`` seconds at most."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(
        target=_work,
        args=(definition.model_dump_json(), scheduled_time, sender),
        name=f"biaswatch-{definition.schedule_name}",
    )
    worker.start()
    sender.close()
    output = execution_output_uri(definition, scheduled_time)
    try:
        if receiver.poll(timeout):
            try:
                outcome: ExecutionOutcome = receiver.recv()
            except EOFError:
                outcome = _died(worker, output)
            worker.join(timeout=30)
            return outcome
        if worker.is_alive():
            worker.terminate()
            worker.join(timeout=30)
            return ExecutionOutcome(
                ExecutionStatus.STOPPED,
                output,
                f"the execution ran longer than max_runtime_in_seconds={timeout:g} and was stopped",
            )
        return _died(worker, output)
    finally:
        receiver.close()


def _died(worker: multiprocessing.process.BaseProcess, output: str) -> ExecutionOutcome:
    worker.join(timeout=30)
    return ExecutionOutcome(
        ExecutionStatus.FAILED,
        output,
        f"the worker process running the execution exited with code {worker.exitcode}"
        " before finishing",
    )
