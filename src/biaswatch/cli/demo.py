"""``biaswatch demo``: the end-to-end quickstart (the work is in :mod:`biaswatch.demo`)."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from biaswatch.cli.common import console
from biaswatch.errors import ConfigError

if TYPE_CHECKING:
    from biaswatch.demo import DemoResult

__all__ = ["demo_command"]


class _RichReporter:
    """The demo's steps as numbered lines, its progress as rich progress bars."""

    def __init__(self) -> None:
        self._steps = 0

    def step(self, title: str) -> None:
        self._steps += 1
        console.print(f"[bold]{self._steps}. {escape(title)}[/]")

    def detail(self, text: str) -> None:
        console.print(f"   {escape(text)}", highlight=False)

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        columns = (
            TextColumn(f"   {escape(description)}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(description, total=total)

            def advance(units: int) -> None:
                progress.advance(task, units)

            yield advance


def _summary(result: DemoResult) -> Table:
    day = result.hours[0].start if result.hours else result.bias_start
    table = Table(
        "hour",
        "rows",
        "status",
        "violations",
        "revised",
        title=f"Violations per traffic hour, {day:%Y-%m-%d} (UTC; * biased)",
    )
    for hour in result.hours:
        found = f"{len(hour.violations)} ({', '.join(hour.violations)})" if hour.violations else "0"
        table.add_row(
            f"{hour.start:%H:%M}-{hour.end:%H:%M}"
            + (" *" if hour.start >= result.bias_start else ""),
            "" if hour.rows is None else f"{hour.rows:,}",
            hour.status,
            found if not hour.failure_reason else escape(f"{found}: {hour.failure_reason}"),
            (
                f"attempt {hour.attempt} (late labels: {hour.first_rows or 0:,} rows at first)"
                if hour.attempt > 1
                else ""
            ),
            style="red" if hour.violations else None,
        )
    return table


def _timings(result: DemoResult) -> str:
    seconds = result.seconds
    steps = ", ".join(
        f"{name.replace('_', ' ')} {value:.0f} s"
        for name, value in seconds.items()
        if name != "total"
    )
    return f"Took {seconds.get('total', 0.0):.0f} s ({steps})."


def _listen(host: str, port: int) -> socket.socket:
    """The dashboard's socket, bound before the demo runs so that a busy port fails at once."""
    try:
        from biaswatch.server import listen
    except ImportError as exc:
        raise ConfigError(
            f"biaswatch demo needs the demo extra: pip install 'biaswatch[demo]' ({exc})"
        ) from exc
    return listen(host, port)


def demo_command(
    folder: Annotated[
        Path | None,
        typer.Option(
            "--folder",
            help="A new or empty folder for everything the demo writes, its store included."
            " Default: a new temporary folder.",
        ),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option("--serve", help="Then serve the dashboard until Ctrl-C (or SIGTERM)."),
    ] = False,
    host: Annotated[
        str, typer.Option("--host", help="The address the dashboard listens on (with --serve).")
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port",
            help="The dashboard's port (with --serve; 0: any free port).",
            min=0,
            max=65535,
        ),
    ] = 8000,
) -> None:
    """Simulate a biased endpoint for a day and monitor it.

    Trains a model on UCI Adult, serves it (FastAPI, captured by biaswatch), sends 24 hours of
    traffic with bias injected from 16:00, uploads the ground truth late, runs the baseline,
    creates an hourly schedule, backfills it and prints the violations per hour. Takes about a
    minute. Needs the demo extra (FastAPI, uvicorn, scikit-learn): pip install
    'biaswatch[demo]'.
    """
    from biaswatch.demo import DemoSettings, default_day, run_demo

    sock = _listen(host, port) if serve else None
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="biaswatch-demo-"))
    console.print(f"biaswatch demo in {folder}", markup=False)
    result = run_demo(DemoSettings(folder, default_day()), _RichReporter())
    console.print(_summary(result))
    violated = [h for h in result.hours if h.violations]
    before = sum(1 for h in violated if h.start < result.bias_start)
    after = len(violated) - before
    biased_hours = sum(1 for h in result.hours if h.start >= result.bias_start)
    console.print(
        f"* bias injected from {result.bias_start:%Y-%m-%d %H:%M} UTC: violations in {after} of"
        f" {biased_hours} hours from then, {before} of {len(result.hours) - biased_hours} before."
    )
    console.print(_timings(result))
    console.print(f"Files:     {result.folder}", markup=False, highlight=False)
    if sock is not None:
        port = sock.getsockname()[1]
    url = f"http://{host}:{port}/"
    if result.live:
        moment = result.bias_start + timedelta(minutes=30)  # the bias's first half hour
        console.print(
            f"Live panel as of {moment:%H:%M}: {url}live?at={moment:%Y-%m-%dT%H:%M:%SZ}",
            highlight=False,
        )
    if result.failed:
        console.print(f"{len(result.failed)} executions did not complete; see the table.")
        raise typer.Exit(1)
    if sock is None:
        console.print(
            f"Dashboard: {url} (run `biaswatch server --host {host} --port {port}` with"
            f" BIASWATCH_DATABASE_URL={result.database_url} to see it)",
            highlight=False,
        )
        return
    from biaswatch.server import create_app
    from biaswatch.server import serve as serve_app
    from biaswatch.store import Store

    console.print(f"Dashboard: {url} (serving; Ctrl-C to stop)", highlight=False)
    serve_app(create_app(Store.open(result.database_url)), sock=sock)
