"""``biaswatch schedules``: create, list, describe, start, stop and delete monitoring schedules."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
import typer

from biaswatch.cli.common import AsJson, attach, console, open_store, print_rows
from biaswatch.errors import ConfigError

__all__ = ["app"]

app = typer.Typer(help="Monitoring schedules.", no_args_is_help=True, rich_markup_mode=None)

Name = Annotated[str, typer.Argument(help="The schedule's name.")]


@app.command("create")
def create(
    name: Name,
    ground_truth_uri: Annotated[
        str, typer.Option("--ground-truth-uri", help="Where ground truth is uploaded.")
    ],
    endpoint: Annotated[
        str | None, typer.Option("--endpoint", help="Monitor this registered endpoint.")
    ] = None,
    batch_capture_uri: Annotated[
        str | None,
        typer.Option("--batch-capture-uri", help="Or a batch-transform job's capture URI."),
    ] = None,
    baseline_job: Annotated[
        str | None,
        typer.Option("--baseline-job", help="Take config and constraints from this baseline."),
    ] = None,
    analysis_config: Annotated[
        str | None, typer.Option("--analysis-config", help="Or a Clarify analysis config.")
    ] = None,
    constraints: Annotated[
        str | None, typer.Option("--constraints", help="With it, a baseline analysis.json.")
    ] = None,
    output_uri: Annotated[
        str | None, typer.Option("--output-uri", help="Where executions write.")
    ] = None,
    cron: Annotated[
        str, typer.Option("--cron", help="cron(…) (AWS's six fields), or NOW.")
    ] = "cron(0 * ? * * *)",
    start_offset: Annotated[str, typer.Option(help="Window start, ISO-8601.")] = "-PT1H",
    end_offset: Annotated[str, typer.Option(help="Window end, ISO-8601.")] = "-PT0H",
    features_attribute: Annotated[str | None, typer.Option()] = None,
    inference_attribute: Annotated[str | None, typer.Option()] = None,
    probability_attribute: Annotated[str | None, typer.Option()] = None,
    probability_threshold: Annotated[float | None, typer.Option()] = None,
    max_runtime: Annotated[
        int | None, typer.Option("--max-runtime", help="Stop an execution after N seconds.")
    ] = None,
    post_analytics_script: Annotated[
        str | None, typer.Option(help="A Python file with postprocess_handler().")
    ] = None,
    cloudwatch: Annotated[bool, typer.Option(help="Publish CloudWatch metric data.")] = True,
    engine: Annotated[
        str | None, typer.Option(help="local, spark or auto (default: $BIASWATCH_ENGINE).")
    ] = None,
    confidence_level: Annotated[
        float | None, typer.Option(help="Bootstrap intervals at this level (e.g. 0.99).")
    ] = None,
    rule: Annotated[
        str, typer.Option(help="Violation rule: sagemaker, ideal or significant.")
    ] = "sagemaker",
    min_facet_size: Annotated[
        int, typer.Option(help="Facet entries with fewer rows never alert.")
    ] = 0,
    reevaluate_within: Annotated[
        str | None,
        typer.Option(
            help="Rerun slots this recent (ISO-8601, e.g. P2D) when their ground truth grows."
        ),
    ] = None,
) -> None:
    """Create a monitoring schedule over an endpoint's or a batch job's capture."""
    from biaswatch.model_monitor import BatchTransformInput, EndpointInput, ModelBiasMonitor
    from biaswatch.storage import join

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
        constraints = constraints or join(job.output_uri, "analysis.json")
    attributes: dict[str, Any] = {
        "start_time_offset": start_offset,
        "end_time_offset": end_offset,
        "features_attribute": features_attribute,
        "inference_attribute": inference_attribute,
        "probability_attribute": probability_attribute,
        "probability_threshold_attribute": probability_threshold,
    }
    monitor = ModelBiasMonitor(max_runtime_in_seconds=max_runtime, store=store)
    try:
        monitor.create_monitoring_schedule(
            monitor_schedule_name=name,
            endpoint_input=(
                EndpointInput(endpoint_name=endpoint, **attributes) if endpoint else None
            ),
            batch_transform_input=(
                BatchTransformInput(
                    data_captured_destination_s3_uri=batch_capture_uri, **attributes
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
        )
    except ValueError as exc:  # the SDK's messages are ValueErrors; show them as config errors
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(str(exc)) from exc
    console.print(f"Created schedule {name} ({cron}).")


def _engine(engine: str | None) -> Literal["local", "spark", "auto"] | None:
    if engine in (None, "local", "spark", "auto"):
        return engine  # type: ignore[return-value]
    raise ConfigError(
        f"--engine {engine!r} is not one of local, spark, auto", field="--engine", value=engine
    )


@app.command("list")
def list_schedules(as_json: AsJson = False) -> None:
    """List the schedules with their latest execution."""
    store = open_store()
    rows = []
    for row in store.schedules():
        source = row.definition.get("endpoint_input") or {}
        batch = row.definition.get("batch_transform_input") or {}
        latest = store.executions(row.name, limit=1)
        rows.append(
            {
                "schedule": row.name,
                "status": row.status,
                "expression": row.expression,
                "input": source.get("endpoint_name")
                or batch.get("data_captured_destination_s3_uri"),
                "last_scheduled_time": latest[0].scheduled_time.isoformat() if latest else None,
                "last_status": latest[0].status if latest else None,
            }
        )
    print_rows(rows, as_json=as_json)


@app.command("describe")
def describe(name: Name) -> None:
    """Show a schedule as DescribeMonitoringSchedule does, with its definition."""
    store = open_store()
    monitor = attach(store, name)
    description = monitor.describe_schedule()
    row = store.schedule(name)
    assert row is not None
    description["Definition"] = row.definition
    console.print_json(orjson.dumps(description, default=str).decode())


@app.command("start")
def start(name: Name) -> None:
    """Resume a stopped schedule."""
    attach(open_store(), name).start_monitoring_schedule()
    console.print(f"Schedule {name} is Scheduled.")


@app.command("stop")
def stop(name: Name) -> None:
    """Pause a schedule: no execution starts until it is started again."""
    attach(open_store(), name).stop_monitoring_schedule()
    console.print(f"Schedule {name} is Stopped.")


@app.command("delete")
def delete(name: Name) -> None:
    """Delete a schedule and its execution records (output files stay)."""
    attach(open_store(), name).delete_monitoring_schedule()
    console.print(f"Deleted schedule {name}.")
