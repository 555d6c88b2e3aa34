"""``cut_at_inference_time`` keeps ``[start, end)``: the start instant in, the end instant out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from tests.capture_data import T, capture, write_capture, write_truth

from biaswatch.capture import GroundTruthRecord, TableLayout, Window, read_endpoint_window

CUT = Window.from_offsets(T, "-PT1H", "-PT0H", cut_at_inference_time=True)
MICROSECOND = timedelta(microseconds=1)


def test_the_start_instant_is_inside_and_the_end_instant_is_outside() -> None:
    assert CUT.keeps(CUT.start)
    assert not CUT.keeps(CUT.start - MICROSECOND)
    assert CUT.keeps(CUT.end - MICROSECOND)
    assert not CUT.keeps(CUT.end)


def test_without_the_cut_every_record_read_is_kept() -> None:
    whole = Window.from_offsets(T, "-PT1H", "-PT0H")
    assert whole.keeps(whole.start - timedelta(hours=3))
    assert whole.keeps(whole.end)


@given(
    st.datetimes(
        min_value=datetime(2026, 11, 24, 7),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2026, 11, 24, 12),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_keeps_is_the_half_open_interval(moment: datetime) -> None:
    assert CUT.keeps(moment) == (T - timedelta(hours=1) <= moment < T)


def test_a_record_captured_at_the_start_instant_is_analysed() -> None:
    base = f"memory://bounds-{uuid.uuid4().hex}"
    write_capture(
        f"{base}/capture",
        [
            capture(1, "1,0", "0.9", minute=0).to_line(),  # exactly T - 1h: the start
            capture(2, "2,0", "0.9", minute=30).to_line(),
            capture(3, "3,0", "0.9", minute=60).to_line(),  # exactly T: the end
        ],
    )
    write_truth(f"{base}/truth", [GroundTruthRecord(str(k), "1") for k in (1, 2, 3)])
    data = read_endpoint_window(
        f"{base}/capture",
        f"{base}/truth",
        CUT,
        endpoint="ep",
        layout=TableLayout(label="y", headers=("a", "b", "y")),
    )
    assert data.table.column("a").to_pylist() == [1, 2]
    assert data.diagnostics.rows_outside_window == 1
