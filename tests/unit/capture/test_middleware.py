"""The ASGI middleware through a real FastAPI app, and the WSGI middleware through wsgiref."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment
from wsgiref.util import setup_testing_defaults

import pytest
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import StreamingResponse

with warnings.catch_warnings():
    # Starlette now prefers the httpx2 package for its test client; the dev group has httpx.
    warnings.filterwarnings("ignore", message=".*install `httpx2` instead", category=Warning)
    from fastapi.testclient import TestClient

from tests.unit.capture.captures import T0, FakeClock, capture_records

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.endpoint import CaptureRecord, Encoding
from biaswatch.capture.middleware import (
    CaptureMiddleware,
    Message,
    Receive,
    Scope,
    Send,
    WSGICaptureMiddleware,
)
from biaswatch.capture.writer import CaptureWriter

JSON_TYPES = ["application/json", "application/jsonlines"]


@pytest.fixture
def root(tmp_path: Path) -> str:
    return str(tmp_path / "capture")


@pytest.fixture
def writer(root: str) -> Iterator[CaptureWriter]:
    config = DataCaptureConfig(
        enable_capture=True,
        sampling_percentage=100,
        destination_s3_uri=root,
        json_content_types=JSON_TYPES,
    )
    with CaptureWriter(
        config, endpoint_name="churn", clock=FakeClock(T0), flush_interval=3600
    ) as writer:
        yield writer


def _records(writer: CaptureWriter, root: str) -> list[CaptureRecord]:
    writer.flush()
    return capture_records(root)


def _predict(body: bytes, content_type: str) -> tuple[bytes, str]:
    """A toy model: one score per CSV row or JSON Lines record, predictions for JSON."""
    if content_type.startswith("text/csv"):
        rows = body.decode().splitlines()
        return "\n".join(f"0.{len(row)}" for row in rows).encode(), "text/csv; charset=utf-8"
    if content_type.startswith("application/jsonlines"):
        lines = body.decode().splitlines()
        scores = [json.dumps({"score": len(json.loads(line)["features"])}) for line in lines]
        return "\n".join(scores).encode(), "application/jsonlines"
    instances = json.loads(body)["instances"]
    return json.dumps({"predictions": [len(x) for x in instances]}).encode(), "application/json"


def _fastapi_app(writer: CaptureWriter) -> FastAPI:
    app = FastAPI()

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        if request.headers.get("x-fail"):
            raise HTTPException(status_code=400, detail="bad request")
        body, media_type = _predict(await request.body(), request.headers["content-type"])
        return Response(body, media_type=media_type)

    @app.post("/stream")
    async def stream(request: Request) -> StreamingResponse:
        body = await request.body()

        async def chunks() -> Iterator[bytes] | Any:
            for row in body.decode().splitlines():
                yield f"{row}!\n".encode()

        return StreamingResponse(chunks(), media_type="text/csv")

    @app.post("/other")
    async def other(request: Request) -> Response:
        return Response(await request.body(), media_type="text/csv")

    @app.get("/ping")
    async def ping() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(CaptureMiddleware, writer=writer, paths=("/invocations", "/stream"))
    return app


@pytest.fixture
def client(writer: CaptureWriter) -> Iterator[TestClient]:
    with TestClient(_fastapi_app(writer)) as client:
        yield client


def test_asgi_csv_single_record(client: TestClient, writer: CaptureWriter, root: str) -> None:
    response = client.post(
        "/invocations",
        content=b"9,45,45,42",
        headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Inference-Id": "95"},
    )
    assert response.status_code == 200
    assert response.content == b"0.10"
    [record] = _records(writer, root)
    assert (record.input.data, record.input.encoding) == ("9,45,45,42", Encoding.CSV)
    assert record.input.content_type == "text/csv"
    assert (record.output.data, record.output.encoding) == ("0.10", Encoding.CSV)
    assert record.output.content_type == "text/csv; charset=utf-8"
    assert record.inference_id == "95"
    assert record.custom_attributes is None
    assert record.inference_time == T0


def test_asgi_csv_multi_record_streamed_request(
    client: TestClient, writer: CaptureWriter, root: str
) -> None:
    chunks = [b"1,2\n", b"3,4", b"5\n6,7"]
    response = client.post(
        "/invocations",
        content=iter(chunks),
        headers={"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "c1"},
    )
    assert response.content == b"0.3\n0.4\n0.3"
    [record] = _records(writer, root)
    assert record.input.data == "1,2\n3,45\n6,7"
    assert record.output.data == "0.3\n0.4\n0.3"
    assert record.custom_attributes == "c1"
    assert record.inference_id is None


def test_asgi_json_lines_multi_record(client: TestClient, writer: CaptureWriter, root: str) -> None:
    body = '{"features": [1, 2]}\n{"features": [3, 4, 5]}'
    response = client.post(
        "/invocations", content=body, headers={"Content-Type": "application/jsonlines"}
    )
    assert response.status_code == 200
    [record] = _records(writer, root)
    assert (record.input.data, record.input.encoding) == (body, Encoding.JSON)
    assert record.output.data == '{"score": 2}\n{"score": 3}'
    assert record.output.encoding is Encoding.JSON


def test_asgi_json_single_record(client: TestClient, writer: CaptureWriter, root: str) -> None:
    response = client.post("/invocations", json={"instances": [[1, 2, 3]]})
    assert response.json() == {"predictions": [3]}
    [record] = _records(writer, root)
    assert json.loads(record.input.data) == {"instances": [[1, 2, 3]]}
    assert record.input.content_type == "application/json"
    assert (record.output.data, record.output.encoding) == ('{"predictions": [3]}', Encoding.JSON)


def test_asgi_streamed_response(client: TestClient, writer: CaptureWriter, root: str) -> None:
    response = client.post("/stream", content=b"a\nb", headers={"Content-Type": "text/csv"})
    assert response.content == b"a!\nb!\n"
    [record] = _records(writer, root)
    assert record.output.data == "a!\nb!\n"
    assert record.output.content_type.startswith("text/csv")


def test_asgi_unlisted_content_type_is_base64(
    client: TestClient, writer: CaptureWriter, root: str
) -> None:
    client.post("/stream", content=b"x", headers={"Content-Type": "application/x-custom"})
    [record] = _records(writer, root)
    assert record.input.encoding is Encoding.BASE64
    assert base64.b64decode(record.input.data) == b"x"


def test_asgi_other_requests_are_not_captured(
    client: TestClient, writer: CaptureWriter, root: str
) -> None:
    assert client.post("/other", content=b"1,2", headers={"Content-Type": "text/csv"}).is_success
    assert client.get("/ping").json() == {"status": "ok"}
    assert client.get("/invocations").status_code == 405
    failed = client.post(
        "/invocations", content=b"1,2", headers={"Content-Type": "text/csv", "X-Fail": "1"}
    )
    assert failed.status_code == 400
    assert _records(writer, root) == []


def test_asgi_capture_failures_do_not_break_the_response(
    root: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=root
    )
    naive = datetime(2024, 5, 1, 10)  # noqa: DTZ001 -- makes capture() raise
    with (
        CaptureWriter(config, endpoint_name="churn", clock=lambda: naive) as writer,
        TestClient(_fastapi_app(writer)) as client,
        caplog.at_level(logging.ERROR, logger="biaswatch.capture.middleware"),
    ):
        response = client.post("/invocations", content=b"1,2", headers={"Content-Type": "text/csv"})
        assert response.status_code == 200
        assert response.content == b"0.3"
    assert "capturing an invocation of churn failed" in caplog.text


def _run_asgi(
    writer: CaptureWriter, incoming: list[Message]
) -> tuple[list[Message], list[Message]]:
    """Call the middleware directly: return what the app received and what it sent."""
    seen: list[Message] = []
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            seen.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        body = b"".join(m.get("body", b"") for m in seen)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body[::-1]})

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/invocations",
        "headers": [(b"content-type", b"text/csv"), (b"x-amzn-sagemaker-inference-id", b"i-1")],
    }
    asyncio.run(CaptureMiddleware(app, writer=writer)(scope, receive, send))
    return seen, sent


def test_asgi_request_chunks_are_fed_to_the_app_unchanged(writer: CaptureWriter, root: str) -> None:
    incoming: list[Message] = [
        {"type": "http.request", "body": b"1,2\n", "more_body": True},
        {"type": "http.request", "body": b"3,4", "more_body": False},
    ]
    seen, sent = _run_asgi(writer, list(incoming))
    assert seen == incoming
    assert sent[-1]["body"] == b"4,3\n2,1"
    [record] = _records(writer, root)
    assert record.input.data == "1,2\n3,4"
    assert (record.output.content_type, record.output.encoding) == ("", Encoding.BASE64)
    assert base64.b64decode(record.output.data) == b"4,3\n2,1"
    assert record.inference_id == "i-1"


def test_asgi_a_client_gone_before_the_body_is_not_captured(
    writer: CaptureWriter, root: str
) -> None:
    incoming: list[Message] = [
        {"type": "http.request", "body": b"1,2", "more_body": True},
        {"type": "http.disconnect"},
    ]
    seen, _ = _run_asgi(writer, list(incoming))
    assert seen == incoming
    assert _records(writer, root) == []


def _wsgi_model(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if environ["PATH_INFO"] == "/fail":
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"no"]
    if environ["PATH_INFO"] == "/legacy":
        write = start_response("200 OK", [("Content-Type", "text/csv")])
        write(b"0.1\n")
        return [b"0.2"]
    output, media_type = _predict(body, environ.get("CONTENT_TYPE", ""))
    start_response("200 OK", [("content-type", media_type)])
    return [output[:2], output[2:]]


def _call_wsgi(
    app: Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]],
    path: str,
    body: bytes,
    *,
    method: str = "POST",
    content_type: str = "text/csv",
    headers: dict[str, str] | None = None,
) -> tuple[str, bytes]:
    environ: WSGIEnvironment = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD=method,
        PATH_INFO=path,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": io.BytesIO(body)},
    )
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    statuses: list[str] = []
    written: list[bytes] = []

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return written.append

    result = app(environ, start_response)
    try:
        output = b"".join(written) + b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return statuses[-1], output


def test_wsgi_capture(writer: CaptureWriter, root: str) -> None:
    app = WSGICaptureMiddleware(_wsgi_model, writer=writer)
    status, output = _call_wsgi(
        app,
        "/invocations",
        b"1,2\n3,4,5",
        headers={
            "X-Amzn-SageMaker-Inference-Id": "id-7",
            "X-Amzn-SageMaker-Custom-Attributes": "a",
        },
    )
    assert (status, output) == ("200 OK", b"0.3\n0.5")
    [record] = _records(writer, root)
    assert (record.input.data, record.output.data) == ("1,2\n3,4,5", "0.3\n0.5")
    assert record.output.content_type == "text/csv; charset=utf-8"
    assert (record.inference_id, record.custom_attributes) == ("id-7", "a")


def test_wsgi_json(writer: CaptureWriter, root: str) -> None:
    app = WSGICaptureMiddleware(_wsgi_model, writer=writer)
    body = b'{"instances": [[1], [2, 3]]}'
    _call_wsgi(app, "/invocations", body, content_type="application/json")
    [record] = _records(writer, root)
    assert (record.input.data, record.input.encoding) == (body.decode(), Encoding.JSON)
    assert record.output.data == '{"predictions": [1, 2]}'


def test_wsgi_legacy_write_callable(writer: CaptureWriter, root: str) -> None:
    app = WSGICaptureMiddleware(_wsgi_model, writer=writer, paths=["/legacy"])
    assert _call_wsgi(app, "/legacy", b"1") == ("200 OK", b"0.1\n0.2")
    [record] = _records(writer, root)
    assert record.output.data == "0.1\n0.2"


def test_wsgi_other_requests_are_not_captured(writer: CaptureWriter, root: str) -> None:
    app = WSGICaptureMiddleware(_wsgi_model, writer=writer, paths=["/invocations", "/fail"])
    assert _call_wsgi(app, "/fail", b"1")[0] == "400 Bad Request"
    assert _call_wsgi(app, "/other", b"1,2")[0] == "200 OK"
    assert _call_wsgi(app, "/invocations", b"", method="GET")[0] == "200 OK"
    assert _records(writer, root) == []


def test_wsgi_capture_failures_do_not_break_the_response(
    root: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=root
    )
    naive = datetime(2024, 5, 1, 10)  # noqa: DTZ001 -- makes capture() raise
    with (
        CaptureWriter(config, endpoint_name="churn", clock=lambda: naive) as writer,
        caplog.at_level(logging.ERROR, logger="biaswatch.capture.middleware"),
    ):
        app = WSGICaptureMiddleware(_wsgi_model, writer=writer)
        assert _call_wsgi(app, "/invocations", b"1,2") == ("200 OK", b"0.3")
    assert "capturing an invocation of churn failed" in caplog.text


def test_disabled_capture_passes_through(root: str) -> None:
    config = DataCaptureConfig(enable_capture=False, destination_s3_uri=root)
    with CaptureWriter(config, endpoint_name="churn") as writer:
        app = WSGICaptureMiddleware(_wsgi_model, writer=writer)
        assert _call_wsgi(app, "/invocations", b"1,2") == ("200 OK", b"0.3")
        with TestClient(_fastapi_app(writer)) as client:
            assert client.post("/invocations", content=b"1", headers={"Content-Type": "text/csv"})
    assert capture_records(root) == []
