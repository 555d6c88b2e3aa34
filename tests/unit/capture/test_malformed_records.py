"""Every way a capture, ground-truth or batch record can be unusable gets a reason that says so."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from tests.capture_data import WINDOW, T, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, TableLayout, Window, read_endpoint_window
from biaswatch.capture.batch import csv_record, json_record, manifest_files
from biaswatch.capture.endpoint import (
    Encoding,
    Payload,
    parse_capture_line,
    parse_inference_time,
)
from biaswatch.capture.endpoint_window import decode_invocation
from biaswatch.capture.ground_truth import parse_ground_truth_line
from biaswatch.records import DecodingOptions, Malformed, PayloadDecoder
from biaswatch.storage import write_bytes

LAYOUT = TableLayout(label="y", headers=("a", "b", "y"))


def _line(**changes: Any) -> bytes:
    """A capture line with parts of its document replaced (None deletes)."""
    document = orjson.loads(capture(1, "1,2", "0.9").to_line())
    for path, value in changes.items():
        *parents, name = path.split("__")
        node = document
        for parent in parents:
            node = node[parent]
        if value is None:
            del node[name]
        else:
            node[name] = value
    return orjson.dumps(document)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1, 2]", "a capture record must be a JSON object"),
        (_line(captureData=None), "captureData is missing"),
        (_line(eventMetadata=None), "eventMetadata is missing"),
        (_line(eventMetadata__inferenceTime=5), "eventMetadata.inferenceTime is missing"),
        (
            _line(eventMetadata__inferenceTime="yesterday"),
            "inferenceTime 'yesterday' is not an ISO-8601 time",
        ),
        (_line(captureData__endpointInput="1,2"), "captureData.endpointInput is missing"),
        (
            _line(captureData__endpointOutput__data=0.9),
            "captureData.endpointOutput.data is missing or not a string",
        ),
        (
            _line(captureData__endpointOutput__encoding="UTF8"),
            "captureData.endpointOutput.encoding 'UTF8' is not CSV, JSON or BASE64",
        ),
    ],
)
def test_a_malformed_capture_line_says_why(line: bytes, reason: str) -> None:
    with pytest.raises(Malformed) as caught:
        parse_capture_line(line)
    assert caught.value.reason == reason


def test_an_inference_time_without_a_zone_is_utc() -> None:
    assert parse_inference_time("2026-11-24T09:30:00") == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert parse_inference_time("2026-11-24T10:30:00+01:00") == datetime(
        2026, 11, 24, 9, 30, tzinfo=UTC
    )


def test_the_join_key_is_the_event_id_without_an_inference_id() -> None:
    assert capture(4, "1,2", "0.9", inference_id=False).join_key == "event-4"
    assert capture(4, "1,2", "0.9").join_key == "4"


@pytest.mark.parametrize(
    "data", ["not base64!", base64.b64encode(b"\xff\xfe").decode()], ids=["alphabet", "utf-8"]
)
def test_base64_data_must_be_base64_of_utf8_text(data: str) -> None:
    payload = Payload("text/csv", "INPUT", data, Encoding.BASE64)
    with pytest.raises(Malformed, match="input data is not valid BASE64 UTF-8 text"):
        payload.text()


def test_an_input_that_holds_no_record_is_malformed() -> None:
    request = Payload("application/jsonlines", "INPUT", " \n \n", Encoding.JSON)
    response = Payload("application/jsonlines", "OUTPUT", "", Encoding.JSON)
    with pytest.raises(Malformed, match="the input holds no record"):
        decode_invocation(request, response, PayloadDecoder(DecodingOptions()))


def test_a_payload_of_unknown_format_is_malformed() -> None:
    png = base64.b64encode(b"PNG").decode()
    request = Payload("image/png", "INPUT", png, Encoding.BASE64)
    response = Payload("text/csv", "OUTPUT", "1", Encoding.CSV)
    with pytest.raises(Malformed, match="cannot tell the format of the input: content type image"):
        decode_invocation(request, response, PayloadDecoder(DecodingOptions()))


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'"1"', "a ground-truth record must be a JSON object"),
        (
            b'{"groundTruthData": {"data": "1"}, "eventMetadata": {}}',
            "eventMetadata.eventId is missing",
        ),
        (
            b'{"groundTruthData": {"data": "1", "encoding": "XML"},'
            b' "eventMetadata": {"eventId": "7"}}',
            "groundTruthData.encoding 'XML' is not CSV or JSON",
        ),
    ],
)
def test_a_malformed_ground_truth_line_says_why(line: bytes, reason: str) -> None:
    with pytest.raises(Malformed) as caught:
        parse_ground_truth_line(line)
    assert caught.value.reason == reason


def test_ground_truth_data_may_be_a_json_number() -> None:
    record = parse_ground_truth_line(
        b'{"groundTruthData": {"data": 1}, "eventMetadata": {"eventId": "7"}}'
    )
    assert (record.event_id, record.data, record.encoding) == ("7", "1", "CSV")


def test_ground_truth_records_of_python_values() -> None:
    assert GroundTruthRecord.of("1", True) == GroundTruthRecord("1", "1", "CSV")
    assert GroundTruthRecord.of("2", 0.5) == GroundTruthRecord("2", "0.5", "CSV")
    assert GroundTruthRecord.of("3", {"label": 1}) == GroundTruthRecord("3", '{"label":1}', "JSON")


@pytest.mark.parametrize(
    "content",
    [b"{}", b"[]", b'["a.out"]', b'[{"prefix": 3}, "a.out"]', b'[{"no": "prefix"}]'],
)
def test_a_manifest_must_be_a_list_that_starts_with_its_prefix(content: bytes) -> None:
    uri = f"memory://manifest-{uuid.uuid4().hex}/m.json"
    write_bytes(uri, content)
    with pytest.raises(Malformed, match="a manifest is a JSON list"):
        manifest_files(uri)


def test_a_manifest_names_its_files_under_its_prefix() -> None:
    uri = f"memory://manifest-{uuid.uuid4().hex}/m.json"
    write_bytes(uri, b'[{"prefix": "s3://out/job/"}, "a.out", 7, "b.out"]')
    assert manifest_files(uri) == ["s3://out/job/a.out", "s3://out/job/b.out"]


def test_a_csv_output_record_needs_an_output_after_its_features() -> None:
    decoder = PayloadDecoder(DecodingOptions())
    with pytest.raises(Malformed, match="has 2 values for 2 features and an output"):
        csv_record("1,2,id-1,2026-11-24T09:00:00Z", decoder, 2)
    assert csv_record("1,2,0.9,id-1,2026-11-24T09:00:00Z", decoder, 2) == ("id-1", ["1", "2"], [1])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "invalid JSON"),
        ('{"features": [1, 2]}', "SageMakerInferenceId is missing"),
        ('["SageMakerInferenceId"]', "SageMakerInferenceId is missing"),
        (
            '{"SageMakerInferenceId": "a", "features": [[1, 2], [3, 4]], "SageMakerOutput": 0.9}',
            "a batch output record holds 2 feature rows",
        ),
        (
            '{"SageMakerInferenceId": "a", "features": [1, 2],'
            ' "SageMakerOutput": {"score": [0.9, 0.1]}}',
            "a batch output record holds 2 predictions",
        ),
    ],
)
def test_a_malformed_json_output_record_says_why(line: str, reason: str) -> None:
    decoder = PayloadDecoder(
        DecodingOptions(features_attribute="features", probability_attribute="score")
    )
    with pytest.raises(Malformed, match=reason):
        json_record(line, decoder)


def test_a_json_output_attribute_may_select_from_the_whole_record() -> None:
    decoder = PayloadDecoder(
        DecodingOptions(features_attribute="features", probability_attribute="score")
    )
    line = '{"SageMakerInferenceId": "a", "features": [1, 2], "SageMakerOutput": 3, "score": 0.9}'
    assert json_record(line, decoder) == ("a", [1, 2], [1])


@pytest.fixture
def roots() -> tuple[str, str]:
    base = f"memory://malformed-{uuid.uuid4().hex}"
    return f"{base}/capture", f"{base}/truth"


def test_an_unreadable_inference_time_is_malformed_when_the_window_is_cut(
    roots: tuple[str, str],
) -> None:
    uri = write_capture(
        roots[0],
        [capture(1, "1,2", "0.9").to_line(), _line(eventMetadata__inferenceTime="soon") + b"\n"],
    )
    write_truth(roots[1], [GroundTruthRecord("1", "1")])
    cut = Window.from_offsets(T, "-PT1H", "-PT0H", cut_at_inference_time=True)
    data = read_endpoint_window(roots[0], roots[1], cut, endpoint="ep", layout=LAYOUT)
    assert data.table.column("a").to_pylist() == [1]
    assert [(s.file, s.line, s.reason) for s in data.diagnostics.malformed_samples] == [
        (uri, 2, "eventMetadata.inferenceTime is not an ISO-8601 time")
    ]


def test_required_fields_missing_from_well_formed_lines_are_counted(
    roots: tuple[str, str],
) -> None:
    lines = [
        capture(1, "1,2", "0.9").to_line(),
        _line(eventMetadata__inferenceTime=None) + b"\n",
        _line(captureData__endpointOutput__encoding="UTF8") + b"\n",
        capture(2, "3,4", "0.2").to_line(),
    ]
    uri = write_capture(roots[0], lines)
    write_truth(roots[1], [GroundTruthRecord("1", "1"), GroundTruthRecord("2", "0")])
    data = read_endpoint_window(roots[0], roots[1], WINDOW, endpoint="ep", layout=LAYOUT)
    assert data.table.column("a").to_pylist() == [1, 3]
    assert [(s.file, s.line, s.reason) for s in data.diagnostics.malformed_samples] == [
        (uri, 2, "eventMetadata.inferenceTime is missing"),
        (uri, 3, "captureData.endpointOutput.encoding is not CSV, JSON or BASE64"),
    ]
    assert (data.diagnostics.records_read, data.diagnostics.malformed_records) == (4, 2)


def test_csv_outputs_that_the_columns_cannot_read_are_decoded_one_by_one(
    roots: tuple[str, str],
) -> None:
    lines = [
        capture(1, "1,2", "0.9").to_line(),
        capture(2, "3,4", "abc").to_line(),  # not a number
        capture(3, "5,6", "0.1,0.9").to_line(),  # two values, no attribute to choose
        capture(4, "7,8", "0.2").to_line(),
    ]
    write_capture(roots[0], lines)
    write_truth(roots[1], [GroundTruthRecord(str(k), "1") for k in range(1, 5)])
    data = read_endpoint_window(roots[0], roots[1], WINDOW, endpoint="ep", layout=LAYOUT)
    assert sorted(data.table.column("a").to_pylist()) == [1, 7]
    assert sorted((s.line, s.reason) for s in data.diagnostics.malformed_samples) == [
        (2, "score 'abc' is not a number"),
        (3, "a CSV output with several values needs inference_attribute or probability_attribute"),
    ]


def test_a_probability_index_beyond_a_csv_output_is_malformed(roots: tuple[str, str]) -> None:
    lines = [capture(1, "1,2", "yes,0.9").to_line(), capture(2, "3,4", "no").to_line()]
    write_capture(roots[0], lines)
    write_truth(roots[1], [GroundTruthRecord("1", "1"), GroundTruthRecord("2", "0")])
    data = read_endpoint_window(
        roots[0],
        roots[1],
        WINDOW,
        endpoint="ep",
        options=DecodingOptions(probability_attribute=1),
        layout=LAYOUT,
    )
    assert data.table.column("predicted_label").to_pylist() == [1]
    assert [s.reason for s in data.diagnostics.malformed_samples] == [
        "probability_attribute 1 selects nothing"
    ]
