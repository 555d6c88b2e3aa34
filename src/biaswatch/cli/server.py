"""``biaswatch server``: the REST API and dashboard, with the scheduler unless told not to."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

import typer

from biaswatch.cli.common import console, open_store
from biaswatch.errors import ConfigError

__all__ = ["server_command"]


def server_command(
    host: Annotated[
        str, typer.Option(help="The address to listen on (0.0.0.0: every interface).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="The port to listen on (0: any free port).", min=0, max=65535)
    ] = 8000,
    scheduler: Annotated[
        bool,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Also run the scheduler, as biaswatch scheduler does.",
        ),
    ] = True,
    poll_interval: Annotated[
        float,
        typer.Option(
            help="How often the scheduler looks for due executions, in seconds.", min=0.01
        ),
    ] = 30.0,
) -> None:
    """Serve the dashboard, the REST API and /metrics.

    The API is under /api (OpenAPI at /api/openapi.json). Set BIASWATCH_API_TOKEN to require a
    token (Authorization: Bearer, or ?token= once in a browser). Needs the server extra: pip
    install 'biaswatch[server]'.
    """
    from biaswatch.schedule import SchedulerOptions

    try:
        from biaswatch.server import create_app, listen, serve
    except ImportError as exc:
        raise ConfigError(
            f"biaswatch server needs the server extra: pip install 'biaswatch[server]' ({exc})"
        ) from exc
    sock = listen(host, port)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("biaswatch").setLevel(logging.INFO)
    app = create_app(
        open_store(),
        run_scheduler=scheduler,
        scheduler_options=SchedulerOptions(poll_interval=timedelta(seconds=poll_interval)),
    )
    port = sock.getsockname()[1]
    console.print(f"Dashboard: http://{host}:{port}/  (API: /api, metrics: /metrics)")
    serve(app, sock=sock)
