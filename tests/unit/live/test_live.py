"""Live counts and live DPPL/DI: exact against the hourly execution, across processes, restarts."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.capture_data import T, write_truth
from tests.unit.jobs.test_execution import ANALYSIS, definition, rows

from biaswatch.capture import GroundTruthRecord, LiveBias
from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.endpoint import CaptureRecord, Encoding, Payload
from biaswatch.capture.live import LiveCounts, live_file
from biaswatch.capture.writer import CaptureWriter
from biaswatch.errors import ConfigError, StorageError
from biaswatch.jobs.execution import run_execution
from biaswatch.live import live_metrics, read_live_counts
from biaswatch.storage import list_files, read_bytes, write_bytes

HOUR = T - timedelta(hours=1)
Row = tuple[int, int, int, float]

FACETS = {
    "sex = 0": [{"name_or_index": "sex", "value_or_threshold": [0]}],
    "each sex": [{"name_or_index": "sex"}],
    "x > 25 (continuous)": [{"name_or_index": "x", "value_or_threshold": [25]}],
    "two facets, by index": [
        {"name_or_index": 0, "value_or_threshold": [1]},
        {"name_or_index": "x", "value_or_threshold": [40]},
    ],
}


def capture_config(base: str) -> DataCaptureConfig:
    return DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=f"{base}/capture"
    )


class Clock:
    """A writer's clock, set by the test."""

    def __init__(self) -> None:
        self.now = HOUR

    def __call__(self) -> datetime:
        return self.now


