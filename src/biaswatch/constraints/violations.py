"""SageMaker's bias-drift check: a violation when ``abs(current) > abs(baseline)``.

Both sides are ``analysis.json`` documents (the baseline's is the "constraints"). Metrics are
matched by section, facet name, entry position within the facet, and metric name, not by the
entry's ``value_or_threshold`` (a continuous facet's interval changes with the data). A metric
that is undefined (``value: null``) on either side is skipped. This rule holds for every metric,
DI included, as the service applies it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from biaswatch.analysis import SECTIONS, json_number, metric_number
from biaswatch.analysis.document import EXTENSION
from biaswatch.config.rules import ViolationRules, ideal_value
from biaswatch.errors import ConfigError

if TYPE_CHECKING:
    from biaswatch.analysis import AnalysisResult

__all__ = [
    "CHECK_TYPE",
    "Violation",
    "check_bias_drift",
    "facet_sizes",
    "recorded_violations",
    "violations_document",
]

CHECK_TYPE = "bias_drift_check"


@dataclass(frozen=True, slots=True)
class Violation:
    """One metric that got worse than its baseline."""

    section: str
    facet: str
    facet_value: str
    metric_name: str
    current: float
    baseline: float

    @property
    def description(self) -> str:
        """The service's wording, with Python ``repr`` numbers and ``Infinity``."""
        return (
            f"Metric value {_shown(self.current)} doesn't meet the baseline constraint"
            f" requirement {_shown(self.baseline)}"
        )

    def to_json(self) -> dict[str, str]:
        """The violation as ``constraint_violations.json`` lists it."""
        return {
            "facet": self.facet,
            "facet_value": self.facet_value,
            "metric_name": self.metric_name,
            "constraint_check_type": CHECK_TYPE,
            "description": self.description,
        }

    @property
    def stage(self) -> str:
        """``pre_training`` or ``post_training``."""
        return self.section.removesuffix(_SECTION_SUFFIX)

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(stage, facet, facet value, metric): what a violation is of."""
        return (self.stage, self.facet, self.facet_value, self.metric_name)

    def record(self) -> dict[str, Any]:
        """The violation as an execution's record lists it (its counts' ``violated``)."""
        return {
            "stage": self.stage,
            "facet": self.facet,
            "facet_value": self.facet_value,
            "metric": self.metric_name,
            "value": json_number(self.current),
            "baseline": json_number(self.baseline),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Violation:
        """A violation from :meth:`record` (one recorded before values were kept has NaNs)."""
        current, baseline = (
            metric_number(record.get("value")),
            metric_number(record.get("baseline")),
        )
        return cls(
            str(record["stage"]) + _SECTION_SUFFIX,
            str(record["facet"]),
            str(record["facet_value"]),
            str(record["metric"]),
            math.nan if current is None else current,
            math.nan if baseline is None else baseline,
        )


def recorded_violations(counts: Mapping[str, Any] | None) -> list[Violation]:
    """The violations an execution's counts record (none when it recorded none)."""
    return [Violation.from_record(v) for v in (counts or {}).get("violated", [])]


_SECTION_SUFFIX = "_bias_metrics"


def _shown(number: float) -> str:
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


def _metrics(entry: dict[str, Any]) -> dict[str, float | None]:
    return {m.get("name", ""): metric_number(m.get("value")) for m in entry.get("metrics", [])}


def check_bias_drift(
    current: dict[str, Any],
    baseline: dict[str, Any],
    rules: ViolationRules | None = None,
    *,
    facet_sizes: Mapping[tuple[str, str, int], int] | None = None,
) -> list[Violation]:
    """The violations of ``current`` against ``baseline`` (both ``analysis.json`` documents).

    Ordered by metric name (then section and facet, as they come). ``rules`` default to
    SageMaker's; the ``significant`` rule reads the current document's confidence intervals
    (its ``biaswatch`` extension), and ``min_facet_size`` needs ``facet_sizes`` (rows in *d*
    by section, facet and entry position).

    Examples
    --------
    >>> def doc(value):
    ...     entry = {"value_or_threshold": "0", "metrics": [{"name": "DI", "value": value}]}
    ...     return {"post_training_bias_metrics": {"facets": {"Sex": [entry]}}}
    >>> [v.description for v in check_bias_drift(doc(1.31746), doc(0.97626))]
    ["Metric value 1.31746 doesn't meet the baseline constraint requirement 0.97626"]
    >>> check_bias_drift(doc(0.08312), doc(0.17799))
    []
    >>> len(check_bias_drift(doc(0.08312), doc(0.97626), ViolationRules(rule="ideal")))
    1
    """
    rules = rules or ViolationRules()
    intervals = ((current.get(EXTENSION) or {}).get("confidence_intervals")) or {}
    if rules.rule == "significant" and not intervals:
        raise ConfigError(
            "the 'significant' rule needs confidence intervals: set the schedule's"
            " confidence_level",
            field="violation_rules.rule",
            value="significant",
        )
    found: list[Violation] = []
    for section in SECTIONS:
        now = (current.get(section) or {}).get("facets", {})
        before = (baseline.get(section) or {}).get("facets", {})
        for facet, entries in now.items():
            baseline_entries = before.get(facet, [])
            for position, entry in enumerate(entries):
                if position >= len(baseline_entries):
                    break
                size = (facet_sizes or {}).get((section, facet, position))
                if size is not None and size < rules.min_facet_size:
                    continue
                bounds = _bounds(intervals, section, facet, position)
                allowed = _metrics(baseline_entries[position])
                for name, value in _metrics(entry).items():
                    limit = allowed.get(name)
                    if value is None or limit is None:
                        continue
                    if _violates(rules, name, value, limit, bounds.get(name)):
                        found.append(
                            Violation(
                                section,
                                facet,
                                str(entry.get("value_or_threshold", "")),
                                name,
                                value,
                                limit,
                            )
                        )
    return sorted(found, key=lambda violation: violation.metric_name)


def facet_sizes(result: AnalysisResult) -> dict[tuple[str, str, int], int]:
    """Rows in *d* of each facet entry, by section, facet and position (for min_facet_size)."""
    return {
        (f"{stage.stage.value}_bias_metrics", facet, position): entry.counts.sides()[1].n
        for stage in result.stages
        for facet, entries in stage.facets.items()
        for position, entry in enumerate(entries)
    }


def _bounds(
    intervals: dict[str, Any], section: str, facet: str, position: int
) -> dict[str, tuple[float, float]]:
    entries = (intervals.get(section) or {}).get(facet) or []
    if position >= len(entries):
        return {}
    return {
        name: (float(metric_number(low) or 0.0), float(metric_number(high) or 0.0))
        for name, (low, high) in entries[position].get("metrics", {}).items()
    }


def _violates(
    rules: ViolationRules,
    name: str,
    value: float,
    limit: float,
    bounds: tuple[float, float] | None,
) -> bool:
    tolerance = rules.tolerances.get(name, 0.0)
    if rules.rule == "sagemaker":
        return abs(value) > abs(limit) + tolerance
    ideal = ideal_value(name)
    allowed = abs(limit - ideal) + tolerance
    if rules.rule == "ideal":
        return abs(value - ideal) > allowed
    if bounds is None:  # no interval (an undefined resample set): never significant
        return False
    low, high = bounds
    return low > ideal + allowed or high < ideal - allowed


def violations_document(violations: list[Violation]) -> dict[str, Any]:
    """``constraint_violations.json``: ``{"version": "1.0", "violations": […]}``."""
    return {"version": "1.0", "violations": [violation.to_json() for violation in violations]}
