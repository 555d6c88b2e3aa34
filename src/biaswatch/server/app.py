"""The server: the REST API, the dashboard and ``/metrics``, with the scheduler alongside.

:func:`create_app` builds the FastAPI application over a store. With ``run_scheduler``, the
scheduler runs in a thread for the application's lifetime and stops (finishing its running
executions) when the server shuts down. The OpenAPI document is at ``/api/openapi.json``;
the interactive docs pages are off, because they fetch their scripts from a CDN.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from biaswatch import __version__
from biaswatch.errors import ConfigError
from biaswatch.jobs.publishing import metrics_registry
from biaswatch.schedule import Scheduler, SchedulerOptions, utc_now
from biaswatch.server import api, dashboard
from biaswatch.server.auth import TokenAuth, TokenRedaction
from biaswatch.server.pages import error_page
from biaswatch.store import Store

__all__ = ["TOKEN_VARIABLE", "create_app", "listen", "serve"]

TOKEN_VARIABLE = "BIASWATCH_API_TOKEN"


def create_app(
    store: Store,
    *,
    token: str | None = None,
    run_scheduler: bool = False,
    scheduler_options: SchedulerOptions | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """The application over ``store``; ``token`` defaults to ``$BIASWATCH_API_TOKEN``.

    ``clock`` is what the live metrics count back from (the real one but in tests).
    """
    token = token if token is not None else os.environ.get(TOKEN_VARIABLE) or None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not run_scheduler:
            yield
            return
        scheduler = Scheduler(store, clock=utc_now, options=scheduler_options)
        thread = threading.Thread(target=scheduler.run, name="biaswatch-scheduler", daemon=True)
        thread.start()
        app.state.scheduler = scheduler
        try:
            yield
        finally:
            scheduler.stop()
            thread.join()

    app = FastAPI(
        title="biaswatch",
        version=__version__,
        description="Bias-drift monitoring: schedules, executions, metrics and their files.",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.store = store
    app.state.clock = clock
    registry = metrics_registry(store, clock=clock)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return HTMLResponse(error_page(exc.status_code, str(exc.detail)), exc.status_code)

    app.include_router(api.router)
    app.include_router(dashboard.router)
    if token:
        app.middleware("http")(TokenAuth(token))
    return app


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``; a config error naming the port when it cannot be."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}", field="--port", value=port
        ) from exc


def serve(app: Any, *, sock: socket.socket) -> None:
    """Serve ``app`` with uvicorn on ``sock`` until interrupted (SIGTERM or Ctrl-C)."""
    import uvicorn

    config = uvicorn.Config(app, log_level="info")  # configures uvicorn's loggers
    logging.getLogger("uvicorn.access").addFilter(TokenRedaction())
    uvicorn.Server(config).run(sockets=[sock])
