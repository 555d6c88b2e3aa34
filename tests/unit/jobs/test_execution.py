"""A monitoring execution end to end on memory:// files: statuses, violations, outputs."""

from __future__ import annotations

import random
import uuid
from typing import Any

import orjson
import pytest
from tests.capture_data import T, capture, write_capture, write_truth

from biaswatch.analysis import analysis_document, analyze, dataset_from_table
from biaswatch.capture import GroundTruthRecord
from biaswatch.config import config_from_dict
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.jobs.execution import run_execution
from biaswatch.storage import exists, read_bytes, write_bytes
from biaswatch.store import ExecutionStatus

ANALYSIS = {
    "headers": ["sex", "x", "label"],
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
}


def rows(n: int, *, biased: bool, seed: int = 3) -> list[tuple[int, int, int, float]]:
    """(sex, x, label, score): equal rates, or sex = 0 almost never predicted positive."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sex, label = rng.randint(0, 1), rng.randint(0, 1)
        score = rng.uniform(0.55, 1.0) if label else rng.uniform(0.0, 0.45)
        if biased and sex == 0:
            score = rng.uniform(0.0, 0.45) if rng.random() < 0.9 else score
        out.append((sex, rng.randint(0, 50), label, round(score, 4)))
    return out


def baseline(base: str, data: list[tuple[int, int, int, float]]) -> str:
    import pyarrow as pa

    table = pa.table(
        {
            "sex": [r[0] for r in data],
            "x": [r[1] for r in data],
            "label": [r[2] for r in data],
            "prediction": [int(r[3] > 0.5) for r in data],
        }
    )
    config = config_from_dict(ANALYSIS | {"predicted_label": "prediction"})
    uri = f"{base}/baseline/analysis.json"
    write_bytes(
        uri, orjson.dumps(analysis_document(analyze(dataset_from_table(table, config), config)))
    )
    return uri


def definition(base: str, **changes: Any) -> MonitoringJobDefinition:
    fields: dict[str, Any] = {
        "schedule_name": "hourly-bias",
        "endpoint_input": EndpointInputDefinition(
            endpoint_name="ep", capture_uri=f"{base}/capture"
        ),
        "ground_truth_uri": f"{base}/truth",
        "output_uri": f"{base}/reports",
        "analysis_config": ANALYSIS,
    }
    return MonitoringJobDefinition(**(fields | changes))


def capture_window(base: str, data: list[tuple[int, int, int, float]]) -> None:
    write_capture(
        f"{base}/capture",
        [capture(i, f"{s},{x}", str(p)).to_line() for i, (s, x, _, p) in enumerate(data)],
    )
    write_truth(
        f"{base}/truth", [GroundTruthRecord(str(i), str(y)) for i, (_, _, y, _) in enumerate(data)]
    )


@pytest.fixture
def base() -> str:
    return f"memory://execution-{uuid.uuid4().hex}"


def test_injected_bias_is_a_violation(base: str) -> None:
    reference = rows(600, biased=False)
    capture_window(base, rows(400, biased=True, seed=5))
    outcome = run_execution(definition(base, baseline_constraints_uri=baseline(base, reference)), T)
    assert outcome.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    flagged = {v.metric_name for v in outcome.violations}
    assert {"DPPL", "RD", "AD"} <= flagged
    # SageMaker's abs() rule: DI fell from about 1 toward 0, which it does not flag.
    assert "DI" not in flagged
    assert outcome.output_uri == f"{base}/reports/ep/hourly-bias/2026/11/24/10"
    for name in ("analysis.json", "constraint_violations.json", "report.html", "diagnostics.json"):
        assert exists(f"{outcome.output_uri}/{name}"), name
    document = orjson.loads(read_bytes(f"{outcome.output_uri}/constraint_violations.json"))
    assert {v["metric_name"] for v in document["violations"]} == flagged
    # The report shows the baseline, highlights each violation, and says what was read.
    report = read_bytes(f"{outcome.output_uri}/report.html").decode()
    assert "Constraint</th>" in report
    assert report.count('<tr class="violated">') == len(outcome.violations)
    assert report.count('class="baseline-mark"') > 0
    # Each violated metric says why, in words; each metric what it means and its ideal.
    assert report.count('<td class="reason">') == len(outcome.violations)
    assert "farther from 0 than the constraint allows" in report
    assert "share of positive predictions in a minus that in d" in report
    assert "<dt>Data hours</dt><dd>2026-11-24 09:00 to 2026-11-24 10:00 UTC" in report
    assert "<dt>Captured records read (whole hour folders)</dt><dd>400</dd>" in report
    assert "(100.0 % of 400 inferences joined)" in report


def test_the_baseline_data_itself_completes_without_violations(base: str) -> None:
    reference = rows(500, biased=False)
    capture_window(base, reference)
    outcome = run_execution(definition(base, baseline_constraints_uri=baseline(base, reference)), T)
    assert outcome.status is ExecutionStatus.COMPLETED
    assert outcome.violations == ()
    assert (
        orjson.loads(read_bytes(f"{outcome.output_uri}/constraint_violations.json"))["violations"]
        == []
    )


def test_without_a_baseline_no_violations_file(base: str) -> None:
    capture_window(base, rows(100, biased=True))
    outcome = run_execution(definition(base), T)
    assert outcome.status is ExecutionStatus.COMPLETED
    assert not exists(f"{outcome.output_uri}/constraint_violations.json")


def test_an_empty_window_fails_with_a_reason(base: str) -> None:
    outcome = run_execution(definition(base), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith("no captured records in [2026-11-24T09:00:00+00:00")
    diagnostics = orjson.loads(read_bytes(f"{outcome.output_uri}/diagnostics.json"))
    assert diagnostics["status"] == "Failed"


def test_no_ground_truth_fails_with_a_reason(base: str) -> None:
    write_capture(f"{base}/capture", [capture(i, "1,2", "0.9").to_line() for i in range(30)])
    outcome = run_execution(definition(base), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert outcome.failure_reason is not None
    assert outcome.failure_reason.startswith("0 of 30 captured records have ground truth")


def test_an_unreadable_baseline_fails(base: str) -> None:
    capture_window(base, rows(50, biased=False))
    outcome = run_execution(definition(base, baseline_constraints_uri=f"{base}/missing.json"), T)
    assert outcome.status is ExecutionStatus.FAILED
    assert "missing.json" in (outcome.failure_reason or "")


def test_the_definition_needs_exactly_one_input(base: str) -> None:
    with pytest.raises(ValueError, match="either batch_transform_input or endpoint_input"):
        definition(base, endpoint_input=None)


def test_confidence_intervals_are_an_extension_that_changes_nothing_else(base: str) -> None:
    capture_window(base, rows(400, biased=True, seed=5))
    plain = run_execution(definition(base), T)
    with_intervals = run_execution(
        definition(base, output_uri=f"{base}/ci", confidence_level=0.9, bootstrap_resamples=200),
        T,
    )
    assert plain.analysis is not None
    assert with_intervals.analysis is not None
    extension = with_intervals.analysis.pop("biaswatch")["confidence_intervals"]
    assert with_intervals.analysis == plain.analysis  # SageMaker's part is untouched
    assert (extension["level"], extension["resamples"]) == (0.9, 200)
    entry = extension["post_training_bias_metrics"]["sex"][0]
    lower, upper = entry["metrics"]["DPPL"]
    value = next(
        m["value"]
        for m in plain.analysis["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
        if m["name"] == "DPPL"
    )
    assert lower <= value <= upper
    assert "FT" not in entry["metrics"]  # FT is not a count-based metric
    report = read_bytes(f"{with_intervals.output_uri}/report.html").decode()
    assert "<th>90% interval</th>" in report


def test_an_intersectional_facet_in_a_monitoring_window(base: str) -> None:
    capture_window(base, rows(300, biased=True))
    crossed = ANALYSIS | {"facet": [{"name_or_index": ["sex", "x"]}]}
    outcome = run_execution(definition(base, analysis_config=crossed), T)
    assert outcome.status is ExecutionStatus.COMPLETED
    assert outcome.analysis is not None
    entries = outcome.analysis["post_training_bias_metrics"]["facets"]["sex × x"]
    assert all(" × " in entry["value_or_threshold"] for entry in entries)
    assert len(entries) > 50  # every (sex, x) combination in the window, one-vs-rest


def test_slots_more_frequent_than_hourly_have_folders_of_their_own() -> None:
    from datetime import timedelta

    from biaswatch.jobs.attempt import execution_output_uri

    chosen = definition("memory://x")
    folders = [
        execution_output_uri(chosen, T + timedelta(minutes=minutes))
        for minutes in (0, 15, 30, 45, 60)
    ]
    root = "memory://x/reports/ep/hourly-bias/2026/11/24"
    assert folders == [
        f"{root}/10",  # on the hour: SageMaker's layout, unchanged
        f"{root}/10/15",
        f"{root}/10/30",
        f"{root}/10/45",
        f"{root}/11",
    ]
    assert execution_output_uri(chosen, T + timedelta(seconds=90)) == f"{root}/10/01-30"
