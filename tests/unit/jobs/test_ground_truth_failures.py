"""A window whose captured records have no label fails with a reason that leads to the fix.

The reason names the hour folders searched, the look-back, the nearest hour folders that do
hold labels (before and after, within 48 hours), or says that the labels read have other ids.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from tests.capture_data import T, capture, write_capture, write_truth
from tests.unit.jobs.test_execution import definition

from biaswatch.capture import GroundTruthRecord
from biaswatch.jobs.execution import run_execution
from biaswatch.store import ExecutionStatus

LABELS = [GroundTruthRecord(str(i), "1") for i in range(20)]


@pytest.fixture
def base() -> str:
    root = f"memory://gt-{uuid.uuid4().hex}"
    write_capture(f"{root}/capture", [capture(i, "1,2", "0.9").to_line() for i in range(20)])
    return root


def reason_of(base: str, **changes: object) -> str:
    outcome = run_execution(definition(base, **changes), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    return outcome.failure_reason


def test_no_labels_anywhere_near(base: str) -> None:
    assert reason_of(base) == (
        "0 of 20 captured records have ground truth: 0 labels read from 0 files in the hour"
        f" folders 2026/11/24/09 to 2026/11/24/10 under {base}/truth (ground_truth_lookback"
        " none; 0 capture records malformed). No hour folder within 48 hours of those holds"
        " labels: upload them (biaswatch ground-truth upload) into the folder of the hour they"
        " are collected in."
    )


def test_labels_uploaded_later_and_earlier_are_pointed_to(base: str) -> None:
    write_truth(f"{base}/truth", LABELS, hour=T + timedelta(hours=3))
    write_truth(f"{base}/truth", LABELS, hour=T - timedelta(hours=30), name="early")
    write_truth(f"{base}/truth", LABELS, hour=T + timedelta(hours=50), name="too-late")
    reason = reason_of(base)
    assert (
        "The nearest hour folders with labels: 2026/11/23/04 (29 h before) and 2026/11/24/13"
        " (3 h after). Labels uploaded before the window are read with a longer"
        " ground_truth_lookback (e.g. P1D); labels uploaded after the scheduled time, by a rerun"
    ) in reason


def test_the_look_back_is_named(base: str) -> None:
    write_truth(f"{base}/truth", LABELS, hour=T - timedelta(days=1, hours=2))
    reason = reason_of(base, ground_truth_lookback="P1D")
    assert "in the hour folders 2026/11/23/09 to 2026/11/24/10" in reason
    assert "(ground_truth_lookback P1D;" in reason
    assert "2026/11/23/08 (1 h before)" in reason
    assert "after)" not in reason


def test_labels_with_other_ids(base: str) -> None:
    write_truth(f"{base}/truth", [GroundTruthRecord(f"other-{i}", "1") for i in range(5)])
    reason = reason_of(base)
    assert reason.startswith(
        "0 of 20 captured records have ground truth: 5 labels read from 1 files in the hour"
        " folders 2026/11/24/09 to 2026/11/24/10"
    )
    assert reason.endswith(
        "None of those labels' eventIds matches a captured record's inferenceId (or its eventId"
        " when it has none): check the ids the labels were uploaded with."
    )
