"""``biaswatch executions`` and ``biaswatch backfill``: run and list a schedule's executions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from biaswatch.cli.common import (
    AsJson,
    attach,
    console,
    exit_code,
    open_store,
    parse_time,
    print_rows,
    require_schedule,
)
from biaswatch.errors import ConfigError
from biaswatch.status import ExecutionStatus

if TYPE_CHECKING:
    from biaswatch.model_monitor import MonitoringExecution

__all__ = ["app", "backfill_command"]

app = typer.Typer(help="A schedule's executions.", no_args_is_help=True, rich_markup_mode=None)

Schedule = Annotated[str, typer.Option("--schedule", help="The schedule's name.")]


def _summary(execution: MonitoringExecution) -> str:
    row = execution.row
    counts = row.counts or {}
    text = f"{row.scheduled_time.isoformat()}  {row.status}"
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
    limit: Annotated[int, typer.Option(help="Show the latest N.")] = 100,
    as_json: AsJson = False,
) -> None:
    """List a schedule's executions, oldest first (each shows its latest finished attempt)."""
    store = open_store()
    require_schedule(store, schedule)
    rows = []
    for row in store.executions(schedule, limit=limit):
        counts = row.counts or {}
        rows.append(
            {
                "scheduled_time": row.scheduled_time.isoformat(),
                "status": row.status,
                "attempts": row.attempts,
                "violations": counts.get("violations"),
                "rows": counts.get("rows"),
                "failure_reason": row.failure_reason,
                "output": row.output_uri,
            }
        )
    print_rows(rows, as_json=as_json)


ScheduledTime = Annotated[str, typer.Option("--scheduled-time", help="The slot (ISO-8601, UTC).")]


@app.command("attempts")
def list_attempts(
    schedule: Schedule, scheduled_time: ScheduledTime, as_json: AsJson = False
) -> None:
    """List the attempts of one execution, latest first: trigger, status, reason, output."""
    store = open_store()
    require_schedule(store, schedule)
    moment = parse_time(scheduled_time, "--scheduled-time")
    row = store.execution_at(schedule, moment)
    if row is None:
        raise ConfigError(
            f"schedule {schedule!r} has no execution at {moment.isoformat()}",
            field="--scheduled-time",
            value=scheduled_time,
        )
    rows = [
        {
            "attempt": a.number,
            "trigger": a.trigger,
            "status": a.status,
            "started_at": a.started_at.isoformat(),
            "ended_at": a.ended_at.isoformat() if a.ended_at else None,
            "ground_truth_until": a.ground_truth_until.isoformat()
            if a.ground_truth_until
            else None,
            "rows": (a.counts or {}).get("rows"),
            "failure_reason": a.failure_reason,
            "output": a.output_uri,
        }
        for a in store.attempts(row.id)
    ]
    print_rows(rows, as_json=as_json)


@app.command("run")
def run(
    schedule: Schedule,
    scheduled_time: ScheduledTime,
    rerun: Annotated[
        bool,
        typer.Option(
            "--rerun",
            help="Run a new attempt of a slot that has run (reading late ground truth too).",
        ),
    ] = False,
) -> None:
    """Run one execution now and wait for it; exit 0 Completed, 3 with violations, 1 failed.

    A slot that has run already is shown as it is, unless --rerun.
    """
    monitor = attach(open_store(), schedule)
    execution = monitor.run_execution(parse_time(scheduled_time, "--scheduled-time"), rerun=rerun)
    console.print(_summary(execution))
    console.print(f"output: {execution.output.destination}")
    raise typer.Exit(exit_code(execution.row.status))


def backfill_command(
    schedule: Schedule,
    start: Annotated[str, typer.Option("--start", help="First scheduled time (ISO-8601).")],
    end: Annotated[str, typer.Option("--end", help="Last scheduled time (ISO-8601).")],
    rerun: Annotated[
        str | None,
        typer.Option(
            "--rerun", help="Also rerun slots that ran: 'failed' (failed or stopped) or 'all'."
        ),
    ] = None,
) -> None:
    """Run every scheduled time from --start to --end that has not run yet, oldest first.

    Exits 3 when any execution found violations, 1 when any failed, else 0.
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
            progress.console.print(_summary(execution))
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
