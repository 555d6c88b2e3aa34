"""The demo from end to end: a simulated endpoint, a day of traffic, the monitor, a summary.

:func:`run_demo` trains the model, starts the endpoint, sends 24 hours of traffic (biased from
16:00), uploads the ground truth late (half of 18:00's very late), runs the baseline, creates
the hourly schedule, backfills the 24 hours and lets the scheduler re-evaluate the day, which
revises the hour whose labels came very late. Everything it writes is in ``settings.folder``;
see the package docstring for the layout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.live import LiveBias
from biaswatch.capture.writer import CaptureWriter
from biaswatch.demo._extras import require_demo_extras
from biaswatch.demo.bias import BiasInjection
from biaswatch.demo.clock import SimulatedTime
from biaswatch.demo.dataset import FEATURES, AdultData, Split, load_adult, split_rows
from biaswatch.demo.environment import database_url_in, demo_environment
from biaswatch.demo.ground_truth import GROUND_TRUTH_DELAY, LATE_DELAY, upload_delayed_labels
from biaswatch.demo.model import IncomeModel, train_model
from biaswatch.demo.monitoring import (
    FACET,
    METHODS,
    REEVALUATE_WITHIN,
    SCHEDULE_NAME,
    analysis_config,
    backfill,
    create_schedule,
    suggest_baseline,
    write_json,
)
from biaswatch.demo.reporter import DemoReporter, SilentReporter
from biaswatch.demo.summary import HourSummary, summarize
from biaswatch.demo.traffic import Invocation, plan_traffic, send_traffic
from biaswatch.errors import ConfigError
from biaswatch.jobs.endpoints import record_endpoint
from biaswatch.metrics import MetricCode
from biaswatch.model_monitor import ModelBiasMonitor, MonitoringExecution
from biaswatch.schedule import Scheduler, SchedulerOptions
from biaswatch.storage import join
from biaswatch.store import ExecutionRow, Store

__all__ = [
    "ENDPOINT_NAME",
    "DemoResult",
    "DemoSettings",
    "default_day",
    "reevaluation_clock",
    "run_demo",
]

ENDPOINT_NAME = "demo-income"
HOURS = 24
BIAS_HOUR = 16
BIAS_FACTOR = 0.5
LATE_LABELS_HOUR = 18
TRAIN_ROWS = 12_000
REFERENCE_ROWS = 8_000


def default_day(now: datetime | None = None) -> date:
    """The day the demo replays by default: yesterday, in UTC.

    Examples
    --------
    >>> default_day(datetime(2026, 11, 24, 0, 30, tzinfo=UTC))
    datetime.date(2026, 11, 23)
    """
    return ((now or datetime.now(UTC)).astimezone(UTC) - timedelta(days=1)).date()


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """What the demo simulates, and where it writes.

    Parameters
    ----------
    folder : Path
        A new or empty folder for everything the demo writes.
    day : date
        The UTC day replayed (the executions run at 01:00 of that day through 00:00 of the
        next).
    requests_per_hour : int, default 1000
        The endpoint's traffic, each hour.
    workers : int, default 2
        Executions run at once during the backfill (each in its own process).
    seed : int, default 2024
        The seed every random choice derives from.
    """

    folder: Path
    day: date
    requests_per_hour: int = 1000
    workers: int = 2
    seed: int = 2024

    @property
    def start(self) -> datetime:
        """Midnight (UTC) at the start of the day."""
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)

    @property
    def bias_start(self) -> datetime:
        """When the endpoint becomes biased: 16:00 of the day."""
        return self.start + timedelta(hours=BIAS_HOUR)

    @property
    def late_labels_hour(self) -> datetime:
        """The traffic hour half of whose labels come very late: 18:00 of the day."""
        return self.start + timedelta(hours=LATE_LABELS_HOUR)


@dataclass(frozen=True, slots=True)
class LiveReading:
    """The live DPPL of the facet at ``moment``, over the ``window`` minutes before it."""

    moment: datetime
    window: int
    dppl: float | None


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo did: where its files and database are, and each hour's verdict."""

    folder: Path
    database_url: str
    schedule_name: str
    endpoint_name: str
    bias_start: datetime
    hours: tuple[HourSummary, ...]
    seconds: dict[str, float] = field(default_factory=dict)
    live: tuple[LiveReading, ...] = ()
    """The live DPPL of women against men around the bias's start, then of its first hour."""

    @property
    def failed(self) -> list[HourSummary]:
        """The hours whose execution did not complete."""
        return [h for h in self.hours if h.status not in ("Completed", "CompletedWithViolations")]


