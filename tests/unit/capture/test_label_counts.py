"""A request's ground truth must hold one label per record; a request that does not is skipped.

Labels pair with a multi-record request's records by position. When the numbers differ no
pairing can be trusted, so the request is malformed as a whole: skipped, counted once and
sampled with the reason, while every other request of the window is joined as usual.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.capture_data import WINDOW, T, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, TableLayout, read_endpoint_window
from biaswatch.capture.assembly import WindowData, describe_label_mismatch
from biaswatch.capture.batch import read_batch_window, write_batch_capture
from biaswatch.capture.diagnostics import Diagnostics
from biaswatch.capture.endpoint import Encoding
from biaswatch.records import DecodingOptions

LAYOUT = TableLayout(label="y", headers=("a", "b", "y"))


@pytest.fixture
def roots() -> tuple[str, str]:
    base = f"memory://labels-{uuid.uuid4().hex}"
    return f"{base}/capture", f"{base}/truth"


def _read(roots: tuple[str, str], **options: Any) -> WindowData:
    return read_endpoint_window(
        roots[0],
        roots[1],
        WINDOW,
        endpoint="ep",
        options=DecodingOptions(**options),
        layout=LAYOUT,
    )


def _request(key: int, records: list[tuple[int, int]], scores: list[float]) -> bytes:
    """A CSV request of several records (one per line) and its response, one score a line."""
    features = "\n".join(f"{a},{b}" for a, b in records)
    return capture(key, features, "\n".join(str(s) for s in scores)).to_line()


def _rows(data: WindowData) -> list[tuple[Any, ...]]:
    """The joined rows, sorted: the two ways requests are joined each keep their own order."""
    table = data.table.to_pydict()
    return sorted(zip(*table.values(), strict=True))


def _accounted(diagnostics: Diagnostics) -> None:
    """Every decoded row is joined, without ground truth, or unusable; nothing else."""
    assert diagnostics.rows_decoded == (
        diagnostics.rows + diagnostics.rows_without_ground_truth + diagnostics.unusable_rows
    )


def test_a_request_with_fewer_labels_than_records_is_skipped_counted_and_sampled(
    roots: tuple[str, str],
) -> None:
    uri = write_capture(
        roots[0],
        [
            _request(1, [(1, 10), (2, 20)], [0.9, 0.1]),
            _request(2, [(3, 30), (4, 40), (5, 50)], [0.9, 0.1, 0.8]),  # 3 records, 2 labels
            _request(3, [(6, 60)], [0.2]),
        ],
    )
    write_truth(
        roots[1],
        [
            GroundTruthRecord("1", "1\n0"),
            GroundTruthRecord("2", "1\n1"),
            GroundTruthRecord("3", "0"),
        ],
    )
    data = _read(roots)
    assert data.table.column_names == ["a", "b", "y", "predicted_label"]
    assert _rows(data) == [(1, 10, 1, 1), (2, 20, 0, 0), (6, 60, 0, 0)]
    diagnostics = data.diagnostics
    assert diagnostics.records_read == 3
    assert diagnostics.malformed_records == 1  # the request, once: not one per record
    assert diagnostics.rows_decoded == 3  # its three rows are not counted as decoded
    assert diagnostics.rows_without_ground_truth == 0
    assert [(s.file, s.line, s.reason) for s in diagnostics.malformed_samples] == [
        (uri, 2, "the ground truth of '2' holds 2 labels for a request of 3 records")
    ]
    _accounted(diagnostics)


def test_a_request_with_more_labels_than_records_is_skipped(roots: tuple[str, str]) -> None:
    write_capture(
        roots[0],
        [
            _request(1, [(1, 10), (2, 20)], [0.9, 0.1]),  # 2 records, 3 labels
            _request(2, [(3, 30), (4, 40)], [0.9, 0.1]),
        ],
    )
    write_truth(roots[1], [GroundTruthRecord("1", "1\n0\n1"), GroundTruthRecord("2", "0\n1")])
    data = _read(roots)
    assert _rows(data) == [(3, 30, 0, 1), (4, 40, 1, 0)]
    assert [(s.line, s.reason) for s in data.diagnostics.malformed_samples] == [
        (1, "the ground truth of '1' holds 3 labels for a request of 2 records")
    ]
    assert data.diagnostics.malformed_records == 1
    _accounted(data.diagnostics)


def test_a_single_record_with_several_labels_is_skipped(roots: tuple[str, str]) -> None:
    """The vectorised path (one CSV record in, one line out) hands such a label on, and it fails."""
    uri = write_capture(roots[0], [capture(i, f"{i},{i}", "0.9").to_line() for i in range(4)])
    truth = [GroundTruthRecord(str(i), "1") for i in range(4)]
    truth[2] = GroundTruthRecord("2", "1,0")
    write_truth(roots[1], truth)
    data = _read(roots)
    assert data.table.column("a").to_pylist() == [0, 1, 3]
    assert [(s.file, s.line, s.reason) for s in data.diagnostics.malformed_samples] == [
        (uri, 3, "the ground truth of '2' holds 2 labels for a request of 1 record")
    ]
    assert (data.diagnostics.rows_decoded, data.diagnostics.rows) == (3, 3)
    _accounted(data.diagnostics)


def test_json_labels_are_counted_against_json_records(roots: tuple[str, str]) -> None:
    request = '{"instances": [{"features": [1, 10]}, {"features": [2, 20]}]}'
    response = '{"predictions": [{"label": 1}, {"label": 0}]}'
    lines = [
        capture(
            key,
            request,
            response,
            input_type="application/json",
            output_type="application/json",
            encoding=Encoding.JSON,
        ).to_line()
        for key in (1, 2)
    ]
    write_capture(roots[0], lines)
    write_truth(
        roots[1],
        [
            GroundTruthRecord.of("1", {"labels": [1, 1]}),
            GroundTruthRecord.of("2", {"labels": [0]}),  # one label for two records
        ],
    )
    data = _read(
        roots,
        features_attribute="instances[*].features",
        inference_attribute="predictions[*].label",
        label_attribute="labels",
    )
    assert _rows(data) == [(1, 10, 1, 1), (2, 20, 1, 0)]
    assert [s.reason for s in data.diagnostics.malformed_samples] == [
        "the ground truth of '2' holds 1 label for a request of 2 records"
    ]


def test_the_latest_upload_decides_how_many_labels_an_id_has(roots: tuple[str, str]) -> None:
    write_capture(roots[0], [_request(1, [(1, 10), (2, 20)], [0.9, 0.1])])
    write_truth(roots[1], [GroundTruthRecord("1", "1\n0")], hour=T - timedelta(hours=1))
    write_truth(roots[1], [GroundTruthRecord("1", "1")], hour=T)  # uploaded again, one label
    data = _read(roots)
    assert data.table.num_rows == 0
    assert [s.reason for s in data.diagnostics.malformed_samples] == [
        "the ground truth of '1' holds 1 label for a request of 2 records"
    ]
    assert data.diagnostics.duplicate_ground_truth == 1


def test_a_batch_record_with_several_labels_is_skipped() -> None:
    base = f"memory://labels-batch-{uuid.uuid4().hex}"
    ids = write_batch_capture(
        f"{base}/capture",
        output_prefix=f"{base}/out",
        name="part-1",
        features=[[1, 2], [3, 4], [5, 6]],
        predictions=[0.9, 0.2, 0.7],
        job_start=T - timedelta(minutes=40),
    )
    write_truth(
        f"{base}/truth",
        [
            GroundTruthRecord(ids[0], "1"),
            GroundTruthRecord(ids[1], "0,1"),
            GroundTruthRecord(ids[2], "1"),
        ],
    )
    data = read_batch_window(f"{base}/capture", f"{base}/truth", WINDOW, layout=LAYOUT)
    assert data.table.column("a").to_pylist() == [1, 5]
    assert [(s.file, s.line, s.reason) for s in data.diagnostics.malformed_samples] == [
        (
            f"{base}/out/part-1.out",
            2,
            f"the ground truth of {ids[1]!r} holds 2 labels for a request of 1 record",
        )
    ]
    assert data.diagnostics.malformed_records == 1


# Each request: how many records it holds, and how many labels its ground truth holds.
_requests = st.lists(st.tuples(st.integers(1, 4), st.integers(1, 5)), min_size=1, max_size=8)


@given(shapes=_requests)
def test_exactly_the_requests_whose_labels_fit_are_joined(shapes: list[tuple[int, int]]) -> None:
    base = f"memory://labels-property-{uuid.uuid4().hex}"
    lines, truth = [], []
    for key, (records, labels) in enumerate(shapes):
        rows = [(key, position) for position in range(records)]
        lines.append(_request(key, rows, [0.9] * records))
        truth.append(GroundTruthRecord(str(key), "\n".join(str(n % 2) for n in range(labels))))
    write_capture(f"{base}/capture", lines)
    write_truth(f"{base}/truth", truth)
    data = _read((f"{base}/capture", f"{base}/truth"))
    fitting = [key for key, (records, labels) in enumerate(shapes) if records == labels]
    expected = [(key, position) for key in fitting for position in range(shapes[key][0])]
    assert [(a, b, y) for a, b, y, _ in _rows(data)] == [
        (key, position, position % 2) for key, position in expected
    ]
    diagnostics = data.diagnostics
    assert diagnostics.malformed_records == len(shapes) - len(fitting)
    assert sorted(s.line for s in diagnostics.malformed_samples) == [
        key + 1 for key, (records, labels) in enumerate(shapes) if records != labels
    ]
    assert all(
        s.reason
        == describe_label_mismatch(
            str(s.line - 1), labels=shapes[s.line - 1][1], records=shapes[s.line - 1][0]
        )
        for s in diagnostics.malformed_samples
    )
    _accounted(diagnostics)
