"""Joined rows the analysis cannot use are counted and sampled with the reason, never analysed.

A missing facet (or group) value, a label that is not a number where the label values are, a
label outside 0/1 where 0/1 labels meet 0/1 predictions: each such row is left out of the
table, counted as ``unusable_rows`` and sampled with its file, line and reason.
"""

from __future__ import annotations

import uuid

from tests.capture_data import WINDOW, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, TableLayout, WindowData, read_endpoint_window
from biaswatch.records import DecodingOptions


def _read(captured: list[tuple[str, str]], labels: list[str]) -> tuple[str, WindowData]:
    base = f"memory://unusable-{uuid.uuid4().hex[:12]}"
    uri = write_capture(
        f"{base}/capture",
        [capture(i, features, score).to_line() for i, (features, score) in enumerate(captured)],
    )
    write_truth(f"{base}/truth", [GroundTruthRecord(str(i), y) for i, y in enumerate(labels)])
    data = read_endpoint_window(
        f"{base}/capture",
        f"{base}/truth",
        WINDOW,
        endpoint="ep",
        options=DecodingOptions(probability_threshold=0.5),
        layout=TableLayout(
            label="label", headers=("sex", "x", "label"), required=("sex",), label_values=(1,)
        ),
    )
    return uri, data


def test_unusable_rows_are_left_out_counted_and_sampled() -> None:
    captured = [("0,1", "0.9"), (",2", "0.2"), ("nan,3", "0.7"), ("1,4", "0.1"),
                ("1,5", "0.8"), ("0,6", "0.3")]  # fmt: skip
    labels = ["1", "0", "1", "abc", "7", "0"]
    uri, data = _read(captured, labels)
    assert data.table.column("x").to_pylist() == [1, 6]
    assert data.table.column("label").to_pylist() == [1, 0]  # numbers again, not text
    diagnostics = data.diagnostics
    assert diagnostics.unusable_rows == 4
    assert diagnostics.rows == 2
    assert diagnostics.rows_decoded == (
        diagnostics.rows + diagnostics.rows_without_ground_truth + diagnostics.unusable_rows
    )
    assert [(s.file, s.line, s.reason) for s in diagnostics.malformed_samples] == [
        (uri, 2, "'sex' is missing"),
        (uri, 3, "'sex' is missing"),
        (uri, 4, "the label is not a number"),
        (uri, 5, "the label is neither 0 nor 1"),
    ]


def test_a_window_of_good_rows_is_untouched() -> None:
    _, data = _read([("0,1", "0.9"), ("1,2", "0.2")], ["1", "0"])
    assert data.diagnostics.unusable_rows == 0
    assert data.table.column("label").to_pylist() == [1, 0]
