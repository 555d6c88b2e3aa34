"""ASGI and WSGI middlewares that capture a model server's invocations with a ``CaptureWriter``.

They are written against the ASGI and WSGI specifications, so they import no web framework and
wrap any app: FastAPI, Starlette, Flask, Django, a bare callable::

    app.add_middleware(CaptureMiddleware, writer=writer)          # FastAPI / Starlette
    app.wsgi_app = WSGICaptureMiddleware(app.wsgi_app, writer=writer)  # Flask

A ``POST`` to one of ``paths`` (default ``/invocations``, SageMaker's serving path) is captured
after its response is complete, and only when the status is 2xx; other requests pass through
untouched. The content types are the request's and the response's ``Content-Type`` headers; the
inference id and custom attributes come from SageMaker's ``X-Amzn-SageMaker-Inference-Id`` and
``X-Amzn-SageMaker-Custom-Attributes`` headers. A capture that fails is logged and never changes
the response.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from biaswatch.capture.writer import CaptureWriter

__all__ = ["CaptureMiddleware", "WSGICaptureMiddleware"]

logger = logging.getLogger(__name__)

INFERENCE_ID_HEADER = "X-Amzn-SageMaker-Inference-Id"
CUSTOM_ATTRIBUTES_HEADER = "X-Amzn-SageMaker-Custom-Attributes"
INVOCATIONS_PATH = "/invocations"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
Write = Callable[[bytes], object]


@dataclass(slots=True)
class _Exchange:
    """One invocation as the middleware sees it, filled in as the response goes out."""

    request_body: bytes
    request_content_type: str
    inference_id: str | None
    custom_attributes: str | None
    status: int = 0
    response_content_type: str = ""
    response_chunks: list[bytes] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


def _capture(writer: CaptureWriter, exchange: _Exchange) -> None:
    """Hand a completed 2xx exchange to the writer; never raise."""
    if not exchange.succeeded:
        return
    try:
        writer.capture(
            request_body=exchange.request_body,
            request_content_type=exchange.request_content_type,
            response_body=b"".join(exchange.response_chunks),
            response_content_type=exchange.response_content_type,
            inference_id=exchange.inference_id,
            custom_attributes=exchange.custom_attributes,
        )
    except Exception:
        # The response has been sent and must not be affected by monitoring: log and go on.
        logger.exception("capturing an invocation of %s failed", writer.endpoint_name)


class CaptureMiddleware:
    """ASGI middleware: capture ``POST`` invocations of ``paths`` with ``writer``.

    Parameters
    ----------
    app : ASGI application
        The application wrapped.
    writer : CaptureWriter
        Where captured invocations go. The middleware does not close it.
    paths : collection of str, default ("/invocations",)
        The request paths captured (exact match on the ASGI ``path``).
    inference_id_header, custom_attributes_header : str
        The request headers read for ``inferenceId`` and ``customAttributes``.

    Notes
    -----
    The request body is read in full before the app runs and fed to it again unchanged, so the
    capture holds exactly what the app received. Response chunks pass through at once and are
    kept, for 2xx responses, until the response is complete.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        writer: CaptureWriter,
        paths: Collection[str] = (INVOCATIONS_PATH,),
        inference_id_header: str = INFERENCE_ID_HEADER,
        custom_attributes_header: str = CUSTOM_ATTRIBUTES_HEADER,
    ) -> None:
        self.app = app
        self.writer = writer
        self._paths = frozenset(paths)
        self._inference_id_header = inference_id_header.lower().encode("latin-1")
        self._custom_attributes_header = custom_attributes_header.lower().encode("latin-1")

    def _captured(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path") in self._paths
            and self.writer.config.enable_capture
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, capturing the invocation when it is one."""
        if not self._captured(scope):
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break  # the client went away before the body was complete
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                break
        request_complete = received[-1]["type"] == "http.request"
        headers: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", ()):
            headers.setdefault(bytes(name).lower(), bytes(value))

        def header(name: bytes) -> str | None:
            value = headers.get(name)
            return value.decode("latin-1") if value else None

        exchange = _Exchange(
            request_body=b"".join(chunks),
            request_content_type=header(b"content-type") or "",
            inference_id=header(self._inference_id_header),
            custom_attributes=header(self._custom_attributes_header),
        )
        response_complete = False

        async def replay() -> Message:
            if received:
                return received.pop(0)
            return await receive()

        async def send_and_keep(message: Message) -> None:
            nonlocal response_complete
            await send(message)
            if message["type"] == "http.response.start":
                exchange.status = int(message["status"])
                for name, value in message.get("headers", ()):
                    if bytes(name).lower() == b"content-type":
                        exchange.response_content_type = bytes(value).decode("latin-1")
                        break
            elif message["type"] == "http.response.body" and exchange.succeeded:
                exchange.response_chunks.append(bytes(message.get("body", b"")))
                response_complete = not message.get("more_body", False)

        await self.app(scope, replay, send_and_keep)
        if request_complete and response_complete:
            _capture(self.writer, exchange)


class WSGICaptureMiddleware:
    """WSGI middleware: capture ``POST`` invocations of ``paths`` with ``writer``.

    Parameters
    ----------
    app : WSGI application
        The application wrapped.
    writer : CaptureWriter
        Where captured invocations go. The middleware does not close it.
    paths : collection of str, default ("/invocations",)
        The request paths captured (exact match on ``PATH_INFO``).
    inference_id_header, custom_attributes_header : str
        The request headers read for ``inferenceId`` and ``customAttributes``.

    Notes
    -----
    ``wsgi.input`` is read in full (``CONTENT_LENGTH`` bytes, or to the end when the server sets
    ``wsgi.input_terminated``) and replaced by a ``BytesIO`` holding the same bytes. The
    invocation is captured once the server has consumed the whole response.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        writer: CaptureWriter,
        paths: Collection[str] = (INVOCATIONS_PATH,),
        inference_id_header: str = INFERENCE_ID_HEADER,
        custom_attributes_header: str = CUSTOM_ATTRIBUTES_HEADER,
    ) -> None:
        self.app = app
        self.writer = writer
        self._paths = frozenset(paths)
        self._inference_id_key = _environ_key(inference_id_header)
        self._custom_attributes_key = _environ_key(custom_attributes_header)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Run the app, capturing the invocation when it is one."""
        if (
            environ.get("REQUEST_METHOD") != "POST"
            or environ.get("PATH_INFO") not in self._paths
            or not self.writer.config.enable_capture
        ):
            return self.app(environ, start_response)
        body = _read_input(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        exchange = _Exchange(
            request_body=body,
            request_content_type=environ.get("CONTENT_TYPE") or "",
            inference_id=environ.get(self._inference_id_key) or None,
            custom_attributes=environ.get(self._custom_attributes_key) or None,
        )

        def start_and_keep(
            status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
        ) -> Write:
            exchange.status = int(status.split(" ", 1)[0])
            exchange.response_content_type = next(
                (value for name, value in headers if name.lower() == "content-type"), ""
            )
            write = start_response(status, headers, exc_info)

            def write_and_keep(data: bytes) -> object:
                # The legacy write() callable: its bytes are part of the response too.
                if exchange.succeeded:
                    exchange.response_chunks.append(bytes(data))
                return write(data)

            return write_and_keep

        return self._respond(self.app(environ, start_and_keep), exchange)

    def _respond(self, result: Iterable[bytes], exchange: _Exchange) -> Iterator[bytes]:
        complete = False
        try:
            for chunk in result:
                if exchange.succeeded:
                    exchange.response_chunks.append(bytes(chunk))
                yield chunk
            complete = True
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if complete:
            _capture(self.writer, exchange)


def _environ_key(header: str) -> str:
    """``X-Amzn-SageMaker-Inference-Id`` → ``HTTP_X_AMZN_SAGEMAKER_INFERENCE_ID``."""
    return "HTTP_" + header.upper().replace("-", "_")


def _read_input(environ: WSGIEnvironment) -> bytes:
    stream = environ["wsgi.input"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        length = -1
    if length >= 0:
        data: bytes = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        data = stream.read()
    else:
        data = b""  # PEP 3333: no CONTENT_LENGTH and no terminated input means no body
    return data
