"""``biaswatch executions`` and ``biaswatch backfill``: run and list a schedule's executions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from biaswatch.cli.common import (
    AsJson,
    DocumentAsJson,
    Field,
    attach,
    console,
    exit_code,
    human_time,
    open_store,
    parse_time,
    print_document,
    print_rows,
    require_schedule,
)
from biaswatch.errors import ConfigError
from biaswatch.status import ExecutionStatus

if TYPE_CHECKING:
    from biaswatch.model_monitor import MonitoringExecution
    from biaswatch.store import AttemptRow, ExecutionRow, Store

__all__ = ["app", "backfill_command"]

app = typer.Typer(
    help="List, run and inspect a schedule's executions.\n\nA schedule has one execution per"
    " scheduled time; rerunning one adds an attempt.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Schedule = Annotated[
    str, typer.Option("--schedule", help="The schedule's name (see: biaswatch schedules list).")
]

EXECUTION_FIELDS = (
    Field("scheduled_time", "scheduled"),
    Field("status", "status"),
    Field("attempts", "attempts"),
    Field("violations", "violations"),
    Field("rows", "rows"),
    Field("failure_reason", "reason", line=True, wide=True),
    Field("output", "output", line=True, wide=True),
)

ATTEMPT_FIELDS = (
    Field("attempt", "attempt"),
    Field("trigger", "trigger"),
    Field("status", "status"),
    Field("started_at", "started"),
    Field("rows", "rows"),
    Field("ended_at", "ended", line=True, wide=True),
    Field("ground_truth_until", "ground truth until", line=True, wide=True),
    Field("failure_reason", "reason", line=True, wide=True),
    Field("output", "output", line=True, wide=True),
)


def execution_json(row: ExecutionRow) -> dict[str, Any]:
    """An execution as ``executions list`` shows it: the latest finished attempt's result."""
    counts = row.counts or {}
    return {
        "schedule": row.schedule_name,
        "scheduled_time": row.scheduled_time,
        "status": row.status,
        "attempt": row.attempt,
        "attempts": row.attempts,
        "violations": counts.get("violations"),
        "rows": counts.get("rows"),
        "failure_reason": row.failure_reason,
        "output": row.output_uri,
        "started_at": row.started_at,
        "ended_at": row.ended_at,
        "counts": row.counts,
    }


def attempt_json(attempt: AttemptRow) -> dict[str, Any]:
    """One attempt as ``executions attempts`` shows it."""
    counts = attempt.counts or {}
    return {
        "attempt": attempt.number,
        "trigger": attempt.trigger,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "ended_at": attempt.ended_at,
        "ground_truth_until": attempt.ground_truth_until,
        "violations": counts.get("violations"),
        "rows": counts.get("rows"),
        "failure_reason": attempt.failure_reason,
        "output": attempt.output_uri,
        "counts": attempt.counts,
    }


def _summary(execution: MonitoringExecution) -> str:
    row = execution.row
    counts = row.counts or {}
    text = f"{human_time(row.scheduled_time)} UTC  {row.status}"
    if execution.attempt > 1:
        text += f" (attempt {execution.attempt})"
    if row.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS:
        text += f" ({counts.get('violations', 0)} violations)"
    if row.failure_reason:
        text += f": {row.failure_reason}"
    return text


