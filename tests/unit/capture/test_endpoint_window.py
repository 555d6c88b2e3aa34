"""Reading an endpoint window: payload shapes, the join, and bad input counted, never fatal."""

from __future__ import annotations

import uuid
from datetime import timedelta

import orjson
import pyarrow as pa
import pytest
from tests.capture_data import WINDOW, T, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, TableLayout, Window, read_endpoint_window
from biaswatch.capture.endpoint import Encoding
from biaswatch.records import DecodingOptions


@pytest.fixture
def roots() -> tuple[str, str]:
    base = f"memory://{uuid.uuid4().hex}"
    return f"{base}/capture", f"{base}/truth"


def _read(roots: tuple[str, str], window: Window = WINDOW, **options: object) -> object:
    layout = options.pop("layout", TableLayout(label="y", headers=("a", "b", "y")))
    return read_endpoint_window(
        roots[0],
        roots[1],
        window,
        endpoint="ep",
        options=DecodingOptions(**options),  # type: ignore[arg-type]
        layout=layout,  # type: ignore[arg-type]
    )


def test_csv_records_join_their_labels(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(i, f"{i},{i * 2}", f"0.{i + 3}").to_line() for i in range(5)])
    write_truth(roots[1], [GroundTruthRecord(str(i), str(i % 2)) for i in range(5)])
    data = _read(roots)
    assert data.table.to_pydict() == {  # type: ignore[attr-defined]
        "a": [0, 1, 2, 3, 4],
        "b": [0, 2, 4, 6, 8],
        "y": [0, 1, 0, 1, 0],
        "predicted_label": [0, 0, 0, 1, 1],  # score > 0.5; 0.5 is not
    }
    assert data.table.schema.types == [pa.int64()] * 4  # type: ignore[attr-defined]
    diagnostics = data.diagnostics  # type: ignore[attr-defined]
    assert (diagnostics.records_read, diagnostics.rows, diagnostics.malformed_records) == (5, 5, 0)


def test_probability_and_inference_attributes_of_csv_outputs(roots: tuple[str, str]) -> None:
    write_capture(
        roots[0], [capture(1, "1,2", "yes,0.9").to_line(), capture(2, "3,4", "no,0.2").to_line()]
    )
    write_truth(roots[1], [GroundTruthRecord("1", "yes"), GroundTruthRecord("2", "no")])
    by_label = _read(roots, inference_attribute="0")
    assert by_label.table.column("predicted_label").to_pylist() == ["yes", "no"]  # type: ignore[attr-defined]
    by_score = _read(roots, probability_attribute=1, probability_threshold=0.8)
    assert by_score.table.column("predicted_label").to_pylist() == [1, 0]  # type: ignore[attr-defined]


def test_multi_record_csv_request(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(1, "1,2\n3,4\n5,6", "0.9\n0.1\n0.7").to_line()])
    write_truth(roots[1], [GroundTruthRecord("1", "1\n0\n0")])
    data = _read(roots)
    assert data.table.to_pydict() == {  # type: ignore[attr-defined]
        "a": [1, 3, 5], "b": [2, 4, 6], "y": [1, 0, 0], "predicted_label": [1, 0, 1],
    }  # fmt: skip


def test_json_request_with_many_records(roots: tuple[str, str]) -> None:
    request = {"instances": [{"features": [1, 2]}, {"features": [3, 4]}]}
    response = {
        "predictions": [{"predicted_label": 1, "score": 0.9}, {"predicted_label": 0, "score": 0.2}]
    }
    write_capture(
        roots[0],
        [
            capture(
                7, orjson.dumps(request).decode(), orjson.dumps(response).decode(),
                input_type="application/json", output_type="application/json",
                encoding=Encoding.JSON,
            ).to_line()
        ],
    )  # fmt: skip
    write_truth(roots[1], [GroundTruthRecord.of("7", {"instances": [{"label": 1}, {"label": 1}]})])
    data = _read(
        roots,
        features_attribute="instances[*].features",
        inference_attribute="predictions[*].predicted_label",
        label_attribute="instances[*].label",
    )
    assert data.table.to_pydict() == {  # type: ignore[attr-defined]
        "a": [1, 3], "b": [2, 4], "y": [1, 1], "predicted_label": [1, 0],
    }  # fmt: skip


def test_json_lines_like_the_service_examples(roots: tuple[str, str]) -> None:
    # The notebooks' Linear Learner endpoint: JSON Lines in, predicted_label/score out.
    request = '{"features":[41,2]}\n{"features":[33,2]}'
    response = (
        '{"predicted_label":1,"score":0.989977359771728}\n{"predicted_label":0,"score":0.2}\n'
    )
    write_capture(
        roots[0],
        [
            capture(
                3, request, response, input_type="application/jsonlines",
                output_type="application/jsonlines", encoding=Encoding.JSON,
            ).to_line()
        ],
    )  # fmt: skip
    write_truth(roots[1], [GroundTruthRecord.of("3", {"label": [1, 0]})])
    data = _read(
        roots, features_attribute="features", probability_attribute="score",
        probability_threshold=0.8, label_attribute="label",
    )  # fmt: skip
    assert data.table.to_pydict() == {  # type: ignore[attr-defined]
        "a": [41, 33], "b": [2, 2], "y": [1, 0], "predicted_label": [1, 0],
    }  # fmt: skip


def test_base64_payloads(roots: tuple[str, str]) -> None:
    write_capture(
        roots[0],
        [capture(1, "5,6", "0.75", input_type="text/csv", encoding=Encoding.BASE64).to_line()],
    )
    write_truth(roots[1], [GroundTruthRecord("1", "1")])
    assert _read(roots).table.to_pydict() == {  # type: ignore[attr-defined]
        "a": [5], "b": [6], "y": [1], "predicted_label": [1],
    }  # fmt: skip


