"""CaptureWriter: sampling, encodings, hour files, flushing, threads and failing storage."""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from random import Random

import pytest
from tests.unit.capture.captures import T0, FakeClock, capture_files, capture_lines, capture_records

from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.endpoint import Encoding, parse_capture_line
from biaswatch.capture.registry import RegisteredEndpoint, registered_endpoint
from biaswatch.capture.writer import CaptureWriter
from biaswatch.errors import ConfigError, StorageError

FOLDER = "churn/AllTraffic"
HOUR_10 = f"{FOLDER}/2024/05/01/10/"
HOUR_11 = f"{FOLDER}/2024/05/01/11/"


@pytest.fixture
def root(tmp_path: Path) -> str:
    return str(tmp_path / "capture")


@pytest.fixture
def make_writer(root: str) -> Iterator[Callable[..., CaptureWriter]]:
    """Build writers that are closed after the test (so no flusher thread outlives it)."""
    writers: list[CaptureWriter] = []

    def make(
        *,
        sampling_percentage: int = 100,
        destination: str | None = None,
        capture_options: list[str] | None = None,
        flush_interval: float = 3600.0,
        **options: object,
    ) -> CaptureWriter:
        config = DataCaptureConfig(
            enable_capture=True,
            sampling_percentage=sampling_percentage,
            destination_s3_uri=destination or root,
            capture_options=capture_options,
        )
        options.setdefault("clock", FakeClock(T0))
        writer = CaptureWriter(
            config,
            endpoint_name="churn",
            flush_interval=flush_interval,
            **options,  # type: ignore[arg-type]
        )
        writers.append(writer)
        return writer

    yield make
    for writer in writers:
        writer.close()


def _csv(writer: CaptureWriter, row: str = "1,2,3", **metadata: str) -> bool:
    return writer.capture(
        request_body=row.encode(),
        request_content_type="text/csv",
        response_body=b"0.5",
        response_content_type="text/csv; charset=utf-8",
        **metadata,  # type: ignore[arg-type]
    )


