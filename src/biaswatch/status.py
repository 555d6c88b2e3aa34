"""The statuses of schedules, executions and baselining jobs (SageMaker's values)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ExecutionStatus", "JobStatus", "ScheduleStatus"]


class ScheduleStatus(StrEnum):
    """``MonitoringScheduleStatus``."""

    PENDING = "Pending"
    SCHEDULED = "Scheduled"
    STOPPED = "Stopped"
    FAILED = "Failed"


class ExecutionStatus(StrEnum):
    """``MonitoringExecutionStatus``."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def finished(self) -> bool:
        """Whether the execution has ended."""
        return self in (
            ExecutionStatus.COMPLETED,
            ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
            ExecutionStatus.FAILED,
            ExecutionStatus.STOPPED,
        )

    @property
    def analysed(self) -> bool:
        """Whether the execution ended having analysed its window (with or without violations)."""
        return self in (ExecutionStatus.COMPLETED, ExecutionStatus.COMPLETED_WITH_VIOLATIONS)


class JobStatus(StrEnum):
    """A baselining job's status (``ProcessingJobStatus``)."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
