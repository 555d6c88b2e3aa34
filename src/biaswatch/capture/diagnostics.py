"""What happened to the records of a window: counts, and samples of the malformed ones."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Diagnostics", "MalformedLog", "MalformedSample"]

MAX_SAMPLES = 20


@dataclass(frozen=True, slots=True)
class MalformedSample:
    """One record that could not be used: where it is, and why."""

    file: str
    line: int
    reason: str


@dataclass(slots=True)
class MalformedLog:
    """Counts malformed records and keeps the first few as samples."""

    count: int = 0
    samples: list[MalformedSample] = field(default_factory=list)

    def add(self, file: str, line: int, reason: str) -> None:
        """Record one malformed record."""
        self.count += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(MalformedSample(file, line, reason))

    def merge(self, other: MalformedLog) -> None:
        """Add another log's counts and samples (up to the sample limit)."""
        self.count += other.count
        room = MAX_SAMPLES - len(self.samples)
        self.samples.extend(other.samples[: max(room, 0)])


@dataclass(frozen=True, slots=True)
class Diagnostics:
    """The accounting of one window: nothing read is lost without being counted here.

    ``records_read`` counts captured invocations (lines), ``rows_decoded`` the data records in
    them (a request may hold several). Every decoded row is either joined (``rows``),
    ``rows_without_ground_truth``, or ``unusable_rows`` (joined, but a value the analysis needs
    is missing or outside the label's domain; sampled with the reason); every ground-truth id is
    either used or ``ground_truth_without_capture``.
    """

    capture_files: int = 0
    records_read: int = 0
    malformed_records: int = 0
    rows_decoded: int = 0
    rows_outside_window: int = 0
    rows_without_ground_truth: int = 0
    unusable_rows: int = 0
    ground_truth_files: int = 0
    ground_truth_read: int = 0
    malformed_ground_truth: int = 0
    duplicate_ground_truth: int = 0
    ground_truth_without_capture: int = 0
    rows: int = 0
    malformed_samples: tuple[MalformedSample, ...] = ()
    engine: str = "local"
    ft_rows: int | None = None
    """Rows the flip test ran on, where it ran on a sample (the Spark engine)."""

    def to_json(self) -> dict[str, Any]:
        """The diagnostics as a JSON-ready dict (``diagnostics.json``)."""
        document = asdict(self)
        document["malformed_samples"] = [asdict(sample) for sample in self.malformed_samples]
        return document