def test_event_id_is_the_key_without_an_inference_id(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(1, "1,2", "0.9", inference_id=False).to_line()])
    write_truth(roots[1], [GroundTruthRecord("event-1", "1")])
    assert _read(roots).diagnostics.rows == 1  # type: ignore[attr-defined]


def test_bad_input_is_counted_and_sampled_and_nothing_valid_is_lost(roots: tuple[str, str]) -> None:
    good = [capture(i, f"{i},{i}", "0.9").to_line() for i in range(4)]
    wrong_encoding = (
        capture(10, "1,1", "0.9").to_line().replace(b'"encoding":"CSV"', b'"encoding":"UTF8"', 1)
    )
    wrong_content = capture(
        11, "1,1", "0.9", input_type="application/json", encoding=Encoding.JSON
    ).to_line()
    wrong_width = capture(12, "1,1,1", "0.9").to_line()
    no_event = orjson.loads(capture(13, "1,1", "0.9").to_line())
    del no_event["eventMetadata"]["eventId"]
    lines = [
        good[0],
        b'{"captureData": {"endpointInput": \n',  # invalid JSON
        good[1],
        wrong_encoding,
        good[2],
        wrong_content,
        wrong_width,
        orjson.dumps(no_event) + b"\n",
        good[3],
        capture(14, "2,2", "0.9").to_line()[:40],  # truncated last line
    ]
    uri = write_capture(roots[0], lines)
    truth = [GroundTruthRecord(str(i), "1") for i in (*range(4), 10, 11, 12, 13)]
    write_truth(roots[1], [*truth, GroundTruthRecord("999", "0")])
    data = _read(roots)
    diagnostics = data.diagnostics  # type: ignore[attr-defined]
    assert data.table.column("a").to_pylist() == [0, 1, 2, 3]  # type: ignore[attr-defined]
    assert diagnostics.records_read == 10
    assert diagnostics.malformed_records == 6
    reasons = {(s.file, s.line): s.reason for s in diagnostics.malformed_samples}
    assert set(reasons) == {(uri, n) for n in (2, 4, 6, 7, 8, 10)}
    assert "invalid JSON" in reasons[(uri, 2)]
    assert "encoding" in reasons[(uri, 4)]
    assert "not valid JSON" in reasons[(uri, 6)]
    assert "3 features where the window has 2" in reasons[(uri, 7)]
    assert reasons[(uri, 8)] == "eventMetadata.eventId is missing"
    assert reasons[(uri, 10)].startswith("truncated last line")
    assert diagnostics.ground_truth_without_capture == 5  # 999, and 10-13 whose captures are bad


def test_rows_without_ground_truth_are_dropped_and_counted(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(i, "1,2", "0.9").to_line() for i in range(3)])
    write_truth(roots[1], [GroundTruthRecord("0", "1")])
    diagnostics = _read(roots).diagnostics  # type: ignore[attr-defined]
    assert (diagnostics.rows, diagnostics.rows_without_ground_truth) == (1, 2)


def test_latest_ground_truth_wins(roots: tuple[str, str]) -> None:
    write_capture(
        roots[0], [capture(1, "1,2", "0.9").to_line(), capture(1, "3,4", "0.1").to_line()]
    )
    write_truth(roots[1], [GroundTruthRecord("1", "0")], hour=T - timedelta(hours=1))
    write_truth(roots[1], [GroundTruthRecord("1", "1")], hour=T)
    data = _read(roots)
    # Repeated inference ids in the capture are all kept; the label is the latest upload.
    assert data.table.column("y").to_pylist() == [1, 1]  # type: ignore[attr-defined]
    assert data.diagnostics.duplicate_ground_truth == 1  # type: ignore[attr-defined]


def test_window_reads_whole_hour_folders_both_ends(roots: tuple[str, str]) -> None:
    for hours_back, key in ((2, 1), (1, 2), (0, 3), (-1, 4)):
        write_capture(
            roots[0],
            [capture(key, f"{key},0", "0.9").to_line()],
            hour=T - timedelta(hours=hours_back),
        )
    write_truth(roots[1], [GroundTruthRecord(str(k), "1") for k in range(1, 5)])
    assert _read(roots).table.column("a").to_pylist() == [2, 3]  # type: ignore[attr-defined]


def test_cutting_the_window_at_inference_time(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(1, "1,0", "0.9", minute=30).to_line()])
    write_capture(roots[0], [capture(2, "2,0", "0.9", minute=70).to_line()], hour=T)
    write_truth(roots[1], [GroundTruthRecord(str(k), "1") for k in (1, 2)])
    cut = Window.from_offsets(T, "-PT1H", "-PT0H", cut_at_inference_time=True)
    data = _read(roots, window=cut)
    assert data.table.column("a").to_pylist() == [1]  # type: ignore[attr-defined]
    assert data.diagnostics.rows_outside_window == 1  # type: ignore[attr-defined]


def test_excluded_features_and_headers(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(1, "1,2,3", "0.9").to_line()])
    write_truth(roots[1], [GroundTruthRecord("1", "1")])
    layout = TableLayout(label="y", headers=("y", "id", "a", "b"), exclude_features="id")
    assert _read(roots, layout=layout).table.column_names == ["a", "b", "y", "predicted_label"]  # type: ignore[attr-defined]


def test_an_empty_window(roots: tuple[str, str]) -> None:
    data = _read(roots)
    assert data.table.num_rows == 0  # type: ignore[attr-defined]
    assert data.diagnostics.records_read == 0  # type: ignore[attr-defined]