def _prepare(folder: Path) -> Path:
    folder = folder.expanduser().resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ConfigError(
            f"the demo needs a new or empty folder; {str(folder)!r} is not one",
            field="folder",
            value=str(folder),
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class _Timer:
    """Wall time per step, for the result."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(time.perf_counter() - started, 2)


def _train(data: AdultData, split: Split, seed: int, reporter: DemoReporter) -> IncomeModel:
    model = train_model(data, split.train, seed=seed)
    reference = data.features[split.reference]
    accuracy = float(np.mean(model.predict(reference) == data.labels[split.reference]))
    reporter.detail(
        f"scikit-learn logistic regression on {len(FEATURES)} features"
        f" ({', '.join(FEATURES)}) of {len(split.train):,} people from UCI Adult; accuracy"
        f" {accuracy:.1%} on the {len(split.reference):,} held out for the baseline"
    )
    return model


def _serve_traffic(
    settings: DemoSettings,
    store: Store,
    model: IncomeModel,
    data: AdultData,
    plan: list[Invocation],
    reporter: DemoReporter,
    timer: _Timer,
) -> tuple[LiveReading, ...]:
    """Serve the day's traffic; return the live DPPL around the moment the bias starts."""
    # FastAPI and uvicorn are imported only now, when the demo runs.
    from biaswatch.demo.endpoint import EndpointServer, create_endpoint_app

    folder = settings.folder
    capture_uri = str(folder / "capture")
    record_endpoint(store, ENDPOINT_NAME, capture_uri, now=datetime.now(UTC))
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=capture_uri
    )
    clock = SimulatedTime()
    bias = BiasInjection(settings.bias_start, BIAS_FACTOR)
    live = LiveBias.create(analysis_config(model.threshold), probability_threshold=model.threshold)
    with (
        CaptureWriter(
            config, endpoint_name=ENDPOINT_NAME, clock=clock, register=False, live=live
        ) as writer,
        EndpointServer(create_endpoint_app(model, bias=bias, clock=clock, writer=writer)) as server,
    ):
        reporter.detail(
            f"FastAPI app serving the model at {server.url}, wrapped in biaswatch's"
            f" CaptureMiddleware (100 % captured to {writer.folder}, counted live by sex and"
            " prediction)"
        )
        reporter.step(
            f"Sending 24 hours of traffic for {settings.day.isoformat()}: "
            f"{settings.requests_per_hour:,} requests an hour; from"
            f" {settings.bias_start:%H:%M} the endpoint multiplies women's scores by"
            f" {BIAS_FACTOR:g}"
        )
        with timer("traffic"), reporter.progress("requests", len(plan)) as advance:
            send_traffic(server.url, plan, data.features, on_sent=advance)
    return _live_readings(settings, writer.folder, live, reporter)


LIVE_WINDOW = 30
"""Minutes of the demo's live readings, taken every half hour around the bias's start."""


def _live_readings(
    settings: DemoSettings, folder: str, live: LiveBias, reporter: DemoReporter
) -> tuple[LiveReading, ...]:
    """The live DPPL of each half hour from an hour before the bias to an hour after.

    Then that of the bias's first hour: what its hourly execution finds, once the labels are in.
    """
    from biaswatch.live import live_metrics

    start = settings.bias_start
    moments = [(start + timedelta(minutes=m), LIVE_WINDOW) for m in range(-60, 61, LIVE_WINDOW)]
    readings = []
    for moment, window in [*moments, (start + timedelta(hours=1), 60)]:
        metrics = live_metrics(folder, live, now=moment, windows=[window])
        dppl = next((m.value for m in metrics if m.metric == "DPPL"), None)
        readings.append(LiveReading(moment, window, dppl))
    shown = ", ".join(
        f"{r.moment:%H:%M} {_signed(r.dppl)}{' *' if r.moment > start else ''}"
        for r in readings[:-1]
    )
    hour = readings[-1]
    reporter.detail(
        f"live DPPL of women against men over the last {LIVE_WINDOW} min, from the live counts"
        f" (no labels; * biased): {shown}"
    )
    reporter.detail(
        f"live DPPL of the hour {start:%H:%M}-{hour.moment:%H:%M}, known at {hour.moment:%H:%M}:"
        f" {_signed(hour.dppl)}; its execution reads the same records once their labels are in"
    )
    return tuple(readings)


