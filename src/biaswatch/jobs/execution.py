"""One monitoring execution: window → read and join → analysis → violations → output files.

:func:`run_execution` does the work for a job definition and a scheduled time and returns an
:class:`ExecutionOutcome` (the status SageMaker would report, and why). It writes, under
``<output>/<endpoint>/<schedule>/yyyy/mm/dd/hh/`` (batch: no endpoint level),
``analysis.json``, ``constraint_violations.json`` (when there is a baseline), ``report.html``
and ``diagnostics.json``. Nothing here records to the store; :mod:`biaswatch.jobs.runner` does.

A slot's folder holds its latest attempt's files: a rerun first moves the files of the attempt
they belong to into ``attempts/<n>/`` below it (see :class:`AttemptPlan`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from biaswatch.analysis import (
    SECTIONS,
    AnalysisResult,
    IntervalOptions,
    analysis_document,
    analyze,
    dataset_from_table,
    document_intervals,
    metric_number,
    metric_points,
    with_intervals,
)
from biaswatch.analysis.document import EXTENSION
from biaswatch.capture import Diagnostics, TableLayout, Window, WindowData, read_endpoint_window
from biaswatch.capture.assembly import table_naming
from biaswatch.capture.batch import read_batch_window
from biaswatch.config import AnalysisConfig, config_from_dict
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.config.settings import spark_ft_sample
from biaswatch.constraints import (
    Violation,
    check_bias_drift,
    facet_sizes,
    violations_document,
)
from biaswatch.constraints.wording import rule_in_words
from biaswatch.embedded import CountedWindow, count_endpoint_window
from biaswatch.errors import BaselineError, BiaswatchError, StorageError
from biaswatch.jobs.attempt import (
    ATTEMPTS_FOLDER,
    DIAGNOSTICS_FILE,
    LOST,
    AttemptPlan,
    ExecutionOutcome,
    execution_output_uri,
    window_of,
)
from biaswatch.jobs.engine import resolve_engine
from biaswatch.records import DecodingOptions
from biaswatch.report import Comparison, MetricKey, render_report
from biaswatch.status import ExecutionStatus
from biaswatch.storage import (
    FileStamp,
    copy_file,
    delete_file,
    hour_folder,
    hours_between,
    join,
    json_bytes,
    list_files,
    list_hour_stamps,
    read_bytes,
    write_bytes,
)

__all__ = ["baseline_document", "run_execution"]


def _ground_truth_files(
    definition: MonitoringJobDefinition, window: Window
) -> tuple[FileStamp, ...] | None:
    """The stamps of the ground-truth files in the window's hours (None: cannot be listed)."""
    hours = window.ground_truth_hours()
    try:
        return tuple(list_hour_stamps(definition.ground_truth_uri, hours[0], hours[-1]))
    except StorageError:
        return None


def _reading(definition: MonitoringJobDefinition) -> tuple[TableLayout, DecodingOptions]:
    """How the window's records are decoded, and how its columns are named."""
    config = definition.analysis_config
    source = definition.data_input
    label, headers = table_naming(
        config.get("headers"), config.get("label"), config.get("predicted_label")
    )
    layout = TableLayout(
        label=label,
        headers=headers,
        exclude_features=source.exclude_features_attribute,
        required=_analysed_columns(config, list(headers or ())),
        label_values=tuple(config.get("label_values_or_threshold") or ()),
    )
    options = DecodingOptions(
        features_attribute=source.features_attribute,
        inference_attribute=source.inference_attribute,
        probability_attribute=source.probability_attribute,
        probability_threshold=(
            source.probability_threshold_attribute
            if source.probability_threshold_attribute is not None
            else 0.5
        ),
        label_attribute=str(config["label"]) if isinstance(config.get("label"), str) else None,
    )
    return layout, options


def _analysed_columns(config: dict[str, Any], headers: list[str]) -> tuple[str, ...]:
    """The feature columns the analysis reads: the facets' and the group variable's."""
    references = [facet.get("name_or_index") for facet in config.get("facet") or ()]
    references.append(config.get("group_variable"))
    names = []
    for reference in references:
        if isinstance(reference, list):  # an intersectional facet: several columns
            names += [r for r in reference if isinstance(r, str)]
        elif isinstance(reference, str):
            names.append(reference)
        elif isinstance(reference, int) and 0 <= reference < len(headers):
            names.append(headers[reference])
    return tuple(names)