def serve(base: str, data: list[Row], bias: LiveBias, *, start: int = 0, flushes: int = 1) -> None:
    """Capture ``data`` through one writer (one process), record ``start + i`` at minute i % 60."""
    clock = Clock()
    writer = CaptureWriter(
        capture_config(base), endpoint_name="ep", clock=clock, register=False, live=bias,
        flush_interval=3600,
    )  # fmt: skip
    with writer:
        for i, (sex, x, _, score) in enumerate(data, start=start):
            clock.now = HOUR + timedelta(minutes=i % 60, seconds=i % 50)
            writer.capture(
                request_body=f"{sex},{x}".encode(), request_content_type="text/csv",
                response_body=str(score).encode(), response_content_type="text/csv",
                inference_id=str(i),
            )  # fmt: skip
            if flushes > 1 and i % (len(data) // flushes + 1) == 0:
                writer.flush()


def labels(base: str, data: list[Row]) -> None:
    write_truth(
        f"{base}/truth", [GroundTruthRecord(str(i), str(y)) for i, (_, _, y, _) in enumerate(data)]
    )


def hourly(base: str, config: dict[str, Any]) -> dict[tuple[str, str, str], float | None]:
    outcome = run_execution(definition(base, analysis_config=config), T)
    assert outcome.analysis is not None, outcome.failure_reason
    found = {}
    for facet, entries in outcome.analysis["post_training_bias_metrics"]["facets"].items():
        for entry in entries:
            for metric in entry["metrics"]:
                if metric["name"] in ("DPPL", "DI"):
                    found[(facet, entry["value_or_threshold"], metric["name"])] = metric["value"]
    return found


def live(base: str, bias: LiveBias, window: int = 60) -> dict[tuple[str, str, str], float | None]:
    metrics = live_metrics(f"{base}/capture/ep/AllTraffic", bias, now=T, windows=[window])
    return {(m.facet, m.facet_value, m.metric): m.value for m in metrics if m.metric != "share"}


@pytest.fixture
def base() -> str:
    return f"memory://live-{uuid.uuid4().hex}"


@pytest.mark.parametrize("facets", list(FACETS.values()), ids=list(FACETS))
def test_an_hour_of_live_counts_gives_the_hourly_execution_s_dppl_and_di(
    base: str, facets: list[dict[str, Any]]
) -> None:
    config = ANALYSIS | {"facet": facets}
    data = rows(500, biased=True, seed=4)
    bias = LiveBias.create(config)
    serve(base, data, bias, flushes=3)
    labels(base, data)
    expected = hourly(base, config)
    assert expected
    assert live(base, bias) == expected


def assert_two_writers_give_the_hour(base: str, data: list[Row]) -> None:
    """Two writers' documents hold every record once, and give the hourly execution's values."""
    bias = LiveBias.create(ANALYSIS)
    counts = read_live_counts(f"{base}/capture/ep/AllTraffic", bias, HOUR, T - timedelta(seconds=1))
    assert counts.documents == 2
    assert sum(c for minute in counts.minutes.values() for c in minute.values()) == len(data)
    labels(base, data)
    assert live(base, bias) == hourly(base, ANALYSIS)


def test_several_processes_add_their_counts(tmp_path: Path) -> None:
    """Two real processes (as two server workers), each its own writer and file."""
    base = str(tmp_path)
    data = rows(400, biased=True, seed=6)
    halves = [data[:200], data[200:]]
    script = (
        "import json, sys\n"
        "from tests.unit.live.test_live import serve\n"
        "from biaswatch.capture import LiveBias\n"
        "base, start, data = json.loads(sys.argv[1])\n"
        f"serve(base, [tuple(r) for r in data], LiveBias.create({ANALYSIS!r}), start=start)\n"
    )
    for start, half in ((0, halves[0]), (200, halves[1])):
        subprocess.run(
            [sys.executable, "-c", script, json.dumps([base, start, half])],
            check=True, cwd=Path(__file__).parents[3],
        )  # fmt: skip
    assert_two_writers_give_the_hour(base, data)


def test_a_restarted_writer_adds_without_counting_anything_twice(base: str) -> None:
    data = rows(300, biased=False, seed=2)
    bias = LiveBias.create(ANALYSIS)
    serve(base, data[:100], bias, flushes=4)  # flushed four times, then closed: one file
    serve(base, data[100:], bias, start=100, flushes=2)  # the restarted process: a new file
    assert_two_writers_give_the_hour(base, data)


def test_windows_count_the_minutes_that_end_before_now(base: str) -> None:
    data = rows(600, biased=True, seed=8)
    bias = LiveBias.create(ANALYSIS)
    serve(base, data, bias)
    folder = f"{base}/capture/ep/AllTraffic"
    metrics = live_metrics(folder, bias, now=T, windows=[5, 15, 60])
    records = {m.window: m.records for m in metrics}
    assert records == {5: 50, 15: 150, 60: 600}  # ten records a minute
    half_minute = live_metrics(folder, bias, now=T - timedelta(minutes=5, seconds=30), windows=[5])
    assert {m.records for m in half_minute} == {50}  # minutes 54 to 58, the current one too
    shares = {m.window: m.value for m in metrics if m.metric == "share"}
    assert all(share is not None and 0 < share < 1 for share in shares.values())


def test_a_record_that_cannot_be_read_is_skipped_and_counted(base: str) -> None:
    bias = LiveBias.create(ANALYSIS)
    clock = Clock()
    with CaptureWriter(
        capture_config(base), endpoint_name="ep", clock=clock, register=False, live=bias
    ) as writer:
        for body, output in (
            (b"1,20", b"0.9"),
            (b"0,30", b"high"),
            (b"1", b"0.2"),
            (b"0,5", b"0.1"),
        ):
            writer.capture(
                request_body=body, request_content_type="text/csv",
                response_body=output, response_content_type="text/csv",
            )  # fmt: skip
    counts = read_live_counts(f"{base}/capture/ep/AllTraffic", bias, HOUR, HOUR)
    assert counts.skipped == 2
    assert dict(counts.between(HOUR, T)) == {("1", 1): 1, ("0", 0): 1}


def test_memory_is_bounded_by_the_facet_values_not_by_traffic(base: str) -> None:
    bias = LiveBias.create(ANALYSIS)
    data = [(i % 2, i % 7, 0, (i % 10) / 10) for i in range(20_000)]
    clock = Clock()
    with CaptureWriter(
        capture_config(base), endpoint_name="ep", clock=clock, register=False, live=bias
    ) as writer:
        for sex, x, _, score in data:
            writer.capture(
                request_body=f"{sex},{x}".encode(), request_content_type="text/csv",
                response_body=str(score).encode(), response_content_type="text/csv",
            )  # fmt: skip
    [uri] = list_files(f"{base}/capture/ep/AllTraffic/live/2026/11/24/09")
    document = orjson.loads(read_bytes(uri))
    [minute] = document["minutes"].values()
    assert (
        sorted(count for _, count in minute) == [4_000, 6_000, 4_000, 6_000][::-1]
        or len(minute) == 4
    )
    assert sum(count for _, count in minute) == 20_000
    assert len(read_bytes(uri)) < 1_000


def test_a_document_that_cannot_be_read_is_left_out(base: str) -> None:
    bias = LiveBias.create(ANALYSIS)
    serve(base, rows(120, biased=False), bias)
    folder = f"{base}/capture/ep/AllTraffic"
    write_bytes(live_file(folder, HOUR, "broken"), b"{not json")
    write_bytes(
        live_file(folder, HOUR, "other"),
        orjson.dumps({"format": "biaswatch-live/1", "columns": ["x"], "minutes": {}, "skipped": 0}),
    )
    counts = read_live_counts(folder, bias, HOUR, HOUR)
    assert counts.documents == 1
    assert sum(c for minute in counts.minutes.values() for c in minute.values()) == 120


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"facet": [{"name_or_index": "age"}]}, "facet"),
        ({"facet": [{"name_or_index": 7}]}, "facet"),
        ({"facet": [{"name_or_index": 2}]}, "facet"),  # the label's header
        ({"group_variable": "region"}, "group_variable"),
        ({"label_values_or_threshold": []}, "label_values_or_threshold"),
    ],
)
def test_a_bad_live_config_fails_at_creation(change: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LiveBias.create(ANALYSIS | change)
    assert field in str(caught.value)


def test_a_bad_attribute_fails_at_creation() -> None:
    with pytest.raises(ConfigError, match="probability_attribute"):
        LiveBias.create(ANALYSIS, probability_attribute="[*")


def test_a_late_record_of_a_forgotten_hour_adds_a_document_and_loses_nothing(base: str) -> None:
    bias = LiveBias.create(ANALYSIS)
    clock = Clock()
    folder = f"{base}/capture/ep/AllTraffic"
    with CaptureWriter(
        capture_config(base), endpoint_name="ep", clock=clock, register=False, live=bias
    ) as writer:

        def send(sex: int, score: float, at: datetime | None = None) -> None:
            writer.capture(
                request_body=f"{sex},1".encode(), request_content_type="text/csv",
                response_body=str(score).encode(), response_content_type="text/csv",
                inference_time=at,
            )  # fmt: skip

        send(1, 0.9)
        send(0, 0.1)
        writer.flush()
        clock.now = HOUR + timedelta(hours=3)  # 09:00 is written and forgotten
        send(1, 0.2)
        writer.flush()
        send(0, 0.8, at=HOUR + timedelta(minutes=5))  # late: 09:05
    assert len(list_files(f"{folder}/live/2026/11/24/09")) == 2  # the first file is kept
    counts = read_live_counts(folder, bias, HOUR, HOUR)
    assert dict(counts.between(HOUR, T)) == {("1", 1): 1, ("0", 0): 1, ("0", 1): 1}


def test_a_live_document_that_could_not_be_written_is_written_at_the_next_flush(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = [True]

    def flaky(uri: str, data: bytes) -> None:
        if "/live/" in uri and failing[0]:
            raise StorageError(f"cannot write {uri}: the store is down")
        write_bytes(uri, data)

    monkeypatch.setattr("biaswatch.capture.writer.write_bytes", flaky)
    bias = LiveBias.create(ANALYSIS)
    folder = f"{base}/capture/ep/AllTraffic"
    with CaptureWriter(
        capture_config(base), endpoint_name="ep", clock=Clock(), register=False, live=bias
    ) as writer:
        writer.capture(
            request_body=b"1,2", request_content_type="text/csv",
            response_body=b"0.9", response_content_type="text/csv",
        )  # fmt: skip
        writer.flush()
        assert read_live_counts(folder, bias, HOUR, HOUR).documents == 0
        failing[0] = False
        writer.flush()  # nothing new captured: the unwritten hour is given again
    assert dict(read_live_counts(folder, bias, HOUR, HOUR).between(HOUR, T)) == {("1", 1): 1}


def capture_record(moment: datetime) -> CaptureRecord:
    return CaptureRecord(
        input=Payload("text/csv", "INPUT", "1,20", Encoding.CSV),
        output=Payload("text/csv", "OUTPUT", "0.9", Encoding.CSV),
        event_id="e", inference_time=moment, inference_id="1",
    )  # fmt: skip


def capture_all(base: str, bias: LiveBias, exchanges: list[tuple[bytes, str, bytes, str]]) -> None:
    with CaptureWriter(
        capture_config(base), endpoint_name="ep", clock=Clock(), register=False, live=bias
    ) as writer:
        for body, body_type, output, output_type in exchanges:
            writer.capture(
                request_body=body, request_content_type=body_type,
                response_body=output, response_content_type=output_type,
            )  # fmt: skip


def test_without_headers_the_features_are_named_by_position_and_missing_groups_skip(
    base: str,
) -> None:
    config = {
        "label": "label", "label_values_or_threshold": [1],
        "facet": [{"name_or_index": 0}], "group_variable": "feature_2",
    }  # fmt: skip
    bias = LiveBias.create(config)
    assert (bias.columns, bias.positions, bias.group, bias.width) == (("feature_0",), (0,), 2, None)
    capture_all(base, bias, [
        (b"1,5,a", "text/csv", b"0.9", "text/csv"),
        (b"0,5,NA", "text/csv", b"0.9", "text/csv"),  # no group value: not analysed
        (b"0,5", "text/csv", b"0.1", "text/csv"),  # no group column: malformed
    ])  # fmt: skip
    counts = read_live_counts(f"{base}/capture/ep/AllTraffic", bias, HOUR, HOUR)
    assert dict(counts.between(HOUR, T)) == {("1", 1): 1}
    assert counts.skipped == 1


def test_json_values_keep_their_types_and_an_object_is_no_facet_value(base: str) -> None:
    bias = LiveBias.create(
        ANALYSIS | {"dataset_type": "application/json", "features": "features",
                    "group_variable": "x"},
        features_attribute="features", probability_attribute="score",
    )  # fmt: skip
    json = "application/json"
    capture_all(base, bias, [
        (b'{"features": [1, 2.5]}', json, b'{"score": 0.9}', json),
        (b'{"features": [0, null]}', json, b'{"score": 0.9}', json),  # no group value
        (b'{"features": [{"a": 1}, 20]}', json, b'{"score": 0.9}', json),  # skipped
    ])  # fmt: skip
    counts = read_live_counts(f"{base}/capture/ep/AllTraffic", bias, HOUR, HOUR)
    assert dict(counts.between(HOUR, T)) == {(1, 1): 1}
    assert counts.skipped == 1


def test_an_unwritten_document_of_an_hour_opened_again_is_not_given_twice() -> None:
    counts = LiveCounts(LiveBias.create(ANALYSIS), "w")
    record = capture_record(HOUR)
    counts.add(record)
    [first] = counts.documents(now=HOUR)
    counts.documents(now=HOUR + timedelta(hours=3))  # written, and forgotten
    counts.add(capture_record(HOUR))  # the hour opened again: another document
    [second] = counts.documents(now=HOUR + timedelta(hours=3))
    assert (first.name, second.name) == ("w", "w-1")
    counts.mark_unwritten(first)  # a retry of the earlier document is not this one's
    counts.mark_unwritten(second)  # as the writer does when a write fails
    [again] = counts.documents(now=HOUR + timedelta(hours=3))
    assert again == second