def _signed(value: float | None) -> str:
    return "undefined" if value is None else f"{value:+.3f}"


def _metric_values(
    document: dict[str, Any], codes: tuple[MetricCode, ...]
) -> dict[MetricCode, float]:
    entry = document["post_training_bias_metrics"]["facets"][FACET][0]
    values = {m["name"]: m.get("value") for m in entry["metrics"]}
    return {code: float(values[code.value]) for code in codes}


def _baseline(
    settings: DemoSettings,
    monitor: ModelBiasMonitor,
    model: IncomeModel,
    data: AdultData,
    split: Split,
    reporter: DemoReporter,
) -> str:
    """Run the baselining job, with constraints for an hour of traffic; returns their URI."""
    folder = settings.folder
    reference = data.features[split.reference]
    labels = data.labels[split.reference]
    dataset = folder / "data" / "reference.csv"
    dataset.parent.mkdir(parents=True, exist_ok=True)
    dataset.write_text(
        "".join(
            ",".join(map(str, [*row, label])) + "\n"
            for row, label in zip(reference.tolist(), labels.tolist(), strict=True)
        )
    )
    job = suggest_baseline(
        monitor,
        dataset_uri=str(dataset),
        output_uri=str(folder / "baseline"),
        model=model,
        window_rows=settings.requests_per_hour,
    )
    baseline = _metric_values(job.suggested_constraints().body_dict, METHODS)
    constraints = job.suggested_constraints(noise_aware=True)
    limits = _metric_values(constraints.body_dict, METHODS)
    noise = constraints.body_dict["biaswatch"]["noise_aware_constraints"]
    uri = constraints.save(join(str(folder), "monitoring", "constraints.json"))
    shown = ", ".join(f"{code.value} {baseline[code]:+.3f}" for code in METHODS)
    reporter.detail(f"baseline on {len(reference):,} people (facet sex = 0, women): {shown}")
    reporter.detail(
        f"constraints for an hour of {settings.requests_per_hour:,} requests (noise-aware: the"
        f" {noise['quantile']:.1%} quantile of {noise['resamples']:,} hour-sized resamples of"
        " the reference): "
        + ", ".join(f"|{code.value}| ≤ {abs(limits[code]):.3f}" for code in METHODS)
    )
    return uri


def _schedule_and_backfill(
    settings: DemoSettings,
    monitor: ModelBiasMonitor,
    model: IncomeModel,
    constraints_uri: str,
    reporter: DemoReporter,
    timer: _Timer,
) -> list[MonitoringExecution]:
    folder = settings.folder
    reporter.step("Creating the hourly monitoring schedule")
    analysis_uri = write_json(
        join(str(folder), "monitoring", "analysis_config.json"),
        analysis_config(model.threshold),
    )
    create_schedule(
        monitor,
        endpoint_name=ENDPOINT_NAME,
        analysis_config_uri=analysis_uri,
        constraints_uri=constraints_uri,
        ground_truth_uri=str(folder / "ground-truth"),
        output_uri=str(folder / "reports"),
        threshold=model.threshold,
    )
    reporter.detail(
        f"{SCHEDULE_NAME}: cron(0 * ? * * *), window -PT1H..-PT0H cut at the inference time,"
        f" metrics {', '.join(code.value for code in METHODS)}"
    )

    times = monitor.scheduled_times(
        settings.start + timedelta(hours=1), settings.start + timedelta(hours=HOURS)
    )
    reporter.step(f"Backfilling {len(times)} hourly executions, {settings.workers} at a time")
    with timer("backfill"), reporter.progress("executions", len(times)) as advance:
        executions = backfill(
            monitor, times, workers=settings.workers, on_done=lambda _: advance(1)
        )
    _reevaluate(settings, monitor, reporter, timer)
    # The simulated day is over: a scheduler must not run the schedule on hours that have no
    # traffic.
    monitor.stop_monitoring_schedule()
    return [MonitoringExecution(_current(monitor.store, e), monitor.store) for e in executions]


def _current(store: Store, execution: MonitoringExecution) -> ExecutionRow:
    """The execution's row as it is now (a re-evaluation may have revised it)."""
    row = store.execution(execution.row.id)
    assert row is not None
    return row


