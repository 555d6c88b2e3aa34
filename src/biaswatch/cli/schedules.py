"""``biaswatch schedules``: create, list, describe, update, start, stop and delete schedules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from biaswatch.cli.common import (
    AsJson,
    DocumentAsJson,
    Field,
    attach,
    console,
    logs_shown,
    open_store,
    print_document,
    print_rows,
    require_schedule,
)
from biaswatch.errors import ConfigError

if TYPE_CHECKING:
    from biaswatch.store import ScheduleRow, Store

__all__ = ["app"]

app = typer.Typer(
    help="Create, list, describe, update, start, stop and delete schedules.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Name = Annotated[str, typer.Argument(help="The schedule's name (letters, digits, hyphens).")]
LiveViolationWindow = Annotated[
    int | None,
    typer.Option(
        "--live-violation-window",
        help="Notify live violations: every minute, compare the endpoint's live metrics over"
        " this many last minutes with the baseline (needs the writer's LiveBias and"
        " --constraints).",
        min=1,
        max=1440,
    ),
]
Notify = Annotated[
    list[str] | None,
    typer.Option(
        "--notify",
        metavar="<URL>",
        help="Send the schedule's events (violations begin or grow, they end, executions fail,"
        " reruns revise a result) here: a webhook URL (https://…), a Slack incoming webhook"
        " (https://hooks.slack.com/…), mailto:ADDRESS (through $BIASWATCH_SMTP_HOST), or a JSON"
        ' object, e.g. \'{"url": "https://…", "secret_env": "HOOK_SECRET"}\' to sign requests.'
        " Repeat it for several receivers.",
    ),
]

SCHEDULE_FIELDS = (
    Field("schedule", "schedule"),
    Field("status", "status"),
    Field("last_scheduled_time", "last execution"),
    Field("last_status", "last status"),
    Field("input", "input", line=True, wide=True),
    Field("expression", "cron", line=True, wide=True),
    Field("output_uri", "output", line=True, wide=True),
)


@app.command("create")
def create(
    name: Name,
    ground_truth_uri: Annotated[
        str,
        typer.Option(
            "--ground-truth-uri",
            help="Where ground-truth labels are uploaded (a folder or URI, as for"
            " biaswatch ground-truth upload).",
        ),
    ],
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="Monitor this registered endpoint's capture (or --batch-capture-uri).",
        ),
    ] = None,
    batch_capture_uri: Annotated[
        str | None,
        typer.Option(
            "--batch-capture-uri",
            help="Monitor this batch-transform job's capture (a folder or URI) instead.",
        ),
    ] = None,
    dataset_format: Annotated[
        str | None,
        typer.Option(
            "--dataset-format",
            help="With --batch-capture-uri: how its output files are written: csv, csv-header"
            " (a header line first), json (one JSON document: an array, or records one after"
            " another), jsonl (JSON Lines) or parquet. Default: detected from each file.",
        ),
    ] = None,
    baseline_job: Annotated[
        str | None,
        typer.Option(
            "--baseline-job",
            help="Take the analysis config and the constraints from this baselining job.",
        ),
    ] = None,
    analysis_config: Annotated[
        str | None,
        typer.Option(
            "--analysis-config",
            help="The Clarify analysis config (a JSON file or URI); default: the baselining job's.",
        ),
    ] = None,
    constraints: Annotated[
        str | None,
        typer.Option(
            "--constraints",
            help="The baseline analysis.json (a file or URI) that violations are judged"
            " against; default: the baselining job's, else none (no violations).",
        ),
    ] = None,
    output_uri: Annotated[
        str | None,
        typer.Option(
            "--output-uri",
            help="Where executions write their files (a folder or URI); default:"
            " $BIASWATCH_HOME/monitoring/NAME/results.",
        ),
    ] = None,
    cron: Annotated[
        str,
        typer.Option(
            "--cron",
            help="When executions run: an AWS cron expression (six fields, UTC), or NOW for"
            " a single one.",
        ),
    ] = "cron(0 * ? * * *)",
    start_offset: Annotated[
        str,
        typer.Option(
            help="The analysed window's start, relative to the scheduled time: an ISO-8601"
            " duration.",
        ),
    ] = "-PT1H",
    end_offset: Annotated[
        str,
        typer.Option(
            help="The analysed window's end, relative to the scheduled time: an ISO-8601 duration.",
        ),
    ] = "-PT0H",
    features_attribute: Annotated[
        str | None,
        typer.Option(
            help="Where a captured JSON request holds the features: a JMESPath expression"
            " (e.g. instances[*].features). CSV requests need none.",
        ),
    ] = None,
    inference_attribute: Annotated[
        str | None,
        typer.Option(
            help="Where a captured response holds the predicted label: a CSV column index"
            " (0 is the first) or a JMESPath expression (e.g. predictions[*].label).",
        ),
    ] = None,
    probability_attribute: Annotated[
        str | None,
        typer.Option(
            help="Where a captured response holds the score, when it has no label: a CSV column"
            " index or a JMESPath expression (e.g. predictions[*].score).",
        ),
    ] = None,
    probability_threshold: Annotated[
        float | None,
        typer.Option(
            help="With --probability-attribute: the predicted label is positive when the score is"
            " above this (default 0.5).",
        ),
    ] = None,
    facet_value_label: Annotated[
        list[str] | None,
        typer.Option(
            "--facet-value-label",
            metavar="<value=name>",
            help="Name a facet value for people, e.g. 0=female: the dashboard and reports show"
            " it beside the value. Repeat it for several values.",
        ),
    ] = None,
    max_runtime: Annotated[
        int | None,
        typer.Option(
            "--max-runtime",
            help="Stop an execution after this many seconds (it ends Stopped). By default"
            " there is no limit.",
            min=1,
        ),
    ] = None,
    post_analytics_script: Annotated[
        str | None,
        typer.Option(
            help="A Python file whose postprocess_handler() runs after each execution.",
        ),
    ] = None,
    cloudwatch: Annotated[
        bool,
        typer.Option(
            help="Produce CloudWatch metric data for each execution (a file beside its outputs;"
            " sent with BIASWATCH_CLOUDWATCH=send).",
        ),
    ] = True,
    engine: Annotated[
        str | None,
        typer.Option(
            help="What counts the rows: local, spark or auto. Default: $BIASWATCH_ENGINE, else"
            " local.",
        ),
    ] = None,
    confidence_level: Annotated[
        float | None,
        typer.Option(
            help="Add bootstrap confidence intervals at this level (e.g. 0.99) to each"
            " execution's analysis. By default none.",
        ),
    ] = None,
    rule: Annotated[
        str,
        typer.Option(
            help="When a metric is a violation: sagemaker (SageMaker's), ideal or significant"
            " (see docs/rules.md).",
        ),
    ] = "sagemaker",
    min_facet_size: Annotated[
        int,
        typer.Option(
            help="Facet values with fewer rows than this are reported but never alert.", min=0
        ),
    ] = 0,
    reevaluate_within: Annotated[
        str | None,
        typer.Option(
            help="Rerun executions this recent when their ground truth grows: an ISO-8601"
            " period, e.g. P2D. By default they are not rerun.",
        ),
    ] = None,
    notify: Notify = None,
    live_violation_window: LiveViolationWindow = None,
) -> None:
    """Create a monitoring schedule.

    It analyses the capture of --endpoint or of --batch-capture-uri, joined with the labels
    under --ground-truth-uri, with the config of --baseline-job or --analysis-config.
    Example: biaswatch schedules create churn-bias --endpoint churn --ground-truth-uri
    ./ground-truth --baseline-job churn-baseline --facet-value-label 0=female
    """
    from biaswatch.constraints.noise import NOISE_AWARE_FILE
    from biaswatch.model_monitor import BatchTransformInput, EndpointInput, ModelBiasMonitor
    from biaswatch.storage import exists, join

    store = open_store()
    if baseline_job is not None:
        job = store.baselining_job(baseline_job)
        if job is None:
            raise ConfigError(
                f"no baselining job called {baseline_job!r}",
                field="--baseline-job",
                value=baseline_job,
            )
        analysis_config = analysis_config or join(job.output_uri, "analysis_config.json")
        if constraints is None:  # the job's noise-aware constraints, when it wrote them
            widened = join(job.output_uri, NOISE_AWARE_FILE)
            constraints = widened if exists(widened) else join(job.output_uri, "analysis.json")
    attributes: dict[str, Any] = {
        "start_time_offset": start_offset,
        "end_time_offset": end_offset,
        "features_attribute": features_attribute,
        "inference_attribute": inference_attribute,
        "probability_attribute": probability_attribute,
        "probability_threshold_attribute": probability_threshold,
    }
    labels = _facet_value_labels(facet_value_label or [])
    batch_format = _dataset_format(dataset_format, batch_capture_uri)
    monitor = ModelBiasMonitor(max_runtime_in_seconds=max_runtime, store=store)
    with logs_shown():
        try:
            monitor.create_monitoring_schedule(
                monitor_schedule_name=name,
                endpoint_input=(
                    EndpointInput(endpoint_name=endpoint, **attributes) if endpoint else None
                ),
                batch_transform_input=(
                    BatchTransformInput(
                        data_captured_destination_s3_uri=batch_capture_uri,
                        dataset_format=batch_format,
                        **attributes,
                    )
                    if batch_capture_uri
                    else None
                ),
                ground_truth_input=ground_truth_uri,
                analysis_config=analysis_config,
                constraints=constraints,
                output_s3_uri=output_uri,
                schedule_cron_expression=cron,
                enable_cloudwatch_metrics=cloudwatch,
                post_analytics_processor_script=post_analytics_script,
                # A one-time (NOW) schedule's window is given by these, as in the SDK.
                data_analysis_start_time=start_offset if cron == "NOW" else None,
                data_analysis_end_time=end_offset if cron == "NOW" else None,
                engine=_engine(engine),
                confidence_level=confidence_level,
                violation_rules={"rule": rule, "min_facet_size": min_facet_size},
                reevaluate_within=reevaluate_within,
                facet_value_labels=labels or None,
                notifications=_notifications(notify),
                live_violation_window=live_violation_window,
            )
        except ValueError as exc:  # the SDK's messages are ValueErrors; show them as config errors
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(str(exc)) from exc
    console.print(f"Created schedule {name} ({cron}).", markup=False)


def _facet_value_labels(items: list[str]) -> dict[str, str]:
    """``--facet-value-label VALUE=NAME`` options as a mapping; a config error if malformed.

    Examples
    --------
    >>> _facet_value_labels(["0=female", "1 = male"])
    {'0': 'female', '1': 'male'}
    """
    labels: dict[str, str] = {}
    for item in items:
        value, equals, label = (part.strip() for part in item.partition("="))
        if not (equals and value and label) or "=" in label:
            raise ConfigError(
                f"--facet-value-label {item!r} is not VALUE=NAME (e.g. 0=female)",
                field="--facet-value-label",
                value=item,
            )
        if labels.get(value, label) != label:
            raise ConfigError(
                f"--facet-value-label {item!r}: facet value {value!r} is named"
                f" {labels[value]!r} already",
                field="--facet-value-label",
                value=item,
            )
        labels[value] = label
    return labels


def _dataset_format(name: str | None, batch_capture_uri: str | None) -> dict[str, Any] | None:
    """``--dataset-format`` as SageMaker's ``MonitoringDatasetFormat`` (None: detect it)."""
    from biaswatch.config.batch_format import BatchFormat

    if name is None:
        return None
    chosen = BatchFormat.named(name, field="--dataset-format")
    if batch_capture_uri is None:
        raise ConfigError(
            "--dataset-format is the format of --batch-capture-uri's files; an endpoint's"
            " capture is SageMaker's JSON Lines",
            field="--dataset-format",
            value=name,
        )
    return chosen.dataset_format()


