"""Live bias of the schedules' endpoints: their live counts, read as each schedule reads them.

An endpoint's writer counts live when it is given a :class:`~biaswatch.capture.LiveBias`; this
module finds, for every schedule over an endpoint (the first by name, when several watch one),
the live metrics of that endpoint's capture with the schedule's analysis config and
attributes, and compares them with the schedule's baseline by the schedule's violation rules,
as its executions are compared (``significant`` with confidence intervals from the count
bootstrap, at the schedule's ``confidence_level``). The server's ``/metrics`` and the
scheduler's textfile show them as ``biaswatch_live_metric``, and the dashboard as each
endpoint's live panel.

A schedule with a ``live_violation_window`` has its own live metrics read every minute by the
scheduler's :func:`live_round` (its window among them), which decides its live events
(:func:`biaswatch.jobs.notifying.decide_live`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from biaswatch.analysis import IntervalOptions, analysis_document, document_metrics
from biaswatch.capture.endpoint import capture_folder
from biaswatch.capture.live import LiveBias
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.config.settings import prometheus_textfile
from biaswatch.constraints import Violation, check_bias_drift, facet_sizes
from biaswatch.errors import BiaswatchError
from biaswatch.jobs.execution import baseline_document
from biaswatch.jobs.notifying import decide_live
from biaswatch.jobs.publishing import publish_prometheus
from biaswatch.live import DEFAULT_WINDOWS, LiveMetric, LiveWindow, live_windows
from biaswatch.publish import LiveValue
from biaswatch.status import ScheduleStatus
from biaswatch.store import Store

__all__ = ["EndpointLive", "endpoint_lives", "live_bias", "live_round", "live_values"]

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
    violations: dict[tuple[str, str, str, int], Violation] = field(default_factory=dict)
    """Each live value its rules call a violation, by (facet, facet value, metric, window)."""
    live_violation_window: int | None = None
    """The schedule's: live violations over so many last minutes are notified (None: not)."""

    def violated(self, window: int) -> frozenset[tuple[str, str, str]] | None:
        """(facet, facet value, metric) of each live violation over ``window`` minutes.

        None when the window holds no records (nothing is known of it).
        """
        if not any(m.window == window and m.records for m in self.metrics):
            return None
        return frozenset((f, v, m) for f, v, m, w in self.violations if w == window)


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
) -> tuple[dict[Where, float | None], dict[tuple[str, str, str, int], Violation]]:
    """The baseline's post-training values, and the live values that violate them."""
    if not definition.baseline_constraints_uri:
        return {}, {}
    baseline = baseline_document(definition.baseline_constraints_uri)
    values = {
        (m.facet, m.facet_value, m.name): m.value
        for m in document_metrics(baseline)
        if m.stage == "post_training"
    }
    violated = {}
    for window in windows:
        if window.result is None:
            continue
        for v in check_bias_drift(
            analysis_document(window.result),
            baseline,
            definition.violation_rules,
            facet_sizes=facet_sizes(window.result),
        ):
            violated[(v.facet, v.facet_value, v.metric_name, window.window)] = v
    return values, violated


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
    return EndpointLive(
        source.endpoint_name,
        schedule,
        metrics,
        baseline,
        violations,
        definition.live_violation_window,
    )


def _windows(definition: MonitoringJobDefinition, windows: tuple[int, ...]) -> tuple[int, ...]:
    """The windows to read for a schedule: the panel's, and its live-violation window."""
    extra = definition.live_violation_window
    return windows if extra is None or extra in windows else tuple(sorted((*windows, extra)))


def _lives(
    store: Store, *, now: datetime, windows: tuple[int, ...], panels: bool, alerts: bool
) -> tuple[list[EndpointLive], list[tuple[MonitoringJobDefinition, EndpointLive]]]:
    """The live panels and the live metrics of alerting schedules, each schedule read once.

    The panels (when ``panels``): one per endpoint, its first schedule's. The alerting
    schedules (when ``alerts``): the Scheduled ones with a ``live_violation_window``. A schedule
    whose live counts cannot be read or compared is logged and left out.
    """
    panel: dict[str, EndpointLive | None] = {}
    alerting: list[tuple[MonitoringJobDefinition, EndpointLive]] = []
    for schedule in store.schedules():
        try:
            definition = MonitoringJobDefinition.model_validate(schedule.definition)
        except ValueError:
            continue
        source = definition.data_input
        if not isinstance(source, EndpointInputDefinition):
            continue
        shown = panels and source.endpoint_name not in panel
        alerted = (
            alerts
            and definition.live_violation_window is not None
            and schedule.status == ScheduleStatus.SCHEDULED
        )
        if not (shown or alerted):
            continue
        try:
            live = _endpoint_live(
                schedule.name, definition, source, now=now, windows=_windows(definition, windows)
            )
        except BiaswatchError as exc:
            log.warning("live metrics of %s left out: %s", source.endpoint_name, exc)
            live = None
        if shown:
            panel[source.endpoint_name] = live
        if alerted and live is not None:
            alerting.append((definition, live))
    return [live for live in panel.values() if live is not None], alerting


def endpoint_lives(
    store: Store, *, now: datetime, windows: tuple[int, ...] = DEFAULT_WINDOWS
) -> list[EndpointLive]:
    """Each monitored endpoint's live metrics now (endpoints without live counts: none).

    Read with the first schedule (by name) over the endpoint; a schedule whose live counts
    cannot be read or compared is logged and left out.
    """
    return _lives(store, now=now, windows=windows, panels=True, alerts=False)[0]


def _gauges(lives: Sequence[EndpointLive]) -> list[LiveValue]:
    return [
        LiveValue(live.endpoint, m.facet, m.facet_value, m.metric, m.window, m.value)
        for live in lives
        for m in live.metrics
        if m.value is not None
    ]


def live_values(store: Store, *, now: datetime) -> list[LiveValue]:
    """The live gauges' values (metrics without a value are left out)."""
    return _gauges(endpoint_lives(store, now=now))


def live_round(store: Store, *, now: datetime) -> int:
    """The scheduler's minute of live work; how many live events it made.

    The textfile's live gauges (when it is set), and the live events of schedules with a
    ``live_violation_window``, from live counts read once for both. Never raises: what fails
    is logged, and the next minute tries again.
    """
    try:
        textfile = prometheus_textfile() is not None
        panels, alerting = _lives(
            store, now=now, windows=DEFAULT_WINDOWS, panels=textfile, alerts=True
        )
        if textfile:
            publish_prometheus(store, now=now, live=_gauges(panels))
        return sum(decide_live(store, definition, live, now=now) for definition, live in alerting)
    except Exception:  # a database blip must not end the scheduler's notifying thread
        log.exception("the live round failed; the next minute tries again")
        return 0
