"""SageMaker's monitoring files (``Constraints``, ``ConstraintViolations``) and executions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import orjson

from biaswatch.errors import StorageError
from biaswatch.storage import exists, join, read_bytes, write_bytes
from biaswatch.store import AttemptRow, ExecutionRow, Store

__all__ = ["ConstraintViolations", "Constraints", "MonitoringExecution", "MonitoringOutput"]


class _JsonFile:
    """A JSON document with the URI it came from (SageMaker's ``ModelMonitoringFile``)."""

    def __init__(self, body_dict: dict[str, Any], file_s3_uri: str | None = None) -> None:
        self.body_dict = body_dict
        self.file_s3_uri = file_s3_uri

    @classmethod
    def from_s3_uri(cls, constraints_file_s3_uri: str, kms_key: str | None = None) -> Self:
        """Read the document at a URI (``s3://``, a local path, …)."""
        del kms_key
        return cls(orjson.loads(read_bytes(constraints_file_s3_uri)), constraints_file_s3_uri)

    @classmethod
    def from_string(cls, constraints_file_string: str, **_: Any) -> Self:
        """Parse a document from a JSON string."""
        return cls(orjson.loads(constraints_file_string))

    @classmethod
    def from_file_path(cls, constraints_file_path: str, **_: Any) -> Self:
        """Read a document from a local file."""
        return cls(orjson.loads(Path(constraints_file_path).read_bytes()), constraints_file_path)

    def save(self, new_save_location_s3_uri: str | None = None) -> str:
        """Write the document (to its own URI, or to a new one) and return where it went."""
        uri = new_save_location_s3_uri or self.file_s3_uri
        if uri is None:
            raise StorageError("the document has no location; give new_save_location_s3_uri")
        write_bytes(uri, orjson.dumps(self.body_dict, option=orjson.OPT_INDENT_2))
        self.file_s3_uri = uri
        return uri


class Constraints(_JsonFile):
    """A bias baseline's constraints: its ``analysis.json``."""


class ConstraintViolations(_JsonFile):
    """An execution's ``constraint_violations.json``."""


@dataclass(frozen=True, slots=True)
class MonitoringOutput:
    """Where an execution's files are (``output.destination``)."""

    destination: str


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
    ones are in :meth:`attempts`.
    """

    def __init__(self, row: ExecutionRow, store: Store | None = None) -> None:
        self.row = row
        self.store = store
        self.output = MonitoringOutput(row.output_uri or "")

    @property
    def attempt(self) -> int:
        """The number of the attempt shown (the running first attempt's, before it ends)."""
        return self.row.attempt or self.row.attempts

    def attempts(self) -> list[dict[str, Any]]:
        """Every attempt of the execution, latest first (needs the store it was read from)."""
        if self.store is None:
            return []
        return [_attempt_description(a) for a in self.store.attempts(self.row.id)]

    def describe(self) -> dict[str, Any]:
        """The execution as ``ListMonitoringExecutions`` summarises it, with its attempt."""
        row = self.row
        return {
            "MonitoringScheduleName": row.schedule_name,
            "ScheduledTime": row.scheduled_time,
            "CreationTime": row.created_at,
            "LastModifiedTime": row.ended_at or row.started_at or row.created_at,
            "MonitoringExecutionStatus": row.status,
            "FailureReason": row.failure_reason,
            "MonitoringType": "ModelBias",
            "ProcessingOutput": row.output_uri,
            "Counts": row.counts or {},
            "Attempt": self.attempt,
            "Attempts": row.attempts,
            "Revised": row.revised,
        }

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