@app.command("list")
def list_executions(
    schedule: Schedule,
    limit: Annotated[
        int, typer.Option("--limit", help="Show the latest N executions.", min=1)
    ] = 100,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide", help="Also show each execution's failure reason and output location."
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """List a schedule's executions, oldest first.

    Each shows its latest finished attempt: scheduled time (UTC), status, attempts begun,
    violations found and rows analysed.
    """
    store = open_store()
    require_schedule(store, schedule)
    rows = [execution_json(row) for row in store.executions(schedule, limit=limit)]
    title = f"Executions of {schedule}, oldest first"
    print_rows(rows, EXECUTION_FIELDS, as_json=as_json, wide=wide, title=title)


ScheduledTime = Annotated[
    str,
    typer.Option(
        "--scheduled-time",
        help="The execution's scheduled time, ISO-8601 (UTC unless it has an offset), e.g."
        " 2026-11-24T10:00Z.",
    ),
]


@app.command("attempts")
def list_attempts(
    schedule: Schedule,
    scheduled_time: ScheduledTime,
    wide: Annotated[
        bool,
        typer.Option(
            "--wide",
            help="Also show each attempt's end, ground-truth bound, failure reason and output"
            " location.",
        ),
    ] = False,
    as_json: AsJson = False,
) -> None:
    """List the attempts of one execution, latest first.

    Each shows its trigger (scheduled, manual, backfill or late-ground-truth), status, start
    (UTC) and rows analysed.
    """
    store = open_store()
    execution = _execution(store, schedule, scheduled_time)
    rows = [attempt_json(attempt) for attempt in store.attempts(execution.row.id)]
    title = f"Attempts of {schedule} at {human_time(execution.row.scheduled_time)}"
    print_rows(rows, ATTEMPT_FIELDS, as_json=as_json, wide=wide, title=title)


NOTIFICATION_FIELDS = (
    Field("attempt", "attempt"),
    Field("event", "event"),
    Field("receiver", "receiver"),
    Field("status", "status"),
    Field("tries", "tries"),
    Field("last_error", "last error", line=True),
    Field("next_try_at", "next try", line=True, wide=True),
    Field("delivered_at", "delivered", line=True, wide=True),
)


@app.command("notifications")
def list_notifications(
    schedule: Schedule,
    scheduled_time: ScheduledTime,
    wide: Annotated[
        bool, typer.Option("--wide", help="Also show the next try's time and the delivery's.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """List what one execution notified: each event's delivery to each receiver.

    Each shows the attempt and its event (violation, resolved, failed, revised), the receiver
    (without secrets), the status (Pending, Sending, Delivered, Failed), the tries and the
    last error.
    """
    store = open_store()
    execution = _execution(store, schedule, scheduled_time)
    rows = [delivery.to_json() for delivery in store.deliveries(execution.row.id)]
    title = f"Notifications of {schedule} at {human_time(execution.row.scheduled_time)}"
    print_rows(rows, NOTIFICATION_FIELDS, as_json=as_json, wide=wide, title=title)


def _execution(store: Store, schedule: str, scheduled_time: str) -> MonitoringExecution:
    """The execution of ``schedule`` at ``scheduled_time``; a config error when it has none."""
    from biaswatch.model_monitor import MonitoringExecution

    require_schedule(store, schedule)
    moment = parse_time(scheduled_time, "--scheduled-time")
    row = store.execution_at(schedule, moment)
    if row is None:
        raise ConfigError(
            f"schedule {schedule!r} has no execution at {moment.isoformat()}",
            field="--scheduled-time",
            value=scheduled_time,
        )
    return MonitoringExecution(row, store)


@app.command("describe")
def describe(
    schedule: Schedule,
    scheduled_time: ScheduledTime,
    as_json: DocumentAsJson = False,
) -> None:
    """Show one execution as DescribeProcessingJob does.

    With its summary's keys (ScheduledTime, MonitoringExecutionStatus, …) and its attempt.
    """
    print_document(_execution(open_store(), schedule, scheduled_time).describe(), as_json=as_json)


@app.command("stop")
def stop(schedule: Schedule, scheduled_time: ScheduledTime) -> None:
    """Stop a running execution: it ends Stopped and writes nothing.

    Its worker is ended within seconds; an execution that is not running is left as it is.
    Exits 0 when it was stopped, 1 when it was not running.
    """
    execution = _execution(open_store(), schedule, scheduled_time)
    running = not ExecutionStatus(execution.row.status).finished
    execution.stop()
    console.print(_summary(execution), markup=False)
    raise typer.Exit(0 if running and execution.row.status == ExecutionStatus.STOPPED else 1)


@app.command("run")
def run(
    schedule: Schedule,
    scheduled_time: ScheduledTime,
    rerun: Annotated[
        bool,
        typer.Option(
            "--rerun",
            help="Run a new attempt of an execution that has run (reading the ground truth"
            " uploaded since, too).",
        ),
    ] = False,
) -> None:
    """Run one execution now and wait for it.

    Exits 0 when it is Completed, 3 CompletedWithViolations, 1 Failed or Stopped. An execution
    that has run already is shown as it is, unless --rerun.
    """
    monitor = attach(open_store(), schedule)
    execution = monitor.run_execution(parse_time(scheduled_time, "--scheduled-time"), rerun=rerun)
    console.print(_summary(execution), markup=False)
    console.print(f"output: {execution.output.destination}", markup=False)
    raise typer.Exit(exit_code(execution.row.status))


def backfill_command(
    schedule: Schedule,
    start: Annotated[
        str,
        typer.Option(
            "--start",
            help="The first scheduled time, ISO-8601 (UTC unless it has an offset), e.g."
            " 2026-11-24T00:00Z.",
        ),
    ],
    end: Annotated[
        str,
        typer.Option("--end", help="The last scheduled time (included), ISO-8601 like --start."),
    ],
    rerun: Annotated[
        str | None,
        typer.Option(
            "--rerun",
            help="Also rerun executions that ran: 'failed' (those that failed or were stopped)"
            " or 'all'. By default none is rerun.",
        ),
    ] = None,
) -> None:
    """Run the executions of a range of scheduled times.

    Runs those from --start to --end (both included) that have not run yet, oldest first.
    Exits 1 when any failed, else 3 when any found violations, else 0.
    """
    if rerun not in (None, "failed", "all"):
        raise ConfigError(f"--rerun {rerun!r}: choose failed or all", field="--rerun", value=rerun)
    monitor = attach(open_store(), schedule)
    first, last = parse_time(start, "--start"), parse_time(end, "--end")
    times = monitor.scheduled_times(first, last)
    codes = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"backfill {schedule}", total=len(times))

        def ended(execution: MonitoringExecution) -> None:
            progress.console.print(_summary(execution), markup=False)
            codes.append(exit_code(execution.row.status))
            progress.advance(task)

        monitor.backfill(first, last, rerun=rerun, on_execution=ended)  # type: ignore[arg-type]
    violations = sum(code == 3 for code in codes)
    failed = sum(code == 1 for code in codes)
    console.print(
        f"{len(times)} executions: {len(times) - violations - failed} completed,"
        f" {violations} with violations, {failed} failed or stopped."
    )
    raise typer.Exit(1 if failed else 3 if violations else 0)
