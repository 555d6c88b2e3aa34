"""The simulated real-time endpoint: a FastAPI app serving the model, captured by biaswatch.

``POST /invocations`` takes one CSV line of :data:`~biaswatch.demo.dataset.FEATURES` and
answers the score as CSV, as a SageMaker CSV endpoint does; ``GET /ping`` answers 200. The app
is wrapped in biaswatch's :class:`~biaswatch.capture.middleware.CaptureMiddleware`, and that in
the simulated-time middleware (:mod:`biaswatch.demo.clock`). :class:`EndpointServer` serves it
with uvicorn on a loopback port, in a background thread.

This module imports FastAPI and uvicorn (the extra ``demo``): import it only once
:func:`~biaswatch.demo._extras.require_demo_extras` has passed.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Self

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, Response

from biaswatch.capture.middleware import CaptureMiddleware
from biaswatch.capture.writer import CaptureWriter
from biaswatch.demo.bias import BiasInjection
from biaswatch.demo.clock import ASGIApp, SimulatedTime
from biaswatch.demo.dataset import FEATURES
from biaswatch.demo.model import IncomeModel
from biaswatch.errors import BiaswatchError

__all__ = ["INVOCATIONS_PATH", "EndpointServer", "create_endpoint_app", "parse_features"]

INVOCATIONS_PATH = "/invocations"
_START_TIMEOUT = 30.0


def parse_features(body: bytes) -> list[float]:
    r"""The features of a request: one CSV line of ``len(FEATURES)`` numbers.

    Raises
    ------
    ValueError
        If the body is not such a line.

    Examples
    --------
    >>> parse_features(b"39,13,2174,0,40,1,0,0\n")
    [39.0, 13.0, 2174.0, 0.0, 40.0, 1.0, 0.0, 0.0]
    """
    values = [float(value) for value in body.decode("utf-8").strip().split(",")]
    if len(values) != len(FEATURES):
        raise ValueError(f"{len(values)} values instead of {len(FEATURES)}")
    return values


def create_endpoint_app(
    model: IncomeModel, *, bias: BiasInjection, clock: SimulatedTime, writer: CaptureWriter
) -> ASGIApp:
    """The endpoint's ASGI app: the model behind the capture and simulated-time middlewares."""
    app = FastAPI(title="biaswatch demo endpoint", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/ping")
    async def ping() -> Response:
        return Response(status_code=200)

    @app.post(INVOCATIONS_PATH)
    async def invocations(request: Request) -> Response:
        try:
            row = parse_features(await request.body())
        except (UnicodeDecodeError, ValueError) as exc:
            return PlainTextResponse(
                f"expected one CSV line of {len(FEATURES)} numbers ({', '.join(FEATURES)}): {exc}",
                status_code=400,
            )
        rows = np.array([row])
        score = bias.apply(model.scores(rows), rows, clock())[0]
        return Response(repr(float(score)), media_type="text/csv")

    return clock.middleware(CaptureMiddleware(app, writer=writer))


class EndpointServer:
    """Serve an ASGI app with uvicorn on ``host`` (a free port), in a background thread.

    Use it as a context manager; :attr:`url` is the invocations URL.

    Raises
    ------
    BiaswatchError
        If the server does not start within 30 seconds.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._socket is None:
            raise BiaswatchError("the demo endpoint is not started")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://host:port/invocations``."""
        return f"http://{self.host}:{self.port}{INVOCATIONS_PATH}"

    def start(self) -> None:
        """Bind a free port and start serving."""
        # Binding here, and handing the socket to uvicorn, leaves no gap for another process
        # to take the port between choosing it and listening on it. The protocol must be
        # named: asyncio sets TCP_NODELAY only on sockets whose proto is TCP, and without it
        # each response's body waits for the client's delayed ACK of its headers (40 ms).
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, 0))
        self._socket = listener
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        server = self._server = uvicorn.Server(config)
        thread = self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [listener]},
            name="biaswatch-demo-endpoint",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise BiaswatchError(f"the demo endpoint did not start on {self.host}")
            time.sleep(0.01)

    def close(self) -> None:
        """Stop serving and wait for the server thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
