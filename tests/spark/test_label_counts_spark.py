"""engine=spark skips a request whose labels do not fit its records, as the local engine does."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.capture_data import T, capture, write_capture, write_truth
from tests.golden.test_clarify_golden import mismatches
from tests.spark.test_window_spark import both
from tests.unit.jobs.test_execution import definition, rows

from biaswatch.capture import GroundTruthRecord
from biaswatch.store import ExecutionStatus


def _request(key: int, records: list[tuple[int, int]], scores: list[float]) -> bytes:
    features = "\n".join(f"{sex},{x}" for sex, x in records)
    return capture(key, features, "\n".join(str(s) for s in scores)).to_line()


def test_requests_whose_labels_do_not_fit_are_skipped_the_same(tmp_path: Path, spark: Any) -> None:
    base = str(tmp_path)
    data = rows(120, biased=True, seed=6)
    lines = [capture(i, f"{s},{x}", str(p)).to_line() for i, (s, x, _, p) in enumerate(data)]
    truth = [GroundTruthRecord(str(i), str(y)) for i, (_, _, y, _) in enumerate(data)]
    lines += [
        _request(1000, [(0, 1), (1, 2)], [0.9, 0.1]),  # 2 records, 1 label
        capture(1001, "0,3", "0.9").to_line(),  # 1 record, 2 labels
        _request(1002, [(0, 3), (1, 5)], [0.9, 0.2]),  # 2 records, 2 labels: joined
        _request(1003, [(0, 3), (1, 5), (1, 6)], [0.9, 0.2, 0.3]),  # 3 records, 2 labels
        _request(1004, [(1, 7), (0, 8)], [0.6, 0.4]),  # 2 labels, then uploaded again with 1
    ]
    truth += [
        GroundTruthRecord("1000", "1"),
        GroundTruthRecord("1001", "1,0"),
        GroundTruthRecord("1002", "1\n0"),
        GroundTruthRecord("1003", "1\n0"),
        GroundTruthRecord("1004", "1\n0"),
    ]
    write_capture(f"{base}/capture", lines)
    write_truth(f"{base}/truth", truth, hour=T - timedelta(hours=1))
    write_truth(f"{base}/truth", [GroundTruthRecord("1004", "1")], hour=T)
    local, spark_outcome = both(definition(base), tmp_path)
    assert local.status is spark_outcome.status is ExecutionStatus.COMPLETED
    assert local.diagnostics is not None
    assert spark_outcome.diagnostics is not None
    first = len(data) + 1  # the line of request 1000
    skipped = {
        (first, "the ground truth of '1000' holds 1 label for a request of 2 records"),
        (first + 1, "the ground truth of '1001' holds 2 labels for a request of 1 record"),
        (first + 3, "the ground truth of '1003' holds 2 labels for a request of 3 records"),
        (first + 4, "the ground truth of '1004' holds 1 label for a request of 2 records"),
    }
    for outcome in (local, spark_outcome):
        diagnostics = outcome.diagnostics
        assert {(s.line, s.reason) for s in diagnostics.malformed_samples} == skipped
        assert diagnostics.malformed_records == len(skipped)
        assert diagnostics.records_read == len(lines)
        assert diagnostics.rows == diagnostics.rows_decoded == len(data) + 2
        assert diagnostics.rows_without_ground_truth == 0
    assert mismatches(local.analysis, spark_outcome.analysis) == []