def _wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_record_in_sagemakers_format(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    writer = make_writer()
    assert _csv(writer, inference_id="95", custom_attributes="c000b4f9")
    assert writer.flush() == 1
    [(name, data)] = capture_files(root).items()
    assert name.startswith(HOUR_10 + "59-58-250-")
    assert name.endswith(".jsonl")
    uuid.UUID(name.removeprefix(HOUR_10 + "59-58-250-").removesuffix(".jsonl"))
    record = parse_capture_line(data)
    assert (record.input.data, record.input.encoding, record.input.mode) == (
        "1,2,3",
        "CSV",
        "INPUT",
    )
    assert record.input.content_type == "text/csv"
    assert (record.output.data, record.output.encoding) == ("0.5", Encoding.CSV)
    assert record.output.content_type == "text/csv; charset=utf-8"
    assert record.inference_id == "95"
    assert record.custom_attributes == "c000b4f9"
    assert record.inference_time == T0.replace(microsecond=250000)
    assert uuid.UUID(record.event_id).version == 4
    assert b'"eventVersion":"0"' in data
    assert b'"inferenceTime":"2024-05-01T10:59:58.250Z"' in data


def test_event_id_can_be_given(make_writer: Callable[..., CaptureWriter], root: str) -> None:
    writer = make_writer()
    _csv(writer, event_id="e-1")
    writer.flush()
    [record] = capture_records(root)
    assert (record.event_id, record.inference_id) == ("e-1", None)


def test_json_and_unlisted_types(make_writer: Callable[..., CaptureWriter], root: str) -> None:
    writer = make_writer()
    writer.capture(
        request_body=b'{"instances": [[1, 2]]}',
        request_content_type="application/json",
        response_body=b"<p>0.5</p>",
        response_content_type="text/html",
    )
    writer.flush()
    [record] = capture_records(root)
    assert (record.input.data, record.input.encoding) == ('{"instances": [[1, 2]]}', "JSON")
    assert record.output.encoding is Encoding.BASE64
    assert base64.b64decode(record.output.data) == b"<p>0.5</p>"


def test_non_utf8_text_falls_back_to_base64(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    writer = make_writer()
    body = "é,1".encode("latin-1")
    writer.capture(
        request_body=body,
        request_content_type="text/csv",
        response_body=b"\xff\xfe",
        response_content_type="application/json",
    )
    writer.flush()
    [record] = capture_records(root)
    assert record.input.encoding is Encoding.BASE64
    assert record.input.content_type == "text/csv"
    assert base64.b64decode(record.input.data) == body
    assert record.output.encoding is Encoding.BASE64
    assert base64.b64decode(record.output.data) == b"\xff\xfe"


@pytest.mark.parametrize(
    ("options", "input_data", "output_data"),
    [(["REQUEST"], "1,2,3", ""), (["Output"], "", "0.5"), (["Input", "Output"], "1,2,3", "0.5")],
)
def test_capture_options_decide_which_data_is_kept(
    make_writer: Callable[..., CaptureWriter],
    root: str,
    options: list[str],
    input_data: str,
    output_data: str,
) -> None:
    writer = make_writer(capture_options=options)
    _csv(writer)
    writer.flush()
    [record] = capture_records(root)
    assert (record.input.data, record.output.data) == (input_data, output_data)
    assert (record.input.mode, record.output.mode) == ("INPUT", "OUTPUT")
    assert record.output.content_type == "text/csv; charset=utf-8"


def test_sampling_follows_the_injected_random(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    writer = make_writer(sampling_percentage=30, random=Random(42))
    sampled = [_csv(writer, row=str(i)) for i in range(1000)]
    expected = Random(42)
    assert sampled == [expected.random() * 100 < 30 for _ in range(1000)]
    assert 250 < sum(sampled) < 350
    writer.flush()
    rows = [record.input.data for record in capture_records(root)]
    assert rows == [str(i) for i, kept in enumerate(sampled) if kept]


@pytest.mark.parametrize(("percentage", "captured"), [(0, 0), (100, 50)])
def test_sampling_bounds(
    make_writer: Callable[..., CaptureWriter], root: str, percentage: int, captured: int
) -> None:
    writer = make_writer(sampling_percentage=percentage)
    assert sum(_csv(writer) for _ in range(50)) == captured
    writer.flush()
    assert len(capture_lines(root)) == captured


def test_disabled_capture_writes_and_registers_nothing(root: str) -> None:
    config = DataCaptureConfig(enable_capture=False, destination_s3_uri=root)
    with CaptureWriter(config, endpoint_name="churn") as writer:
        assert not _csv(writer)
        assert writer.flush() == 0
    assert capture_files(root) == {}
    assert registered_endpoint("churn") is None
    assert not any(t.name.startswith("biaswatch-capture") for t in threading.enumerate())


def test_enabled_capture_registers_the_endpoint(root: str) -> None:
    config = DataCaptureConfig(enable_capture=True, destination_s3_uri=root)
    with CaptureWriter(config, endpoint_name="churn", variant_name="Canary"):
        pass
    assert registered_endpoint("churn") == RegisteredEndpoint("churn", "Canary", root)


def test_registration_can_be_skipped(make_writer: Callable[..., CaptureWriter]) -> None:
    make_writer(register=False)
    assert registered_endpoint("churn") is None


def test_hour_rollover_writes_each_hour_to_its_folder(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    clock = FakeClock(T0)
    writer = make_writer(clock=clock)
    _csv(writer, row="a")  # 10:59:58.250
    clock.advance(seconds=1.5)
    _csv(writer, row="b")  # 10:59:59.750
    clock.advance(seconds=0.5)
    _csv(writer, row="c")  # 11:00:00.250
    clock.advance(minutes=30)
    _csv(writer, row="d")  # 11:30:00.250
    assert writer.flush() == 4
    files = capture_files(root)
    [hour_10] = [name for name in files if name.startswith(HOUR_10)]
    [hour_11] = [name for name in files if name.startswith(HOUR_11)]
    assert hour_10.removeprefix(HOUR_10).startswith("59-58-250-")
    assert hour_11.removeprefix(HOUR_11).startswith("00-00-250-")
    assert [parse_capture_line(x).input.data for x in files[hour_10].splitlines()] == ["a", "b"]
    assert [parse_capture_line(x).input.data for x in files[hour_11].splitlines()] == ["c", "d"]


def test_the_hour_is_the_inference_time_when_given(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    writer = make_writer()
    writer.capture(
        request_body=b"1",
        request_content_type="text/csv",
        response_body=b"0",
        response_content_type="text/csv",
        inference_time=datetime(2024, 5, 1, 13, 5, 1, 7000, tzinfo=UTC),
    )
    writer.flush()
    [name] = capture_files(root)
    assert name.startswith(f"{FOLDER}/2024/05/01/13/05-01-007-")


def test_naive_times_are_refused(make_writer: Callable[..., CaptureWriter]) -> None:
    writer = make_writer(clock=lambda: datetime(2024, 5, 1, 10))  # noqa: DTZ001
    with pytest.raises(ConfigError) as caught:
        _csv(writer)
    assert caught.value.field == "clock"
    with pytest.raises(ConfigError) as caught:
        writer.capture(
            request_body=b"1",
            request_content_type="text/csv",
            response_body=b"0",
            response_content_type="text/csv",
            inference_time=datetime(2024, 5, 1, 10),  # noqa: DTZ001
        )
    assert caught.value.field == "inference_time"


def test_each_flush_writes_new_files_and_never_rewrites_one(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    clock = FakeClock(T0)
    writer = make_writer(clock=clock)
    _csv(writer, row="a")
    writer.flush()
    first = capture_files(root)
    clock.advance(seconds=0.5)
    _csv(writer, row="b")
    writer.flush()
    assert writer.flush() == 0  # nothing buffered: no empty file
    files = capture_files(root)
    assert len(files) == 2
    assert {name: files[name] for name in first} == first
    [second] = set(files) - set(first)
    assert second.removeprefix(HOUR_10).startswith("59-58-750-")
    assert parse_capture_line(files[second]).input.data == "b"


def test_close_flushes_and_stops_capturing(
    make_writer: Callable[..., CaptureWriter], root: str, caplog: pytest.LogCaptureFixture
) -> None:
    writer = make_writer()
    for i in range(3):
        _csv(writer, row=str(i))
    assert capture_files(root) == {}
    writer.close()
    assert [record.input.data for record in capture_records(root)] == ["0", "1", "2"]
    with caplog.at_level(logging.WARNING, logger="biaswatch.capture.writer"):
        assert not _csv(writer)
        assert not _csv(writer)
    assert len([r for r in caplog.records if "closed" in r.getMessage()]) == 1
    writer.close()  # closing twice is harmless
    assert len(capture_lines(root)) == 3


def test_context_manager_closes(root: str) -> None:
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=root
    )
    with CaptureWriter(config, endpoint_name="churn", clock=FakeClock(T0)) as writer:
        _csv(writer)
    assert len(capture_lines(root)) == 1
    assert not _csv(writer)


def test_a_full_buffer_is_flushed_in_the_background(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    writer = make_writer(max_buffer_bytes=2000)
    row = "1," * 750  # one line is about 1,750 bytes
    _csv(writer, row=row)
    time.sleep(0.05)
    assert capture_files(root) == {}  # under the bound: nothing written yet
    _csv(writer, row=row)  # over it: the flusher thread writes both lines
    _wait_for(lambda: writer.buffered_records == 0)
    [data] = capture_files(root).values()
    assert len(data.splitlines()) == 2


def test_buffered_lines_are_flushed_periodically(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    writer = make_writer(flush_interval=0.02)
    _csv(writer)
    _wait_for(lambda: len(capture_lines(root)) == 1)
    _csv(writer)
    _wait_for(lambda: len(capture_lines(root)) == 2)
    assert len(capture_files(root)) == 2


def test_concurrent_captures_are_each_written_exactly_once(
    make_writer: Callable[..., CaptureWriter], root: str
) -> None:
    clock = FakeClock(T0)
    writer = make_writer(clock=clock, max_buffer_bytes=4096, flush_interval=0.005)
    threads, per_thread = 16, 200
    start = threading.Barrier(threads)

    def invoke(thread: int) -> None:
        start.wait()
        for i in range(per_thread):
            assert _csv(writer, row=f"{thread},{i}", inference_id=f"{thread}-{i}")
            if i == per_thread // 2 and thread == 0:
                clock.advance(seconds=2)  # the hour changes while the others capture

    workers = [threading.Thread(target=invoke, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    writer.close()
    records = capture_records(root)
    counts = Counter(record.inference_id for record in records)
    assert len(counts) == threads * per_thread
    assert set(counts.values()) == {1}
    files = capture_files(root)
    assert len(files) > 2  # many flushes ran while capturing
    assert {name[: len(HOUR_10)] for name in files} == {HOUR_10, HOUR_11}


def test_failed_flush_keeps_the_lines_for_the_next_one(
    make_writer: Callable[..., CaptureWriter], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where a folder should be")
    destination = str(blocker / "capture")
    writer = make_writer(destination=destination, register=False)
    _csv(writer, row="a")
    with caplog.at_level(logging.WARNING), pytest.raises(StorageError):
        writer.flush()
    assert "kept for a retry" in caplog.text
    assert writer.buffered_records == 1
    _csv(writer, row="b")
    with pytest.raises(StorageError, match="2 records kept"):
        writer.flush()
    assert writer.buffered_records == 2
    blocker.unlink()
    assert writer.flush() == 2
    assert writer.buffered_records == 0
    assert sorted(record.input.data for record in capture_records(destination)) == ["a", "b"]
    assert writer.flush() == 0


def test_a_retried_file_keeps_its_name_and_content(
    make_writer: Callable[..., CaptureWriter], tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    destination = str(blocker / "capture")
    writer = make_writer(destination=destination, register=False)
    _csv(writer, row="a")
    with pytest.raises(StorageError) as caught:
        writer.flush()
    [failed_uri] = re.findall(r"\S+\.jsonl", str(caught.value))
    blocker.unlink()
    writer.flush()
    [(name, data)] = capture_files(destination).items()
    assert failed_uri.endswith(name)
    assert parse_capture_line(data).input.data == "a"


def test_background_flush_failures_are_logged_and_retried(
    make_writer: Callable[..., CaptureWriter], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    destination = str(blocker / "capture")
    with caplog.at_level(logging.WARNING, logger="biaswatch.capture.writer"):
        writer = make_writer(destination=destination, register=False, flush_interval=0.01)
        _csv(writer)
        _wait_for(lambda: "kept for a retry" in caplog.text)
    assert writer.buffered_records == 1
    blocker.unlink()
    _wait_for(lambda: writer.buffered_records == 0)
    assert len(capture_lines(destination)) == 1


def test_memory_destination(make_writer: Callable[..., CaptureWriter]) -> None:
    root = f"memory://{uuid.uuid4().hex}/capture"
    writer = make_writer(destination=root)
    _csv(writer)
    writer.close()
    [name] = capture_files(root)
    assert name.startswith(HOUR_10)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"endpoint_name": "bad_name"}, "endpoint_name"),
        ({"variant_name": "-x"}, "variant_name"),
        ({"max_buffer_bytes": 0}, "max_buffer_bytes"),
        ({"max_buffer_bytes": 1.5}, "max_buffer_bytes"),
        ({"flush_interval": 0}, "flush_interval"),
    ],
)
def test_invalid_writer_settings(root: str, options: dict[str, object], field: str) -> None:
    config = DataCaptureConfig(enable_capture=True, destination_s3_uri=root)
    settings: dict[str, object] = {"endpoint_name": "churn", **options}
    with pytest.raises(ConfigError) as caught:
        CaptureWriter(config, **settings)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.value == options[field]
