"""The WSGI middleware's less common requests, and the capture writer's last-resort paths."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment
from wsgiref.util import setup_testing_defaults

import pytest
from tests.unit.capture.captures import T0, FakeClock, capture_records

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.middleware import WSGICaptureMiddleware
from biaswatch.capture.writer import CaptureWriter
from biaswatch.storage import join, write_bytes


def _config(root: str) -> DataCaptureConfig:
    return DataCaptureConfig(enable_capture=True, sampling_percentage=100, destination_s3_uri=root)


@pytest.fixture
def root(tmp_path: Path) -> str:
    return str(tmp_path / "capture")


@pytest.fixture
def writer(root: str) -> Iterator[CaptureWriter]:
    with CaptureWriter(
        _config(root), endpoint_name="churn", clock=FakeClock(T0), flush_interval=3600,
        register=False,
    ) as writer:  # fmt: skip
        yield writer


class _Body:
    """A response body with ``close()``, as WSGI servers must call it."""

    def __init__(self, chunks: list[bytes], *, fail_after: int | None = None) -> None:
        self.chunks, self.fail_after, self.closed = chunks, fail_after, False

    def __iter__(self) -> Iterator[bytes]:
        for position, chunk in enumerate(self.chunks):
            if position == self.fail_after:
                raise RuntimeError("the model failed while streaming")
            yield chunk

    def close(self) -> None:
        self.closed = True


def _environ(body: bytes, **changes: Any) -> WSGIEnvironment:
    environ: WSGIEnvironment = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD="POST",
        PATH_INFO="/invocations",
        CONTENT_TYPE="text/csv",
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": io.BytesIO(body)},
    )
    environ.update(changes)
    return environ


def _start(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], object]:
    return lambda data: None


def _echo(seen: list[bytes]) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        seen.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/csv")])
        return [b"0.5"]

    return app


def _records(writer: CaptureWriter, root: str) -> list[str]:
    writer.flush()
    return [record.input.data for record in capture_records(root)]


@pytest.mark.parametrize(
    ("changes", "body_seen"),
    [
        ({"CONTENT_LENGTH": "2"}, b"1,"),
        ({"CONTENT_LENGTH": "", "wsgi.input_terminated": True}, b"1,2"),
        ({"CONTENT_LENGTH": "many", "wsgi.input_terminated": True}, b"1,2"),
        ({"CONTENT_LENGTH": ""}, b""),  # PEP 3333: no length and no terminated input, no body
    ],
)
def test_the_request_body_is_read_as_pep_3333_says(
    writer: CaptureWriter, root: str, changes: dict[str, Any], body_seen: bytes
) -> None:
    seen: list[bytes] = []
    app = WSGICaptureMiddleware(_echo(seen), writer=writer)
    output = b"".join(app(_environ(b"1,2", **changes), _start))
    assert output == b"0.5"
    assert seen == [body_seen]
    assert _records(writer, root) == [body_seen.decode()]


def test_the_apps_response_is_closed_and_then_captured(writer: CaptureWriter, root: str) -> None:
    body = _Body([b"0.", b"9"])

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/csv")])
        return body

    assert b"".join(WSGICaptureMiddleware(app, writer=writer)(_environ(b"1,2"), _start)) == b"0.9"
    assert body.closed
    writer.flush()
    [record] = capture_records(root)
    assert (record.input.data, record.output.data) == ("1,2", "0.9")


def test_a_response_that_fails_midway_is_closed_and_not_captured(
    writer: CaptureWriter, root: str
) -> None:
    body = _Body([b"0.", b"9"], fail_after=1)

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/csv")])
        return body

    with pytest.raises(RuntimeError, match="failed while streaming"):
        b"".join(WSGICaptureMiddleware(app, writer=writer)(_environ(b"1,2"), _start))
    assert body.closed
    assert _records(writer, root) == []


def test_a_failed_response_written_with_the_legacy_callable_is_not_captured(
    writer: CaptureWriter, root: str
) -> None:
    written: list[bytes] = []

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return written.append

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        write = start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        write(b"model crashed")
        return []

    assert list(WSGICaptureMiddleware(app, writer=writer)(_environ(b"1,2"), start)) == []
    assert written == [b"model crashed"]
    assert _records(writer, root) == []


def test_the_writer_names_its_folder(writer: CaptureWriter, root: str) -> None:
    assert writer.folder == join(root, "churn", "AllTraffic")


def _capture(writer: CaptureWriter) -> None:
    writer.capture(
        request_body=b"1,2",
        request_content_type="text/csv",
        response_body=b"0.5",
        response_content_type="text/csv",
    )


def test_records_that_cannot_be_written_at_exit_are_logged_as_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the capture folder should be")
    writer = CaptureWriter(
        _config(str(blocker / "capture")), endpoint_name="churn", clock=FakeClock(T0),
        flush_interval=3600, register=False,
    )  # fmt: skip
    _capture(writer)
    with caplog.at_level(logging.ERROR, logger="biaswatch.capture.writer"):
        writer._close_at_exit()  # what atexit runs
    assert "captured records lost at exit" in caplog.text
    assert writer.buffered_records == 1


def test_an_unexpected_error_in_the_background_flush_is_logged_and_retried(
    root: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str] = []

    def flaky(uri: str, data: bytes) -> None:
        calls.append(uri)
        if len(calls) == 1:
            raise RuntimeError("a cloud SDK's own exception")
        write_bytes(uri, data)

    monkeypatch.setattr("biaswatch.capture.writer.write_bytes", flaky)
    with caplog.at_level(logging.ERROR, logger="biaswatch.capture.writer"):
        writer = CaptureWriter(
            _config(root), endpoint_name="churn", clock=FakeClock(T0), flush_interval=0.01,
            register=False,
        )  # fmt: skip
        try:
            _capture(writer)
            deadline = time.monotonic() + 10
            while writer.buffered_records and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            writer.close()
    assert "capture flush failed; records kept for the next flush" in caplog.text
    assert len(calls) >= 2
    assert calls[0] == calls[1]  # the same file, retried
    assert [record.input.data for record in capture_records(root)] == ["1,2"]