def _notifications(given: list[str] | None) -> list[Any] | None:
    """``--notify`` options as notifications (None: none given); a config error if malformed."""
    from biaswatch.config.notifications import parse_notification

    if not given:
        return None
    return [parse_notification(text, field="--notify") for text in given]


def _engine(engine: str | None) -> Literal["local", "spark", "auto"] | None:
    if engine in (None, "local", "spark", "auto"):
        return engine  # type: ignore[return-value]
    raise ConfigError(
        f"--engine {engine!r} is not one of local, spark, auto", field="--engine", value=engine
    )


@app.command("list")
def list_schedules(
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Also show each schedule's input, cron expression and output location."
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """List the schedules with their latest execution."""
    store = open_store()
    rows = [schedule_json(store, row) for row in store.schedules()]
    print_rows(rows, SCHEDULE_FIELDS, as_json=as_json, wide=wide, title="Schedules")


def schedule_json(store: Store, row: ScheduleRow) -> dict[str, Any]:
    """A schedule as ``schedules list`` shows it, with its latest execution."""
    source = row.definition.get("endpoint_input") or {}
    batch = row.definition.get("batch_transform_input") or {}
    latest = store.executions(row.name, limit=1)
    return {
        "schedule": row.name,
        "status": row.status,
        "expression": row.expression,
        "input": source.get("endpoint_name") or batch.get("data_captured_destination_s3_uri"),
        "output_uri": row.definition.get("output_uri"),
        "baseline": row.definition.get("baseline_constraints_uri"),
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "last_scheduled_time": latest[0].scheduled_time if latest else None,
        "last_status": latest[0].status if latest else None,
    }


@app.command("describe")
def describe(
    name: Name,
    as_json: DocumentAsJson = False,
) -> None:
    """Show a schedule as DescribeMonitoringSchedule does.

    The JSON document also holds the schedule's definition ("Definition").
    """
    store = open_store()
    monitor = attach(store, name)
    description = monitor.describe_schedule()
    row = store.schedule(name)
    assert row is not None
    description["Definition"] = row.definition
    print_document(description, as_json=as_json)


@app.command("update")
def update(
    name: Name,
    cron: Annotated[
        str | None,
        typer.Option("--cron", help="A new expression: an AWS cron expression, or NOW."),
    ] = None,
    ground_truth_uri: Annotated[
        str | None, typer.Option("--ground-truth-uri", help="A new ground-truth location.")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", help="Monitor this registered endpoint's capture instead."),
    ] = None,
    batch_capture_uri: Annotated[
        str | None,
        typer.Option("--batch-capture-uri", help="Monitor this batch-transform capture instead."),
    ] = None,
    dataset_format: Annotated[
        str | None,
        typer.Option(
            "--dataset-format",
            help="With --batch-capture-uri: csv, csv-header, json, jsonl or parquet (default:"
            " detected from each file).",
        ),
    ] = None,
    start_offset: Annotated[
        str | None,
        typer.Option(help="The window's new start offset (ISO-8601, e.g. -PT2H)."),
    ] = None,
    end_offset: Annotated[
        str | None, typer.Option(help="The window's new end offset (ISO-8601, e.g. -PT0H).")
    ] = None,
    analysis_config: Annotated[
        str | None, typer.Option("--analysis-config", help="A new analysis config (a file).")
    ] = None,
    constraints: Annotated[
        str | None,
        typer.Option("--constraints", help="New baseline constraints (an analysis.json)."),
    ] = None,
    output_uri: Annotated[
        str | None, typer.Option("--output-uri", help="Where new executions write.")
    ] = None,
    max_runtime: Annotated[
        int | None,
        typer.Option("--max-runtime", help="Stop executions after this many seconds.", min=1),
    ] = None,
    cloudwatch: Annotated[
        bool | None,
        typer.Option(help="Produce CloudWatch metric data for each execution, or not."),
    ] = None,
    notify: Notify = None,
    no_notifications: Annotated[
        bool,
        typer.Option("--no-notifications", help="Send the schedule's events nowhere from now on."),
    ] = False,
    live_violation_window: LiveViolationWindow = None,
    no_live_violations: Annotated[
        bool,
        typer.Option("--no-live-violations", help="Stop notifying live violations."),
    ] = False,
) -> None:
    """Change a schedule; what is not given stays as it is.

    --endpoint or --batch-capture-uri replaces the input (keeping its window and attributes
    only when given again); --start-offset and --end-offset move the window. Executions that
    ran keep their results. --notify replaces the receivers; --live-violation-window turns
    live-violation notifications on (or changes their window). Example: biaswatch schedules
    update churn-bias --cron "cron(0 */2 ? * * *)" --start-offset -PT2H
    """
    from biaswatch.model_monitor import BatchTransformInput, EndpointInput

    if notify and no_notifications:
        raise ConfigError(
            "--notify and --no-notifications contradict each other: give one",
            field="--no-notifications",
            value=True,
        )
    if live_violation_window is not None and no_live_violations:
        raise ConfigError(
            "--live-violation-window and --no-live-violations contradict each other: give one",
            field="--no-live-violations",
            value=True,
        )
    extras: dict[str, Any] = {}
    if notify:
        extras["notifications"] = _notifications(notify)
    elif no_notifications:
        extras["notifications"] = None
    if live_violation_window is not None or no_live_violations:
        extras["live_violation_window"] = live_violation_window
    with logs_shown():
        attach(open_store(), name).update_monitoring_schedule(
            schedule_cron_expression=cron,
            ground_truth_input=ground_truth_uri,
            endpoint_input=EndpointInput(endpoint_name=endpoint) if endpoint else None,
            batch_transform_input=(
                BatchTransformInput(
                    data_captured_destination_s3_uri=batch_capture_uri,
                    dataset_format=_dataset_format(dataset_format, batch_capture_uri),
                )
                if batch_capture_uri
                else None
            ),
            data_analysis_start_time=start_offset,
            data_analysis_end_time=end_offset,
            analysis_config=analysis_config,
            constraints=constraints,
            output_s3_uri=output_uri,
            max_runtime_in_seconds=max_runtime,
            enable_cloudwatch_metrics=cloudwatch,
            **extras,
        )
    console.print(f"Updated schedule {name}.", markup=False)


@app.command("test-notify")
def test_notify(name: Name) -> None:
    """Send a test event to each of the schedule's receivers now, and say how each went.

    Nothing is recorded. Exit 1 when a receiver did not take it.
    """
    results = attach(open_store(), name).send_test_notification()
    if not results:
        console.print(f"Schedule {name} has no notifications (add some with --notify).")
        return
    for result in results:
        if result["error"] is None:
            console.print(f"delivered: {result['target']}", markup=False)
        else:
            console.print(f"FAILED: {result['error']}", markup=False)
    if any(result["error"] is not None for result in results):
        raise typer.Exit(1)


LIVE_EPISODE_FIELDS = (
    Field("began_at", "began"),
    Field("ended_at", "ended"),
    Field("events", "events"),
    Field("violated", "violated", line=True),
    Field("notified", "notified", line=True),
)


@app.command("live-episodes")
def live_episodes(
    name: Name,
    limit: Annotated[int, typer.Option(help="Show this many, the latest first.", min=1)] = 20,
    as_json: AsJson = False,
) -> None:
    """List the schedule's live-violation episodes and what each notified.

    An episode begins when the endpoint's live metrics violate the baseline over the
    schedule's --live-violation-window, and ends once none has for as long again.
    """
    store = open_store()
    require_schedule(store, name)
    rows = []
    for episode in store.live_episodes(name, limit=limit):
        deliveries = [d.to_json() for d in store.live_deliveries(episode.id)]
        row = episode.to_json() | {"notifications": deliveries}
        if not as_json:
            row |= {
                "began_at": episode.began_at,
                "ended_at": episode.ended_at,
                "violated": episode.summary,
                "notified": "; ".join(
                    f"{d['event']} to {d['receiver']}: {d['status']}" for d in deliveries
                ),
            }
        rows.append(row)
    print_rows(rows, LIVE_EPISODE_FIELDS, as_json=as_json, title=f"Live episodes of {name}")


@app.command("start")
def start(name: Name) -> None:
    """Resume a stopped schedule (its status becomes Scheduled)."""
    attach(open_store(), name).start_monitoring_schedule()
    console.print(f"Schedule {name} is Scheduled.")


@app.command("stop")
def stop(name: Name) -> None:
    """Pause a schedule until it is started again."""
    attach(open_store(), name).stop_monitoring_schedule()
    console.print(f"Schedule {name} is Stopped.")


@app.command("delete")
def delete(name: Name) -> None:
    """Delete a schedule and its execution records.

    Its output files stay where they are.
    """
    attach(open_store(), name).delete_monitoring_schedule()
    console.print(f"Deleted schedule {name}.")