def _read_window(definition: MonitoringJobDefinition, window: Window) -> WindowData:
    source = definition.data_input
    layout, options = _reading(definition)
    if isinstance(source, EndpointInputDefinition):
        return read_endpoint_window(
            source.capture_uri,
            definition.ground_truth_uri,
            window,
            endpoint=source.endpoint_name,
            variant=source.variant_name,
            options=options,
            layout=layout,
        )
    return read_batch_window(
        source.data_captured_destination_s3_uri,
        definition.ground_truth_uri,
        window,
        dataset_format=source.output_format,
        options=options,
        layout=layout,
    )


def _empty_reason(
    diagnostics: Diagnostics, window: Window, definition: MonitoringJobDefinition
) -> str | None:
    """A reason a person can act on when the window has nothing to analyse."""
    if diagnostics.records_read == 0:
        hours = window.capture_hours()
        return (
            f"no captured records in {window.describe()}: {diagnostics.capture_files}"
            f" capture files in the hour folders {hour_folder(hours[0])} to"
            f" {hour_folder(hours[-1])}"
        )
    if diagnostics.rows == 0 and diagnostics.unusable_rows:
        return (
            f"none of the {diagnostics.rows_decoded} captured records can be used:"
            f" {diagnostics.unusable_rows} with ground truth lack a value the analysis needs"
            f" (samples in diagnostics.json), {diagnostics.rows_without_ground_truth} have no"
            " ground truth"
        )
    if diagnostics.rows == 0:
        return _no_ground_truth(diagnostics, window, definition)
    return None


#: How far around the hour folders searched for labels a failure looks for others (hours).
_NEAREST_LABELS_HOURS = 48


def _no_ground_truth(
    diagnostics: Diagnostics, window: Window, definition: MonitoringJobDefinition
) -> str:
    """Why no captured record has a label, where labels were looked for, and how to fix it."""
    hours = window.ground_truth_hours()
    searched = f"{hour_folder(hours[0])} to {hour_folder(hours[-1])}"
    lookback = definition.ground_truth_lookback or "none"
    reason = (
        f"0 of {diagnostics.rows_decoded} captured records have ground truth:"
        f" {diagnostics.ground_truth_read} labels read from {diagnostics.ground_truth_files}"
        f" files in the hour folders {searched} under {definition.ground_truth_uri}"
        f" (ground_truth_lookback {lookback}; {diagnostics.malformed_records} capture records"
        " malformed)."
    )
    if diagnostics.ground_truth_read:
        return (
            f"{reason} None of those labels' eventIds matches a captured record's inferenceId"
            " (or its eventId when it has none): check the ids the labels were uploaded with."
        )
    span = timedelta(hours=_NEAREST_LABELS_HOURS)
    before = _hours_with_files(
        definition.ground_truth_uri, hours[0] - span, hours[0], last_one=True
    )
    after = _hours_with_files(definition.ground_truth_uri, hours[-1], hours[-1] + span)
    if before is None and after is None:
        return (
            f"{reason} No hour folder within {_NEAREST_LABELS_HOURS} hours of those holds"
            " labels: upload them (biaswatch ground-truth upload) into the folder of the hour"
            " they are collected in."
        )
    nearest = " and ".join(
        f"{hour_folder(hour)} ({abs(hour - edge) / timedelta(hours=1):g} h {side})"
        for hour, edge, side in ((before, hours[0], "before"), (after, hours[-1], "after"))
        if hour is not None
    )
    return (
        f"{reason} The nearest hour folders with labels: {nearest}. Labels uploaded"
        " before the window are read with a longer ground_truth_lookback (e.g. P1D); labels"
        " uploaded after the scheduled time, by a rerun (run_execution(rerun=True), biaswatch"
        " executions run --rerun) or by re-evaluation (reevaluate_within)."
    )


def _hours_with_files(
    root: str, first: datetime, last: datetime, *, last_one: bool = False
) -> datetime | None:
    """The first (or ``last_one``) hour strictly between ``first`` and ``last`` with files.

    An hour has files when its folder under ``root`` holds any; None when no hour does.
    """
    hours = hours_between(first, last)[1:-1]
    for hour in reversed(hours) if last_one else hours:
        if list_files(join(root, hour_folder(hour))):
            return hour
    return None


