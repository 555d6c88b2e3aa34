"""The window's table: column names that do not clash, mixed decoding paths, dates, bad lines."""

from __future__ import annotations

import uuid

import pyarrow as pa
import pytest
from tests.capture_data import WINDOW, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, TableLayout, read_endpoint_window
from biaswatch.capture.assembly import WindowData, joined_lines
from biaswatch.capture.diagnostics import MAX_SAMPLES, MalformedLog
from biaswatch.capture.endpoint import Encoding
from biaswatch.capture.json_lines import read_json_lines
from biaswatch.records import DecodingOptions
from biaswatch.storage import write_bytes

LAYOUT = TableLayout(label="y", headers=("a", "b", "y"))


@pytest.fixture
def roots() -> tuple[str, str]:
    base = f"memory://table-{uuid.uuid4().hex}"
    return f"{base}/capture", f"{base}/truth"


def _read(roots: tuple[str, str], layout: TableLayout = LAYOUT, **options: object) -> WindowData:
    return read_endpoint_window(
        roots[0],
        roots[1],
        WINDOW,
        endpoint="ep",
        options=DecodingOptions(**options),  # type: ignore[arg-type]
        layout=layout,
    )


@pytest.mark.parametrize(
    ("layout", "name"),
    [
        (TableLayout(), "predicted_label"),
        (TableLayout(label="predicted_label"), "_predicted_label"),
        (
            TableLayout(label="y", headers=("predicted_label", "_predicted_label", "y")),
            "__predicted_label",
        ),
    ],
)
def test_the_prediction_column_never_takes_a_name_in_use(layout: TableLayout, name: str) -> None:
    assert layout.predicted_column() == name


def test_a_prediction_column_renamed_around_a_header(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(1, "1,2", "0.9").to_line()])
    write_truth(roots[1], [GroundTruthRecord("1", "0")])
    layout = TableLayout(label="y", headers=("a", "predicted_label", "y"))
    data = _read(roots, layout)
    assert data.predicted_label == "_predicted_label"
    assert data.table.to_pydict() == {
        "a": [1], "predicted_label": [2], "y": [0], "_predicted_label": [1],
    }  # fmt: skip


def test_no_lines_join_to_no_bytes() -> None:
    assert joined_lines(pa.array([], pa.string())).to_pybytes() == b""


def test_a_record_of_another_width_in_a_request_of_several_is_malformed(
    roots: tuple[str, str],
) -> None:
    uri = write_capture(
        roots[0],
        [
            capture(1, "1,2\n3,4,5", "0.9\n0.1").to_line(),  # its second record has 3 features
            capture(2, "6,7\n8,9", "0.9\n0.1").to_line(),
        ],
    )
    write_truth(roots[1], [GroundTruthRecord("1", "1\n0"), GroundTruthRecord("2", "0\n1")])
    data = _read(roots)
    assert data.table.column("a").to_pylist() == [6, 8]
    assert [(s.file, s.line, s.reason) for s in data.diagnostics.malformed_samples] == [
        (uri, 1, "a record has 3 features where the window has 2")
    ]
    assert (data.diagnostics.rows_decoded, data.diagnostics.rows) == (2, 2)


def test_csv_and_json_requests_of_one_window_make_one_typed_table(
    roots: tuple[str, str],
) -> None:
    """CSV requests are joined column by column, JSON ones one by one: their parts meet typed."""
    json_request = capture(
        2,
        '{"features": ["3", "4"]}',  # features as JSON strings: the parts meet as text
        "[0]",
        input_type="application/json",
        output_type="application/json",
        encoding=Encoding.JSON,
    )
    write_capture(roots[0], [capture(1, "1,2", "1").to_line(), json_request.to_line()])
    write_truth(roots[1], [GroundTruthRecord("1", "1"), GroundTruthRecord.of("2", {"y": 0})])
    data = _read(roots, features_attribute="features", inference_attribute=0, label_attribute="y")
    assert data.table.to_pydict() == {
        "a": [1, 3], "b": [2, 4], "y": [1, 0], "predicted_label": [1, 0],
    }  # fmt: skip
    assert data.table.schema.types == [pa.int64()] * 4


def test_a_date_feature_stays_text(roots: tuple[str, str]) -> None:
    write_capture(
        roots[0],
        [capture(1, "2026-11-24,2", "0.9").to_line(), capture(2, "2026-11-25,3", "0.1").to_line()],
    )
    write_truth(roots[1], [GroundTruthRecord("1", "1"), GroundTruthRecord("2", "0")])
    data = _read(roots)
    assert data.table.column("a").to_pylist() == ["2026-11-24", "2026-11-25"]
    assert data.table.column("b").type == pa.int64()


