"""What an analysis produces: per stage, per facet entry, every metric's value or error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from biaswatch.metrics import FacetCounts, MetricCode, MetricValue, Stage
from biaswatch.metrics.bootstrap import Interval

__all__ = ["AnalysisResult", "FacetResult", "MetricResult", "StageResult"]


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric of one facet entry."""

    code: MetricCode
    description: str
    value: MetricValue
    interval: Interval | None = None
    """A bootstrap confidence interval, when the analysis asked for them (opt-in)."""


@dataclass(frozen=True, slots=True)
class FacetResult:
    """One facet entry (a value, a list of values, or a threshold) and its metrics.

    ``counts`` is the entry's count tensor, kept so that reports, baselines and confidence
    intervals can be derived without another pass over the rows.
    """

    value_or_threshold: str
    metrics: tuple[MetricResult, ...]
    counts: FacetCounts

    def metric(self, code: MetricCode) -> MetricResult | None:
        """The result for ``code``, if it was computed."""
        return next((m for m in self.metrics if m.code is code), None)


@dataclass(frozen=True, slots=True)
class StageResult:
    """The metrics of one stage, by facet name, in configuration order."""

    stage: Stage
    label: str
    label_value_or_threshold: str
    facets: Mapping[str, tuple[FacetResult, ...]]


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    """A whole analysis: the stages that were asked for, and how many rows it covered."""

    rows: int
    pre_training: StageResult | None
    post_training: StageResult | None
    interval_level: float | None = None
    """The confidence level of the metrics' intervals, None when none were computed."""
    interval_resamples: int | None = None

    @property
    def stages(self) -> tuple[StageResult, ...]:
        """The computed stages, post-training first (the order of ``analysis.json``)."""
        return tuple(s for s in (self.post_training, self.pre_training) if s is not None)