def _count_embedded(definition: MonitoringJobDefinition, window: Window) -> CountedWindow | None:
    """An endpoint window of the common shape counted by DuckDB; None: read it the usual way."""
    source = definition.data_input
    if not isinstance(source, EndpointInputDefinition):
        return None
    layout, options = _reading(definition)
    return count_endpoint_window(
        capture_uri=source.capture_uri,
        ground_truth_uri=definition.ground_truth_uri,
        window=window,
        endpoint=source.endpoint_name,
        variant=source.variant_name,
        options=options,
        layout=layout,
        config=_window_config(definition, layout.label, layout.predicted_column()),
    )


def _count_with_spark(
    definition: MonitoringJobDefinition, window: Window
) -> tuple[AnalysisResult | None, Diagnostics]:
    """The window read, joined and counted by Spark, and analysed from the counts."""
    from biaswatch.spark import spark_session
    from biaswatch.spark.window import count_batch_window, count_endpoint_window

    source = definition.data_input
    layout, options = _reading(definition)
    config = _window_config(definition, layout.label, layout.predicted_column())
    if isinstance(source, EndpointInputDefinition):
        counted = count_endpoint_window(
            spark_session(),
            capture_uri=source.capture_uri,
            ground_truth_uri=definition.ground_truth_uri,
            window=window,
            endpoint=source.endpoint_name,
            variant=source.variant_name,
            options=options,
            layout=layout,
            config=config,
            ft_sample=spark_ft_sample(),
        )
    else:
        counted = count_batch_window(
            spark_session(),
            destination=source.data_captured_destination_s3_uri,
            ground_truth_uri=definition.ground_truth_uri,
            window=window,
            dataset_format=source.output_format,
            options=options,
            layout=layout,
            config=config,
            ft_sample=spark_ft_sample(),
        )
    return counted.result, counted.diagnostics


def run_execution(
    definition: MonitoringJobDefinition,
    scheduled_time: datetime,
    *,
    may_commit: Callable[[], bool] = lambda: True,
    plan: AttemptPlan | None = None,
) -> ExecutionOutcome:
    """Run one execution and write its files; errors become a ``Failed`` outcome with a reason.

    The files are prepared first and written together only when ``may_commit()`` still says
    yes (the caller holds the slot's lease): an execution whose slot was taken over, or whose
    caller is gone, writes nothing. ``plan`` says which attempt of the slot this is.
    """
    plan = plan or AttemptPlan()
    output = execution_output_uri(definition, scheduled_time)
    started = time.perf_counter()
    window = window_of(definition, scheduled_time, ground_truth_until=plan.ground_truth_until)
    # Listed before reading: a file uploaded meanwhile is then seen as new by re-evaluation.
    stamps = _ground_truth_files(definition, window)

    def failed(
        reason: str, diagnostics: Diagnostics | None, timings: dict[str, float]
    ) -> ExecutionOutcome:
        archived = None
        if may_commit():
            document = _diagnostics_document(
                diagnostics, timings, window, plan, ExecutionStatus.FAILED, reason
            )
            # The reason may be that the output location cannot be written at all; the
            # execution's record says so.
            with contextlib.suppress(StorageError):
                archived = _commit(output, {DIAGNOSTICS_FILE: document}, plan)
        return ExecutionOutcome(
            ExecutionStatus.FAILED,
            output,
            reason,
            diagnostics=diagnostics,
            ground_truth_files=stamps,
            archived=archived,
        )

    data: WindowData | None = None
    counted: AnalysisResult | None = None
    embedded: CountedWindow | None = None
    try:
        if resolve_engine(definition, window) == "spark":
            counted, diagnostics = _count_with_spark(definition, window)
        elif (embedded := _count_embedded(definition, window)) is not None:
            diagnostics = embedded.diagnostics
        else:
            data = _read_window(definition, window)
            diagnostics = data.diagnostics
    except BiaswatchError as exc:
        read = {"read_seconds": round(time.perf_counter() - started, 3)}
        return failed(f"reading the window failed: {exc}", None, read)
    timings = {"read_seconds": round(time.perf_counter() - started, 3)}
    reason = _empty_reason(diagnostics, window, definition)
    if reason is not None:
        return failed(reason, diagnostics, timings)
    try:
        if data is not None:
            result = _analyse(definition, data)
        elif embedded is not None:
            result = embedded.analyze()
        else:
            assert counted is not None
            result = counted
        if definition.confidence_level is not None:
            options = IntervalOptions(definition.confidence_level, definition.bootstrap_resamples)
            result = with_intervals(result, options)
        document = analysis_document(result)
        timings["analysis_seconds"] = round(
            time.perf_counter() - started - timings["read_seconds"], 3
        )
        violations: tuple[Violation, ...] = ()
        comparison = None
        files = {"analysis.json": json_bytes(document)}
        if definition.baseline_constraints_uri:
            baseline = baseline_document(definition.baseline_constraints_uri)
            violations = tuple(
                check_bias_drift(
                    document,
                    baseline,
                    definition.violation_rules,
                    facet_sizes=facet_sizes(result),
                )
            )
            comparison = _comparison(document, baseline, violations, definition)
            files["constraint_violations.json"] = json_bytes(violations_document(list(violations)))
        subtitle = f"{definition.schedule_name}, scheduled {scheduled_time.isoformat()}"
        if plan.number > 1:
            subtitle += f", attempt {plan.number} ({plan.trigger.value})"
        report = render_report(
            result,
            title="Bias drift",
            subtitle=subtitle,
            comparison=comparison,
            details=_details(window, diagnostics, definition),
            malformed=[(s.file, s.line, s.reason) for s in diagnostics.malformed_samples],
            facet_label=definition.facet_label,
        )
        files["report.html"] = report.encode()
    except (BiaswatchError, orjson.JSONDecodeError) as exc:
        return failed(f"{type(exc).__name__}: {exc}", diagnostics, timings)
    status = ExecutionStatus.COMPLETED_WITH_VIOLATIONS if violations else ExecutionStatus.COMPLETED
    files[DIAGNOSTICS_FILE] = _diagnostics_document(
        diagnostics, timings, window, plan, status, None
    )
    if not may_commit():
        return ExecutionOutcome(ExecutionStatus.FAILED, output, LOST, diagnostics=diagnostics)
    try:
        archived = _commit(output, files, plan)
    except StorageError as exc:
        return failed(f"StorageError: {exc}", diagnostics, timings)
    return ExecutionOutcome(
        status,
        output,
        None,
        violations,
        document,
        result,
        diagnostics,
        tuple(metric_points(result, scheduled_time)),
        stamps,
        archived,
    )


