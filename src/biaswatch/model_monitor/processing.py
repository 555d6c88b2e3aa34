"""SageMaker's processing jobs as biaswatch runs them: monitoring executions and baselining jobs.

In SageMaker both are processing jobs: ``describe()`` returns ``DescribeProcessingJob``'s
document, ``wait()`` blocks until the job has ended (raising ``UnexpectedStatusException``
when it failed), and ``job_name`` names it. biaswatch runs them in its own processes; their
names and ARNs are derived from what they are (a schedule and a scheduled time, a baselining
job's name), so every process gives the same ones. The ARNs have the partition ``biaswatch``
(they name no AWS resource) and SageMaker's layout, so code that splits them
(``arn.split(":")[5]``) keeps working.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.errors import ConfigError, UnexpectedStatusError
from biaswatch.model_monitor.files import (
    Constraints,
    ConstraintViolations,
    MonitoringOutput,
    Statistics,
)
from biaswatch.status import ExecutionStatus, JobStatus
from biaswatch.storage import exists, join
from biaswatch.store import AttemptRow, ExecutionRow, Store

__all__ = [
    "ARN_PREFIX",
    "BaseliningJob",
    "MonitoringExecution",
    "arn",
    "job_definition_name",
    "processing_job_name",
]

log = logging.getLogger(__name__)

#: What every biaswatch ARN starts with: ``arn:<partition>:sagemaker:<region>:<account>``.
ARN_PREFIX = "arn:biaswatch:sagemaker:local:000000000000"
#: ``DescribeProcessingJob``'s statuses that ``wait()`` accepts (as the SDK's ``wait``).
_ALLOWED = ("Completed", "Stopped")
#: ``ProcessingJobStatus`` of each execution status (violations are a successful job).
_PROCESSING_STATUS = {
    ExecutionStatus.PENDING: "InProgress",
    ExecutionStatus.IN_PROGRESS: "InProgress",
    ExecutionStatus.COMPLETED: "Completed",
    ExecutionStatus.COMPLETED_WITH_VIOLATIONS: "Completed",
    ExecutionStatus.FAILED: "Failed",
    ExecutionStatus.STOPPING: "Stopping",
    ExecutionStatus.STOPPED: "Stopped",
}


def _now() -> datetime:
    return datetime.now(UTC)


def arn(resource: str, name: str) -> str:
    """The ARN of a biaswatch resource, such as a monitoring schedule.

    Examples
    --------
    >>> arn("monitoring-schedule", "Churn-Bias")
    'arn:biaswatch:sagemaker:local:000000000000:monitoring-schedule/churn-bias'
    """
    return f"{ARN_PREFIX}:{resource}/{name.lower()}"


def processing_job_name(schedule: str, scheduled_time: datetime) -> str:
    """The processing-job name of a schedule's execution at ``scheduled_time`` (≤ 63 chars).

    Examples
    --------
    >>> processing_job_name("churn-bias", datetime(2026, 11, 24, 10, tzinfo=UTC))
    'model-bias-monitoring-202611241000-eb24b565b511d884c1d790f7'
    """
    moment = scheduled_time.astimezone(UTC)
    digest = hashlib.sha256(f"{schedule}|{moment.isoformat()}".encode()).hexdigest()[:24]
    return f"model-bias-monitoring-{moment:%Y%m%d%H%M}-{digest}"


def job_definition_name(definition: MonitoringJobDefinition) -> str:
    """The schedule's job-definition name: the one it was created (or last updated) with.

    Schedules created before biaswatch kept the name get one derived from the schedule's.
    """
    return definition.job_definition_name or f"model-bias-job-definition-{definition.schedule_name}"


def _raise_if_failed(name: str, status: str, reason: str | None) -> None:
    if status == "Failed":
        raise UnexpectedStatusError(
            f"Error for Processing job {name}: Failed. Reason: {reason}",
            allowed_statuses=_ALLOWED,
            actual_status=status,
        )


def _output_config(uri: str | None, output_name: str) -> dict[str, Any]:
    return {
        "Outputs": [
            {
                "OutputName": output_name,
                "S3Output": {
                    "S3Uri": uri or "",
                    "LocalPath": "/opt/ml/processing/output",
                    "S3UploadMode": "EndOfJob",
                },
                "AppManaged": False,
            }
        ]
    }


def _input(name: str, uri: str, local_path: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local_path,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def _attempt_description(attempt: AttemptRow) -> dict[str, Any]:
    return {
        "Attempt": attempt.number,
        "Trigger": attempt.trigger,
        "MonitoringExecutionStatus": attempt.status,
        "FailureReason": attempt.failure_reason,
        "StartTime": attempt.started_at,
        "EndTime": attempt.ended_at,
        "ProcessingOutput": attempt.output_uri,
        "GroundTruthUntil": attempt.ground_truth_until,
        "Counts": attempt.counts or {},
    }


class MonitoringExecution:
    """One execution of a monitoring schedule (SageMaker's ``MonitoringExecution``).

    It shows the latest finished attempt of its slot (``describe()["Attempt"]``); the earlier
    ones are in :meth:`attempts`. ``describe()``, ``wait()`` and ``stop()`` read the store it
    was read from.
    """

    def __init__(
        self,
        row: ExecutionRow,
        store: Store | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.row = row
        self.store = store
        self._clock = clock or _now
        self.output = MonitoringOutput(row.output_uri or "")
        self.job_name = processing_job_name(row.schedule_name, row.scheduled_time)

    @property
    def attempt(self) -> int:
        """The number of the attempt shown (the running first attempt's, before it ends)."""
        return self.row.attempt or self.row.attempts

    def attempts(self) -> list[dict[str, Any]]:
        """Every attempt of the execution, latest first (needs the store it was read from)."""
        if self.store is None:
            return []
        return [_attempt_description(a) for a in self.store.attempts(self.row.id)]

    def _definition(self) -> MonitoringJobDefinition | None:
        schedule = None if self.store is None else self.store.schedule(self.row.schedule_name)
        if schedule is None:
            return None
        return MonitoringJobDefinition.model_validate(schedule.definition)

    def _refresh(self) -> None:
        if self.store is not None:
            row = self.store.execution(self.row.id)
            if row is not None:
                self.row = row
                self.output = MonitoringOutput(row.output_uri or "")

    def summary(self) -> dict[str, Any]:
        """The execution as ``ListMonitoringExecutions`` summarises it, with its attempt."""
        row = self.row
        definition = self._definition()
        summary: dict[str, Any] = {
            "MonitoringScheduleName": row.schedule_name,
            "ScheduledTime": row.scheduled_time,
            "CreationTime": row.created_at,
            "LastModifiedTime": row.ended_at or row.started_at or row.created_at,
            "MonitoringExecutionStatus": row.status,
            "ProcessingJobArn": arn("processing-job", self.job_name),
            "FailureReason": row.failure_reason,
            "MonitoringType": "ModelBias",
        }
        if definition is not None:
            summary["MonitoringJobDefinitionName"] = job_definition_name(definition)
            if isinstance(definition.data_input, EndpointInputDefinition):
                summary["EndpointName"] = definition.data_input.endpoint_name
        return summary | {
            "ProcessingOutput": row.output_uri,
            "Counts": row.counts or {},
            "Attempt": self.attempt,
            "Attempts": row.attempts,
            "Revised": row.revised,
        }

    def describe(self) -> dict[str, Any]:
        """The execution's processing job, as ``DescribeProcessingJob`` returns it.

        It holds the ``ListMonitoringExecutions`` summary's keys too (``ScheduledTime``,
        ``MonitoringExecutionStatus``, …) and biaswatch's: ``Attempt``, ``Attempts``,
        ``Revised``, ``Counts``, and ``Notifications`` when it sent any.
        ``ProcessingJobStatus`` is ``Completed`` with violations too; ``ExitMessage`` says
        which (``CompletedWithViolations: Job completed successfully with 2 violations.``).
        """
        self._refresh()
        row = self.row
        definition = self._definition()
        status = ExecutionStatus(row.status)
        description: dict[str, Any] = {
            "ProcessingJobName": self.job_name,
            "ProcessingJobArn": arn("processing-job", self.job_name),
            "ProcessingJobStatus": _PROCESSING_STATUS[status],
            "ProcessingOutputConfig": _output_config(row.output_uri, "result"),
            "CreationTime": row.created_at,
            "LastModifiedTime": row.ended_at or row.started_at or row.created_at,
            "MonitoringScheduleArn": arn("monitoring-schedule", row.schedule_name),
        }
        if row.started_at is not None:
            description["ProcessingStartTime"] = row.started_at
        if row.ended_at is not None:
            description["ProcessingEndTime"] = row.ended_at
        exit_message = self._exit_message(status)
        if exit_message is not None:
            description["ExitMessage"] = exit_message
        if definition is not None:
            description["ProcessingInputs"] = self._inputs(definition)
            description["Environment"] = dict(definition.environment)
            if definition.max_runtime_in_seconds is not None:
                description["StoppingCondition"] = {
                    "MaxRuntimeInSeconds": definition.max_runtime_in_seconds
                }
        if self.store is not None:
            deliveries = self.store.deliveries(row.id)
            if deliveries:
                description["Notifications"] = [d.to_json() for d in deliveries]
        return description | self.summary()

    def _exit_message(self, status: ExecutionStatus) -> str | None:
        if status is ExecutionStatus.COMPLETED:
            return "Completed: Job completed successfully with no violations."
        if status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS:
            found = (self.row.counts or {}).get("violations")
            return f"CompletedWithViolations: Job completed successfully with {found} violations."
        if status in (ExecutionStatus.FAILED, ExecutionStatus.STOPPED):
            return self.row.failure_reason or status.value
        return None

    @staticmethod
    def _inputs(definition: MonitoringJobDefinition) -> list[dict[str, Any]]:
        source = definition.data_input
        if isinstance(source, EndpointInputDefinition):
            capture = _input(
                "endpoint_input",
                join(source.capture_uri, source.endpoint_name, source.variant_name),
                "/opt/ml/processing/input/endpoint",
            )
        else:
            capture = _input(
                "batch_transform_input",
                source.data_captured_destination_s3_uri,
                "/opt/ml/processing/input/batch",
            )
        truth = _input(
            "groundtruth_input", definition.ground_truth_uri, "/opt/ml/processing/groundtruth"
        )
        return [capture, truth]

    def wait(self, logs: bool = True, *, poll: float = 5.0) -> None:
        """Block until the execution has ended (at once when it has).

        Raises
        ------
        UnexpectedStatusError
            If it ended ``Failed`` (SageMaker's ``UnexpectedStatusException``), with the
            reason. Violations and ``Stopped`` do not raise.
        """
        del logs
        self._refresh()
        while not ExecutionStatus(self.row.status).finished:
            assert self.store is not None
            time.sleep(poll)
            self.store.end_stale(now=self._clock(), execution_id=self.row.id)
            self._refresh()
        status = _PROCESSING_STATUS[ExecutionStatus(self.row.status)]
        _raise_if_failed(self.job_name, status, self.row.failure_reason)

    def stop(self) -> None:
        """Stop the execution if an attempt of it is running: it ends ``Stopped``, writing nothing.

        Its worker process is ended within seconds. A finished execution is left as it is.
        """
        if self.store is None:
            raise ConfigError("this execution was not read from a store; it cannot be stopped")
        now = self._clock()
        reason = (
            f"stopped on request at {now.isoformat(timespec='seconds')}; rerun it with"
            " run_execution(rerun=True) or biaswatch executions run --rerun"
        )
        if not self.store.stop(self.row.id, now=now, reason=reason):
            log.info("%s is not running: nothing to stop", self.job_name)
        self._refresh()

    def constraint_violations(
        self, file_name: str = "constraint_violations.json", kms_key: str | None = None
    ) -> ConstraintViolations | None:
        """The execution's violations, or None when it wrote none (no baseline, or it failed)."""
        del kms_key
        if not self.output.destination:
            return None
        uri = join(self.output.destination, file_name)
        return ConstraintViolations.from_s3_uri(uri) if exists(uri) else None

    def statistics(self) -> None:
        """Bias monitoring has no statistics (SageMaker raises here; biaswatch returns None)."""
        return None

    def __repr__(self) -> str:
        row = self.row
        return (
            f"MonitoringExecution({row.schedule_name!r}, {row.scheduled_time}, {row.status},"
            f" attempt {self.attempt})"
        )


class BaseliningJob:
    """A baselining job (SageMaker's ``ClarifyBaseliningJob``): its name, outputs and config.

    ``expected_window_rows`` is the window size its noise-aware constraints were widened for,
    None when it was not asked for them. ``describe()`` and ``wait()`` read the job's record
    in ``store``.
    """

    def __init__(
        self,
        name: str,
        output_uri: str,
        analysis_config: dict[str, Any],
        attributes: dict[str, Any],
        *,
        expected_window_rows: int | None = None,
        store: Store | None = None,
        dataset_uri: str | None = None,
    ) -> None:
        self.job_name = name
        self.output_uri = output_uri
        self.analysis_config = analysis_config
        self.attributes = attributes
        self.expected_window_rows = expected_window_rows
        self.store = store
        self.dataset_uri = dataset_uri

    def describe(self) -> dict[str, Any]:
        """The job as ``DescribeProcessingJob`` returns it."""
        row = None if self.store is None else self.store.baselining_job(self.job_name)
        status = row.status if row is not None else JobStatus.COMPLETED.value
        inputs = [
            _input(
                "analysis_config",
                join(self.output_uri, "analysis_config.json"),
                "/opt/ml/processing/input/config",
            )
        ]
        if self.dataset_uri:
            inputs.append(_input("dataset", self.dataset_uri, "/opt/ml/processing/input/data"))
        description: dict[str, Any] = {
            "ProcessingJobName": self.job_name,
            "ProcessingJobArn": arn("processing-job", self.job_name),
            "ProcessingJobStatus": status,
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": _output_config(self.output_uri, "analysis_result"),
        }
        if row is not None:
            description |= {
                "CreationTime": row.created_at,
                "ProcessingStartTime": row.created_at,
                "LastModifiedTime": row.ended_at or row.created_at,
            }
            if row.ended_at is not None:
                description["ProcessingEndTime"] = row.ended_at
            if row.failure_reason:
                description["FailureReason"] = description["ExitMessage"] = row.failure_reason
        return description

    def wait(self, logs: bool = True) -> None:
        """Return at once: biaswatch's baselining jobs run to their end when suggested.

        Raises
        ------
        UnexpectedStatusError
            If the job ended ``Failed``.
        """
        del logs
        description = self.describe()
        _raise_if_failed(
            self.job_name, description["ProcessingJobStatus"], description.get("FailureReason")
        )

    def suggested_constraints(
        self, file_name: str | None = None, kms_key: str | None = None, *, noise_aware: bool = False
    ) -> Constraints:
        """The baseline's ``analysis.json``; with ``noise_aware``, its widened constraints.

        ``file_name`` names another file of the job's output (SageMaker ignores it for bias
        baselines; biaswatch reads it, e.g. ``"noise_aware_constraints.json"``).
        ``noise_aware=True`` reads ``noise_aware_constraints.json``, which the job wrote when
        ``suggest_baseline`` was given ``expected_window_rows``; pass the result as a
        schedule's ``constraints=`` (and ``violation_rules={"rule": "ideal"}`` for DI to alert
        on a fall toward 0 too; see ``docs/rules.md``).

        Raises
        ------
        ConfigError
            With ``noise_aware``, if the job was run without ``expected_window_rows``.
        """
        del kms_key
        if not noise_aware:
            return Constraints.from_s3_uri(join(self.output_uri, file_name or "analysis.json"))
        if self.expected_window_rows is None:
            raise ConfigError(
                f"baselining job {self.job_name!r} has no noise-aware constraints: run"
                " suggest_baseline(..., expected_window_rows=N)",
                field="noise_aware",
                value=noise_aware,
            )
        from biaswatch.constraints.noise import NOISE_AWARE_FILE  # (numpy: not at the top)

        return Constraints.from_s3_uri(join(self.output_uri, NOISE_AWARE_FILE))

    def baseline_statistics(self) -> Statistics | None:
        """Bias baselines have no statistics: None (SageMaker raises)."""
        return None

    def __repr__(self) -> str:
        return f"BaseliningJob({self.job_name!r}, {self.output_uri!r})"
