"""``biaswatch scheduler``: the scheduler daemon, in the foreground."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer

from biaswatch.cli.common import console, exit_code, human_time, open_store
from biaswatch.errors import ConfigError

__all__ = ["scheduler_command"]


def scheduler_command(
    poll_interval: Annotated[
        float,
        typer.Option(help="How often to look for due executions, in seconds.", min=0.01),
    ] = 30.0,
    catch_up_hours: Annotated[
        float,
        typer.Option(
            help="After downtime, also run the executions missed this many hours back.", min=0
        ),
    ] = 24.0,
    workers: Annotated[int, typer.Option(help="How many executions may run at once.", min=1)] = 2,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            help="Serve Prometheus /metrics on this port (0: any free port). By default"
            " /metrics is not served.",
            min=0,
            max=65535,
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="The address /metrics listens on (with --metrics-port).")
    ] = "127.0.0.1",
    reevaluate_interval: Annotated[
        float,
        typer.Option(
            help="How often to look for grown ground truth of schedules created with"
            " --reevaluate-within, in seconds.",
            min=0.01,
        ),
    ] = 300.0,
    reevaluations_per_tick: Annotated[
        int,
        typer.Option(help="At most this many late-ground-truth reruns start per look.", min=1),
    ] = 4,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run one round (due executions and re-evaluations), wait for it, then exit.",
        ),
    ] = False,
) -> None:
    """Run due executions until stopped: the scheduler daemon.

    Stops on SIGTERM or Ctrl-C once the running executions finish.
    Schedules created with --reevaluate-within also get their recent executions rerun when
    their ground truth grows; those with --live-violation-window have their endpoint's live
    metrics judged every minute, and live violations notified. With --once: one round, then
    exit (0, or 1 when an execution failed, 3 when one found violations), for cron jobs and CI.
    """
    from prometheus_client import start_http_server

    from biaswatch.jobs.publishing import metrics_registry
    from biaswatch.schedule import Scheduler, SchedulerOptions, utc_now

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("biaswatch").setLevel(logging.INFO)
    store = open_store()
    scheduler = Scheduler(
        store,
        clock=utc_now,
        options=SchedulerOptions(
            poll_interval=timedelta(seconds=poll_interval),
            catch_up=timedelta(hours=catch_up_hours),
            workers=workers,
            reevaluation_interval=timedelta(seconds=reevaluate_interval),
            reevaluations_per_tick=reevaluations_per_tick,
        ),
    )
    if once:
        ran = scheduler.run_once()
        for row in ran:
            attempt = f" (attempt {row.attempt})" if (row.attempt or 1) > 1 else ""
            reason = f": {row.failure_reason}" if row.failure_reason else ""
            console.print(
                f"{row.schedule_name} {human_time(row.scheduled_time)} UTC  {row.status}"
                f"{attempt}{reason}",
                markup=False,
            )
        console.print(f"{len(ran)} executions ran.")
        codes = {exit_code(row.status) for row in ran}
        raise typer.Exit(1 if 1 in codes else 3 if 3 in codes else 0)

    def shut_down(signum: int, _frame: FrameType | None) -> None:
        console.print(f"{signal.Signals(signum).name}: finishing running executions, then stopping")
        scheduler.stop()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    if metrics_port is not None:
        try:
            server, _ = start_http_server(
                metrics_port, metrics_host, registry=metrics_registry(store)
            )
        except OSError as exc:
            raise ConfigError(
                f"cannot serve /metrics on {metrics_host}:{metrics_port}: {exc.strerror or exc}",
                field="--metrics-port",
                value=metrics_port,
            ) from exc
        console.print(f"Prometheus metrics on http://{metrics_host}:{server.server_port}/metrics")
    console.print(f"Scheduler {scheduler.owner} running ({len(store.schedules())} schedules).")
    scheduler.run()
    console.print("Scheduler stopped.")