def _commit(output: str, files: dict[str, bytes], plan: AttemptPlan) -> tuple[int, str] | None:
    """Write ``files`` into the slot's folder ``output``; which attempt's files moved, where.

    For a rerun, the files already there are first copied to ``attempts/<n>/``, and those this
    attempt does not rewrite are removed afterwards, so that the folder never lacks a file and
    holds only the latest attempt's.
    """
    earlier = list_files(output) if plan.number > 1 else []
    archived = None
    if earlier:
        number = _writer_of(output) or plan.archive or plan.number - 1
        archived = (number, join(output, ATTEMPTS_FOLDER, str(number)))
        for uri in earlier:
            copy_file(uri, join(archived[1], uri.rsplit("/", 1)[-1]))
    for name, content in files.items():
        write_bytes(join(output, name), content)
    for uri in earlier:
        if uri.rsplit("/", 1)[-1] not in files:
            delete_file(uri)
    return archived


def _writer_of(folder: str) -> int | None:
    """The attempt that wrote the files in a slot's folder, as its ``diagnostics.json`` says."""
    try:
        number = orjson.loads(read_bytes(join(folder, DIAGNOSTICS_FILE))).get("attempt")
    except (StorageError, orjson.JSONDecodeError, AttributeError):
        return None
    return number if isinstance(number, int) and number > 0 else None


def baseline_document(uri: str) -> dict[str, Any]:
    """The baseline's ``analysis.json`` document, or a :class:`BaselineError` saying why not."""
    try:
        document = orjson.loads(read_bytes(uri))
    except orjson.JSONDecodeError as exc:
        raise BaselineError(f"baseline constraints {uri}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise BaselineError(
            f"baseline constraints {uri}: expected a JSON object (a baseline's analysis.json),"
            f" found {type(document).__name__}"
        )
    return document


def _window_config(
    definition: MonitoringJobDefinition, label: str, predicted: str
) -> AnalysisConfig:
    """The analysis config of a window's joined table (its label and prediction columns)."""
    config = {
        key: value
        for key, value in definition.analysis_config.items()
        if key in ("label_values_or_threshold", "facet", "group_variable", "methods")
    }
    config.update(label=label, predicted_label=predicted)
    return config_from_dict(config, source="the monitor's analysis config")


