"""Statuses of schedules, executions and jobs (SageMaker's); triggers and deliveries (ours)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DeliveryStatus", "ExecutionStatus", "JobStatus", "ScheduleStatus", "Trigger"]


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


class Trigger(StrEnum):
    """What started an attempt of an execution (biaswatch's; SageMaker has one attempt)."""

    SCHEDULED = "scheduled"
    """The scheduler, when the slot's time came (or caught up after downtime)."""
    MANUAL = "manual"
    """``run_execution`` / ``biaswatch executions run``."""
    BACKFILL = "backfill"
    """``backfill`` / ``biaswatch backfill``."""
    LATE_GROUND_TRUTH = "late-ground-truth"
    """The scheduler, because the slot's ground truth grew after its latest attempt read it."""


class DeliveryStatus(StrEnum):
    """Where one notification's delivery stands (biaswatch's)."""

    PENDING = "Pending"
    """Not sent yet, or to be tried again at its due time."""
    SENDING = "Sending"
    """A process is sending it (it holds a lease; a stale one is taken over)."""
    DELIVERED = "Delivered"
    """The receiver accepted it."""
    FAILED = "Failed"
    """Every try failed; its last error says why."""