def test_a_last_line_without_its_newline_is_read(roots: tuple[str, str]) -> None:
    lines = [capture(1, "1,2", "0.9").to_line(), capture(2, "3,4", "0.1").to_line().rstrip()]
    write_capture(roots[0], lines)
    write_truth(roots[1], [GroundTruthRecord("1", "1"), GroundTruthRecord("2", "0")])
    data = _read(roots)
    assert data.table.column("a").to_pylist() == [1, 3]
    assert data.diagnostics.malformed_records == 0


def test_non_ascii_text_is_read_by_the_fast_reader(roots: tuple[str, str]) -> None:
    write_capture(
        roots[0], [capture(1, "Zoë,2", "0.9").to_line(), capture(2, "Åsa,3", "0.1").to_line()]
    )
    write_truth(roots[1], [GroundTruthRecord("1", "1"), GroundTruthRecord("2", "0")])
    assert _read(roots).table.column("a").to_pylist() == ["Zoë", "Åsa"]


def test_a_line_table_has_as_many_rows_as_good_lines() -> None:
    content = b'{"x": "1"}\n{"x": "2"}\n'
    table = read_json_lines(
        "memory://lines.jsonl",
        content,
        schema=pa.schema([("x", pa.string())]),
        flatten=lambda parsed: {"x": parsed.column("x").combine_chunks()},
        parse_line=lambda line: (line.decode(),),
        names=("x",),
    )
    assert len(table) == 2
    assert table.columns["x"].to_pylist() == ["1", "2"]


def test_samples_stop_at_their_limit_while_the_count_goes_on(roots: tuple[str, str]) -> None:
    bad = [b"not json\n"] * (MAX_SAMPLES + 5)
    uri = write_capture(roots[0], [capture(1, "1,2", "0.9").to_line(), *bad])
    write_truth(roots[1], [GroundTruthRecord("1", "1")])
    diagnostics = _read(roots).diagnostics
    assert diagnostics.malformed_records == MAX_SAMPLES + 5
    assert [s.line for s in diagnostics.malformed_samples] == list(range(2, MAX_SAMPLES + 2))
    assert all(s.file == uri for s in diagnostics.malformed_samples)


def test_merged_logs_keep_the_first_samples() -> None:
    first, second = MalformedLog(), MalformedLog()
    for line in range(MAX_SAMPLES - 1):
        first.add("a", line, "x")
    for line in range(3):
        second.add("b", line, "y")
    first.merge(second)
    assert first.count == MAX_SAMPLES + 2
    assert [s.file for s in first.samples][-2:] == ["a", "b"]
    assert len(first.samples) == MAX_SAMPLES


def test_ground_truth_with_a_missing_id_is_malformed(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(1, "1,2", "0.9").to_line()])
    truth = f"{roots[1]}/2026/11/24/10/a.jsonl"
    write_bytes(
        truth,
        GroundTruthRecord("1", "1").to_line()
        + b'{"groundTruthData": {"data": "0", "encoding": "CSV"}, "eventMetadata": {}}\n',
    )
    data = _read(roots)
    assert data.table.num_rows == 1
    assert data.diagnostics.malformed_ground_truth == 1
    assert [(s.file, s.line, s.reason) for s in data.diagnostics.malformed_samples] == [
        (truth, 2, "eventMetadata.eventId is missing")
    ]


def test_a_window_of_multi_record_requests_only_with_an_inference_index(
    roots: tuple[str, str],
) -> None:
    """No request takes the column path: the column join has nothing to do, and does nothing."""
    write_capture(roots[0], [capture(1, "1,2\n3,4", "1\n0").to_line()])
    write_truth(roots[1], [GroundTruthRecord("1", "1\n1")])
    data = _read(roots, inference_attribute=0)
    assert data.table.to_pydict() == {
        "a": [1, 3],
        "b": [2, 4],
        "y": [1, 1],
        "predicted_label": [1, 0],
    }


def test_without_headers_features_are_named_by_position(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [capture(1, "1,2,3", "0.9").to_line()])
    write_truth(roots[1], [GroundTruthRecord("1", "0")])
    data = _read(roots, TableLayout())
    assert data.table.to_pydict() == {
        "feature_0": [1], "feature_1": [2], "feature_2": [3], "label": [0], "predicted_label": [1],
    }  # fmt: skip