def _analyse(definition: MonitoringJobDefinition, data: WindowData) -> AnalysisResult:
    parsed = _window_config(definition, data.label, data.predicted_label)
    return analyze(
        dataset_from_table(data.table, parsed, source="the window"), parsed, strict=False
    )


def _positions(document: dict[str, Any]) -> dict[MetricKey, float | None]:
    """Every metric of an ``analysis.json`` by (stage, facet, entry position, metric)."""
    found: dict[MetricKey, float | None] = {}
    for section in SECTIONS:
        stage = section.removesuffix("_bias_metrics")
        for facet, entries in ((document.get(section) or {}).get("facets") or {}).items():
            for position, entry in enumerate(entries):
                for metric in entry.get("metrics", []):
                    key = (stage, facet, position, str(metric.get("name")))
                    found[key] = metric_number(metric.get("value"))
    return found


def _comparison(
    document: dict[str, Any],
    constraints: dict[str, Any],
    violations: tuple[Violation, ...],
    definition: MonitoringJobDefinition,
) -> Comparison:
    """The constraints' values and the violated metrics with the rule in words.

    Keyed as the rule matches them; with the baseline's own values when the constraints file
    records them (noise-aware constraints do).
    """
    positions = {
        (section.removesuffix("_bias_metrics"), facet, str(entry.get("value_or_threshold"))): i
        for section in SECTIONS
        for facet, entries in ((document.get(section) or {}).get("facets") or {}).items()
        for i, entry in enumerate(entries)
    }
    intervals = document_intervals(document)
    reasons = {
        (stage, v.facet, positions[(stage, v.facet, v.facet_value)], v.metric_name): rule_in_words(
            definition.violation_rules,
            v.metric_name,
            v.current,
            v.baseline,
            intervals.get((stage, v.facet, v.facet_value, v.metric_name)),
        )
        for v in violations
        for stage in [v.section.removesuffix("_bias_metrics")]
    }
    recorded = (constraints.get(EXTENSION) or {}).get("baseline_values")
    return Comparison(
        _positions(constraints),
        frozenset(reasons),
        _positions(recorded) if isinstance(recorded, dict) else {},
        reasons,
    )


def _data_hours(window: Window) -> str:
    """The window as the hours of traffic it covers, and what else is read."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    text = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    if window.cut_at_inference_time:
        return text + " (records cut at their inference time)"
    hours = window.capture_hours()
    return text + (
        f" (the capture hour folders {hours[0]:%H}:00 to {hours[-1]:%H}:00 are read whole,"
        " as SageMaker does)"
    )


def _details(
    window: Window, diagnostics: Diagnostics, definition: MonitoringJobDefinition
) -> list[tuple[str, str]]:
    """The report's summary lines about what was read."""
    joined = (
        f" ({100 * diagnostics.rows / diagnostics.rows_decoded:.1f} % of"
        f" {diagnostics.rows_decoded:,} inferences joined)"
        if diagnostics.rows_decoded
        else ""
    )
    return [
        ("Data hours", _data_hours(window)),
        ("Rows with ground truth", f"{diagnostics.rows:,}{joined}"),
        ("Captured records read (whole hour folders)", f"{diagnostics.records_read:,}"),
        ("Malformed capture records", f"{diagnostics.malformed_records:,}"),
        ("Rows without ground truth", f"{diagnostics.rows_without_ground_truth:,}"),
        ("Unusable rows", f"{diagnostics.unusable_rows:,}"),
        ("Ground-truth labels read", f"{diagnostics.ground_truth_read:,}"),
        ("Constraints", definition.baseline_constraints_uri or "none (no violation check)"),
    ]


def _diagnostics_document(
    diagnostics: Diagnostics | None,
    timings: dict[str, float],
    window: Window,
    plan: AttemptPlan,
    status: ExecutionStatus,
    reason: str | None,
) -> bytes:
    return json_bytes(
        {
            "status": status.value,
            "failure_reason": reason,
            "attempt": plan.number,
            "trigger": plan.trigger.value,
            "window": {
                "start": window.start.isoformat(),
                "end": window.end.isoformat(),
                "ground_truth_until": window.ground_truth_end.isoformat(),
            },
            "records": None if diagnostics is None else diagnostics.to_json(),
            "timings": timings,
        }
    )