def reevaluation_clock(settings: DemoSettings, created_at: datetime) -> datetime:
    """The scheduler's clock for the re-evaluation round.

    When the day's last label is in, or the schedule's creation if that is earlier (no slot
    of the schedule's own is due before it): every slot of the day is then within
    ``reevaluate_within`` of the clock, whatever the time of day the demo runs.

    Examples
    --------
    >>> settings = DemoSettings(Path("demo"), date(2026, 11, 25))
    >>> reevaluation_clock(settings, datetime(2026, 11, 26, 23, 0, tzinfo=UTC))
    datetime.datetime(2026, 11, 26, 0, 30, tzinfo=datetime.timezone.utc)
    """
    labels_in = max(
        settings.start + timedelta(hours=HOURS - 1) + GROUND_TRUTH_DELAY,
        settings.late_labels_hour + LATE_DELAY,
    )
    return min(created_at, labels_in)


def _reevaluate(
    settings: DemoSettings, monitor: ModelBiasMonitor, reporter: DemoReporter, timer: _Timer
) -> None:
    """One scheduler round: it reruns the slots whose ground truth grew since they ran."""
    reporter.step(
        f"Re-evaluating the day (reevaluate_within={REEVALUATE_WITHIN}): the scheduler reruns"
        " the slots whose ground truth grew after they ran"
    )
    schedule = monitor.store.schedule(SCHEDULE_NAME)
    assert schedule is not None
    moment = reevaluation_clock(settings, schedule.created_at)
    scheduler = Scheduler(
        monitor.store,
        clock=lambda: moment,
        options=SchedulerOptions(workers=settings.workers),
    )
    with timer("reevaluation"):
        revised = scheduler.run_once()
    for row in revised:
        first = monitor.store.attempts(row.id)[-1]
        before = (first.counts or {}).get("rows")
        after = (row.counts or {}).get("rows")
        reporter.detail(
            f"{row.scheduled_time:%H:%M} (traffic {row.scheduled_time - timedelta(hours=1):%H:%M})"
            f" rerun as attempt {row.attempt}: {before:,} → {after:,} rows with ground truth,"
            f" {row.status}"
        )
    if not revised:
        reporter.detail("no slot's ground truth grew")


def run_demo(settings: DemoSettings, reporter: DemoReporter | None = None) -> DemoResult:
    """Run the demo; see the module docstring.

    Raises
    ------
    ConfigError
        If the demo's extras are not installed or the folder is not new or empty.
    BiaswatchError
        If a step fails (the endpoint does not answer, a file cannot be written, …).
    """
    reporter = reporter or SilentReporter()
    require_demo_extras()
    folder = _prepare(settings.folder)
    settings = replace(settings, folder=folder)
    timer = _Timer()
    with timer("total"), demo_environment(folder):
        store = Store.open(database_url_in(folder))
        try:
            reporter.step("Training the model")
            with timer("train"):
                data = load_adult()
                split = split_rows(
                    len(data), train=TRAIN_ROWS, reference=REFERENCE_ROWS, seed=settings.seed
                )
                model = _train(data, split, settings.seed, reporter)
            plan = plan_traffic(
                settings.start,
                hours=HOURS,
                per_hour=settings.requests_per_hour,
                rows=split.traffic,
                seed=settings.seed + 1,
            )
            reporter.step("Starting the endpoint")
            live = _serve_traffic(settings, store, model, data, plan, reporter, timer)

            late = int(GROUND_TRUTH_DELAY.total_seconds() // 60)
            very_late = settings.late_labels_hour
            reporter.step(
                f"Uploading the ground truth, each hour's labels {late // 60} h {late % 60:02d}"
                f" min after the hour starts (half of {very_late:%H:%M}'s at"
                f" {very_late + LATE_DELAY:%H:%M})"
            )
            with timer("ground_truth"):
                files = upload_delayed_labels(
                    str(folder / "ground-truth"), plan, data.labels, late_hour=very_late
                )
            reporter.detail(
                f"{len(plan):,} labels in {len(files)} files under {folder}/ground-truth"
            )

            reporter.step("Running the baseline")
            monitor = ModelBiasMonitor(store=store)
            with timer("baseline"):
                constraints_uri = _baseline(settings, monitor, model, data, split, reporter)

            executions = _schedule_and_backfill(
                settings, monitor, model, constraints_uri, reporter, timer
            )
        finally:
            store.engine.dispose()
    return DemoResult(
        folder=folder,
        database_url=database_url_in(folder),
        schedule_name=SCHEDULE_NAME,
        endpoint_name=ENDPOINT_NAME,
        bias_start=settings.bias_start,
        hours=tuple(summarize(executions)),
        seconds=timer.seconds,
        live=live,
    )
