"""An execution's attempt as its caller sees it: the plan in, the outcome out, where its files go.

Light on purpose: the caller of an execution (a script, the scheduler, the CLI) imports this
module, not :mod:`biaswatch.jobs.execution`, whose analysis, decoders and engines only the
worker process loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from biaswatch.capture.window import Window
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.status import ExecutionStatus, Trigger
from biaswatch.storage.location import join
from biaswatch.storage.partitions import hour_folder

if TYPE_CHECKING:
    from biaswatch.analysis.points import MetricPoint
    from biaswatch.analysis.result import AnalysisResult
    from biaswatch.capture.diagnostics import Diagnostics
    from biaswatch.constraints.violations import Violation
    from biaswatch.storage.files import FileStamp

__all__ = [
    "ATTEMPTS_FOLDER",
    "DIAGNOSTICS_FILE",
    "LOST",
    "AttemptPlan",
    "ExecutionOutcome",
    "execution_output_uri",
    "window_of",
]

DIAGNOSTICS_FILE = "diagnostics.json"
#: Below a slot's folder, where the files of its earlier attempts are kept (``attempts/<n>/``).
ATTEMPTS_FOLDER = "attempts"
#: The reason of an execution that may no longer write its files.
LOST = (
    "the execution lost its slot before writing its outputs (its lease expired or its caller"
    " is gone); nothing was written"
)


@dataclass(frozen=True, slots=True)
class AttemptPlan:
    """Which attempt of its slot an execution is, and what that changes.

    The first attempt reads SageMaker's window exactly. A rerun reads the ground truth uploaded
    up to ``ground_truth_until`` too (late labels), and first moves the files in the slot's
    folder to ``attempts/<n>/``, n being the attempt that wrote them (its ``diagnostics.json``
    says; else ``archive``, the store's last attempt that ended there).
    """

    number: int = 1
    trigger: Trigger = Trigger.MANUAL
    ground_truth_until: datetime | None = None
    archive: int | None = None


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """How an execution ended, what it found, and where its files are."""

    status: ExecutionStatus
    output_uri: str
    failure_reason: str | None = None
    violations: tuple[Violation, ...] = ()
    analysis: dict[str, Any] | None = None
    result: AnalysisResult | None = None
    diagnostics: Diagnostics | None = None
    """What was read, joined, left out and why (None when the window was never read)."""
    points: tuple[MetricPoint, ...] = ()
    """The analysis's metric values, for the store's trends."""
    ground_truth_files: tuple[FileStamp, ...] | None = None
    """The ground-truth files found before reading (None when they could not be listed)."""
    archived: tuple[int, str] | None = None
    """The attempt whose files this one moved, and where they went (``…/attempts/<n>``)."""


def execution_output_uri(definition: MonitoringJobDefinition, scheduled_time: datetime) -> str:
    """``<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh`` (batch: ``<output>/<schedule>/…``).

    A slot that is not on the hour (a schedule more frequent than hourly) gets a folder of its
    own below its hour's, ``…/hh/MM`` (``…/hh/MM-SS`` with seconds), so that no slot's files
    overwrite another's; hourly slots keep SageMaker's layout.
    """
    parts = [definition.schedule_name, hour_folder(scheduled_time)]
    moment = scheduled_time.astimezone(UTC)
    if moment.second or moment.microsecond:
        parts.append(moment.strftime("%M-%S"))
    elif moment.minute:
        parts.append(moment.strftime("%M"))
    if isinstance(definition.data_input, EndpointInputDefinition):
        parts.insert(0, definition.data_input.endpoint_name)
    return join(definition.output_uri, *parts)


def window_of(
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    *,
    ground_truth_until: datetime | None = None,
) -> Window:
    """The data window of the execution at ``scheduled_time`` (a rerun's: to ``until``)."""
    source = definition.data_input
    return Window.from_offsets(
        scheduled_time,
        source.start_time_offset,
        source.end_time_offset,
        ground_truth_lookback=definition.ground_truth_lookback,
        cut_at_inference_time=definition.cut_at_inference_time,
        ground_truth_until=ground_truth_until,
    )
