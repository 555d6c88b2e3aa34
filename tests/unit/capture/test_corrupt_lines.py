"""No corrupt line fails a window: it is counted, and exactly the intact records are analysed.

Hypothesis corrupts capture and ground-truth lines in ways that always make them unusable — a
byte that is not UTF-8 anywhere in the line, the line cut short, a score that is NaN or
infinite — and checks that reading the window never raises, counts each corrupt line once and
keeps exactly the records whose capture and label are both intact.
"""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st
from tests.capture_data import WINDOW, capture, write_capture

from biaswatch.capture import GroundTruthRecord, TableLayout, read_endpoint_window
from biaswatch.records import DecodingOptions
from biaswatch.storage import hour_folder, join, write_bytes

RECORDS = 40
SCORES = ("NaN", "Infinity", "-Infinity", "nan", "inf")


def _line(key: int, score: str) -> bytes:
    return capture(key, f"{key % 2},{key}", score).to_line()


def _score(key: int) -> str:
    return f"{(key * 37 % 100) / 100:.2f}"


def _label(key: int) -> int:
    return key * 7 % 2


def _insert_byte(line: bytes, position: int, byte: int) -> bytes:
    cut = position % len(line)
    return line[:cut] + bytes([byte]) + line[cut:]


corruption = st.one_of(
    st.tuples(st.just("byte"), st.integers(0, 10_000), st.integers(0x80, 0xFF)),
    st.tuples(st.just("cut"), st.integers(1, 10_000), st.just(0)),
    st.tuples(st.just("score"), st.integers(0, len(SCORES) - 1), st.just(0)),
)


@given(
    captures=st.dictionaries(st.integers(0, RECORDS - 1), corruption, max_size=8),
    labels=st.dictionaries(
        st.integers(0, RECORDS - 1), corruption.filter(lambda c: c[0] != "score"), max_size=8
    ),
)
def test_corrupt_lines_are_counted_and_the_intact_records_analysed(
    captures: dict[int, tuple[str, int, int]], labels: dict[int, tuple[str, int, int]]
) -> None:
    base = f"memory://corrupt-{uuid.uuid4().hex[:12]}"
    lines = []
    for key in range(RECORDS):
        kind, amount, byte = captures.get(key, ("", 0, 0))
        line = _line(key, SCORES[amount] if kind == "score" else _score(key))
        if kind == "byte":
            line = _insert_byte(line.rstrip(b"\n"), amount, byte) + b"\n"
        elif kind == "cut":
            line = line[: min(amount, len(line) - 2)] + b"\n"
        lines.append(line)
    write_capture(f"{base}/capture", lines)
    truth = []
    for key in range(RECORDS):
        line = GroundTruthRecord(str(key), str(_label(key))).to_line()
        kind, amount, byte = labels.get(key, ("", 0, 0))
        if kind == "byte":
            line = _insert_byte(line.rstrip(b"\n"), amount, byte) + b"\n"
        elif kind == "cut":
            line = line[: min(amount, len(line) - 2)] + b"\n"
        truth.append(line)
    write_bytes(join(f"{base}/truth", hour_folder(WINDOW.end), "a.jsonl"), b"".join(truth))

    data = read_endpoint_window(
        f"{base}/capture",
        f"{base}/truth",
        WINDOW,
        endpoint="ep",
        options=DecodingOptions(probability_threshold=0.5),
        layout=TableLayout(label="label", headers=("sex", "x", "label")),
    )

    intact = [k for k in range(RECORDS) if k not in captures and k not in labels]
    assert data.diagnostics.malformed_records == len(captures)
    assert data.diagnostics.malformed_ground_truth == len(labels)
    assert data.table.num_rows == len(intact)
    rows = sorted(
        zip(
            data.table.column("x").to_pylist(),
            data.table.column("label").to_pylist(),
            data.table.column(data.predicted_label).to_pylist(),
            strict=True,
        )
    )
    assert rows == [(k, _label(k), int(float(_score(k)) > 0.5)) for k in intact]
