"""Live bias of the schedules' endpoints: their live counts, read as each schedule reads them.

An endpoint's writer counts live when it is given a :class:`~biaswatch.capture.LiveBias`; this
module finds, for every schedule over an endpoint (the first by name, when several watch one),
the live metrics of that endpoint's capture with the schedule's analysis config and
attributes, and compares them with the schedule's baseline by the schedule's violation rules,
as its executions are compared (``significant`` with confidence intervals from the count
bootstrap, at the schedule's ``confidence_level``). The server's ``/metrics`` and the
scheduler's textfile show them as ``biaswatch_live_metric``, and the dashboard as each
endpoint's live panel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from biaswatch.analysis import IntervalOptions, analysis_document, document_metrics
from biaswatch.capture.endpoint import capture_folder
from biaswatch.capture.live import LiveBias
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.constraints import check_bias_drift, facet_sizes
from biaswatch.errors import BiaswatchError
from biaswatch.jobs.execution import baseline_document
from biaswatch.live import DEFAULT_WINDOWS, LiveMetric, LiveWindow, live_windows
from biaswatch.publish import LiveValue
from biaswatch.store import Store

__all__ = ["EndpointLive", "endpoint_lives", "live_bias", "live_values"]

log = logging.getLogger(__name__)

Where = tuple[str, str, str]
"""(facet, facet value, metric)."""


@dataclass(frozen=True, slots=True)
class EndpointLive:
    """An endpoint's live metrics, read with one schedule's config, and how they compare."""

    endpoint: str
    schedule: str
    metrics: tuple[LiveMetric, ...]
    baseline: dict[Where, float | None] = field(default_factory=dict)
    """The schedule's baseline values (none without a baseline)."""
    violations: frozenset[tuple[str, str, str, int]] = frozenset()
    """(facet, facet value, metric, window) of each live value its rules call a violation."""


def live_bias(definition: MonitoringJobDefinition) -> LiveBias:
    """What a schedule's live counts hold: its facets, decoded with its attributes."""
    source = definition.data_input
    assert isinstance(source, EndpointInputDefinition)
    threshold = source.probability_threshold_attribute
    return LiveBias.create(
        definition.analysis_config,
        features_attribute=source.features_attribute,
        inference_attribute=source.inference_attribute,
        probability_attribute=source.probability_attribute,
        probability_threshold=0.5 if threshold is None else threshold,
    )


def _compared(
    definition: MonitoringJobDefinition, windows: list[LiveWindow]
) -> tuple[dict[Where, float | None], frozenset[tuple[str, str, str, int]]]:
    """The baseline's post-training values, and the live values that violate them."""
    if not definition.baseline_constraints_uri:
        return {}, frozenset()
    baseline = baseline_document(definition.baseline_constraints_uri)
    values = {
        (m.facet, m.facet_value, m.name): m.value
        for m in document_metrics(baseline)
        if m.stage == "post_training"
    }
    violated = set()
    for window in windows:
        if window.result is None:
            continue
        for v in check_bias_drift(
            analysis_document(window.result),
            baseline,
            definition.violation_rules,
            facet_sizes=facet_sizes(window.result),
        ):
            violated.add((v.facet, v.facet_value, v.metric_name, window.window))
    return values, frozenset(violated)


def _endpoint_live(
    schedule: str, definition: MonitoringJobDefinition, source: EndpointInputDefinition,
    *, now: datetime, windows: tuple[int, ...],
) -> EndpointLive | None:  # fmt: skip
    folder = capture_folder(source.capture_uri, source.endpoint_name, source.variant_name)
    intervals = None
    if definition.violation_rules.rule == "significant" and definition.confidence_level:
        intervals = IntervalOptions(definition.confidence_level, definition.bootstrap_resamples)
    analysed = live_windows(
        folder, live_bias(definition), now=now, windows=windows, intervals=intervals
    )
    metrics = tuple(m for w in analysed for m in w.metrics())
    if not metrics:
        return None
    baseline, violations = _compared(definition, analysed)
    return EndpointLive(source.endpoint_name, schedule, metrics, baseline, violations)


def endpoint_lives(
    store: Store, *, now: datetime, windows: tuple[int, ...] = DEFAULT_WINDOWS
) -> list[EndpointLive]:
    """Each monitored endpoint's live metrics now (endpoints without live counts: none).

    A schedule whose live counts cannot be read or compared is logged and left out.
    """
    found: dict[str, EndpointLive] = {}
    for schedule in store.schedules():
        try:
            definition = MonitoringJobDefinition.model_validate(schedule.definition)
        except ValueError:
            continue
        source = definition.data_input
        if not isinstance(source, EndpointInputDefinition) or source.endpoint_name in found:
            continue
        try:
            live = _endpoint_live(schedule.name, definition, source, now=now, windows=windows)
        except BiaswatchError as exc:
            log.warning("live metrics of %s left out: %s", source.endpoint_name, exc)
            continue
        if live is not None:
            found[source.endpoint_name] = live
    return list(found.values())


def live_values(store: Store, *, now: datetime) -> list[LiveValue]:
    """The live gauges' values (metrics without a value are left out)."""
    return [
        LiveValue(live.endpoint, m.facet, m.facet_value, m.metric, m.window, m.value)
        for live in endpoint_lives(store, now=now)
        for m in live.metrics
        if m.value is not None
    ]
