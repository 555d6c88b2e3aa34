"""engine=spark on a monitoring window: the local engine's ``analysis.json`` and verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.capture_data import T, capture, write_capture, write_truth
from tests.golden.test_clarify_golden import mismatches
from tests.unit.jobs.test_execution import baseline, capture_window, definition, rows

from biaswatch.capture import GroundTruthRecord
from biaswatch.capture.endpoint import Encoding
from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.jobs.attempt import window_of
from biaswatch.jobs.engine import estimated_records, resolve_engine
from biaswatch.jobs.execution import _reading, _window_config, run_execution
from biaswatch.spark.window import _kept
from biaswatch.storage import read_bytes
from biaswatch.store import ExecutionStatus

METHODS = {
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}
}


def both(definition_: MonitoringJobDefinition, tmp_path: Path) -> tuple[Any, Any]:
    local = run_execution(definition_.model_copy(update={"engine": "local"}), T)
    spark = run_execution(
        definition_.model_copy(
            update={"engine": "spark", "output_uri": str(tmp_path / "spark-reports")}
        ),
        T,
    )
    return local, spark


def test_injected_bias_gives_the_same_analysis_and_violations(tmp_path: Path, spark: Any) -> None:
    base = str(tmp_path)
    capture_window(base, rows(400, biased=True, seed=5))
    config = json.loads(json.dumps(definition(base).analysis_config)) | METHODS
    chosen = definition(
        base,
        analysis_config=config | {"group_variable": "x"},
        baseline_constraints_uri=baseline(base, rows(600, biased=False)),
    )
    local, spark_outcome = both(chosen, tmp_path)
    assert local.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    assert spark_outcome.status is local.status
    assert mismatches(local.analysis, spark_outcome.analysis) == []
    assert [v.to_json() for v in spark_outcome.violations] == [
        v.to_json() for v in local.violations
    ]
    assert spark_outcome.diagnostics is not None
    assert local.diagnostics is not None
    assert spark_outcome.diagnostics.engine == "spark"
    for key in ("records_read", "rows", "rows_decoded", "rows_without_ground_truth"):
        assert getattr(spark_outcome.diagnostics, key) == getattr(local.diagnostics, key), key
    written = orjson.loads(read_bytes(f"{spark_outcome.output_uri}/analysis.json"))
    assert written == spark_outcome.analysis


def test_malformed_lines_and_missing_labels_are_counted_the_same(
    tmp_path: Path, spark: Any
) -> None:
    base = str(tmp_path)
    data = rows(200, biased=False)
    capture_window(base, data)
    folder = next((tmp_path / "capture").rglob("*.jsonl"))
    with folder.open("ab") as handle:
        handle.write(b'not json\n{"captureData": {}}\n')
    local, spark_outcome = both(definition(base), tmp_path)
    assert local.status is ExecutionStatus.COMPLETED
    assert spark_outcome.status is ExecutionStatus.COMPLETED
    assert spark_outcome.diagnostics is not None
    assert local.diagnostics is not None
    assert spark_outcome.diagnostics.malformed_records == local.diagnostics.malformed_records == 2
    assert [s.line for s in spark_outcome.diagnostics.malformed_samples] == [
        s.line for s in local.diagnostics.malformed_samples
    ]
    assert mismatches(local.analysis, spark_outcome.analysis) == []


def test_an_empty_window_fails_with_the_same_reason(tmp_path: Path, spark: Any) -> None:
    local, spark_outcome = both(definition(str(tmp_path)), tmp_path)
    assert spark_outcome.status is ExecutionStatus.FAILED
    assert spark_outcome.failure_reason == local.failure_reason


def test_auto_chooses_spark_above_the_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = str(tmp_path)
    capture_window(base, rows(300, biased=False))
    chosen = definition(base, engine="auto")
    files = [str(p) for p in (tmp_path / "capture").rglob("*.jsonl")]
    assert 250 <= estimated_records(files) <= 350
    monkeypatch.setenv("BIASWATCH_SPARK_THRESHOLD", "1000")
    assert resolve_engine(chosen, window_of(chosen, T)) == "local"
    monkeypatch.setenv("BIASWATCH_SPARK_THRESHOLD", "100")
    assert resolve_engine(chosen, window_of(chosen, T)) == "spark"
    monkeypatch.setenv("BIASWATCH_ENGINE", "spark")
    assert resolve_engine(definition(base), window_of(chosen, T)) == "spark"


def test_a_window_on_s3_is_read_by_the_workers(s3_bucket: str, tmp_path: Path, spark: Any) -> None:
    capture_window(s3_bucket, rows(300, biased=True, seed=9))
    chosen = definition(
        s3_bucket, baseline_constraints_uri=baseline(s3_bucket, rows(300, biased=False))
    )
    local = run_execution(chosen.model_copy(update={"engine": "local"}), T)
    spark_outcome = run_execution(
        chosen.model_copy(update={"engine": "spark", "output_uri": f"{s3_bucket}/spark-reports"}),
        T,
    )
    assert spark_outcome.status is local.status is ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    assert mismatches(local.analysis, spark_outcome.analysis) == []


def test_spark_connect_without_its_client_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    from biaswatch.errors import ConfigError
    from biaswatch.spark import spark_session

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "grpc" else real(name, *a)
    )
    with pytest.raises(ConfigError, match="Spark Connect needs its client: pip install"):
        spark_session("sc://127.0.0.1:15002")


def test_ft_runs_on_a_bounded_sample_of_configurable_size(
    tmp_path: Path, spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = str(tmp_path)
    capture_window(base, rows(400, biased=True, seed=5))
    config = json.loads(json.dumps(definition(base).analysis_config)) | METHODS
    monkeypatch.setenv("BIASWATCH_SPARK_FT_SAMPLE", "150")
    local, spark_outcome = both(definition(base, analysis_config=config), tmp_path)
    assert spark_outcome.diagnostics is not None
    assert spark_outcome.diagnostics.ft_rows == 150  # 400 joined rows, 150 sampled for FT

    def without_ft(document: dict[str, Any]) -> dict[str, Any]:
        copied: dict[str, Any] = json.loads(json.dumps(document))
        for entries in copied["post_training_bias_metrics"]["facets"].values():
            for entry in entries:
                entry["metrics"] = [m for m in entry["metrics"] if m["name"] != "FT"]
        return copied

    assert mismatches(without_ft(local.analysis), without_ft(spark_outcome.analysis)) == []
    monkeypatch.setenv("BIASWATCH_SPARK_FT_SAMPLE", "none")
    failed = run_execution(definition(base, engine="spark"), T)
    assert failed.status is ExecutionStatus.FAILED
    assert "BIASWATCH_SPARK_FT_SAMPLE='none'" in (failed.failure_reason or "")


def test_unusable_rows_are_judged_the_same(tmp_path: Path, spark: Any) -> None:
    base = str(tmp_path)
    data: list[Any] = list(rows(300, biased=True, seed=4))
    for position in (3, 50, 120):
        sex, x, label, score = data[position]
        data[position] = ("", x, label, score)  # a missing facet value
    for position, label in ((7, "abc"), (80, "7")):
        sex, x, _, score = data[position]
        data[position] = (sex, x, label, score)
    capture_window(base, data)
    local, spark_outcome = both(definition(base), tmp_path)
    assert local.diagnostics is not None
    assert spark_outcome.diagnostics is not None
    assert local.diagnostics.unusable_rows == spark_outcome.diagnostics.unusable_rows == 5
    for key in ("rows", "rows_decoded", "rows_without_ground_truth"):
        assert getattr(spark_outcome.diagnostics, key) == getattr(local.diagnostics, key), key
    assert [(s.line, s.reason) for s in spark_outcome.diagnostics.malformed_samples] == [
        (s.line, s.reason) for s in local.diagnostics.malformed_samples
    ]
    assert mismatches(local.analysis, spark_outcome.analysis) == []


def test_a_window_without_ft_keeps_only_the_analysed_columns(tmp_path: Path, spark: Any) -> None:
    base = str(tmp_path)
    data: list[Any] = list(rows(300, biased=True, seed=8))
    sex, x, _, score = data[9]
    data[9] = (sex, x, "5", score)  # a label outside 0/1: the window's 0/1 rule drops it
    capture_window(base, data)
    methods = {"pre_training_bias": {"methods": "all"},
               "post_training_bias": {"methods": ["DPPL", "DI", "AD"]}}  # fmt: skip
    config = json.loads(json.dumps(definition(base).analysis_config)) | {"methods": methods}
    chosen = definition(base, analysis_config=config)
    local, spark_outcome = both(chosen, tmp_path)
    assert mismatches(local.analysis, spark_outcome.analysis) == []
    assert spark_outcome.diagnostics is not None
    assert local.diagnostics is not None
    assert spark_outcome.diagnostics.unusable_rows == local.diagnostics.unusable_rows == 1
    assert spark_outcome.diagnostics.ft_rows is None
    assert [(s.line, s.reason) for s in spark_outcome.diagnostics.malformed_samples] == [
        (s.line, s.reason) for s in local.diagnostics.malformed_samples
    ]
    layout, _ = _reading(chosen)
    analysed = _window_config(chosen, layout.label, layout.predicted_column())
    assert layout.feature_names == ["sex", "x"]
    assert _kept(layout, analysed, flip_test=False)[-2:] == [layout.predicted_column(), "sex"]
    assert _kept(layout, analysed, flip_test=True)[-2:] == ["sex", "x"]


def test_json_payloads_give_the_same_analysis(tmp_path: Path, spark: Any) -> None:
    """JSON in and out (one with duplicate keys), labels as JSON and CSV: the Python decoder on
    Spark's executors reads them as the local engine does."""
    base = str(tmp_path)
    data = rows(300, biased=True, seed=9)
    lines = [
        capture(
            i, json.dumps({"features": [s, x]}), json.dumps({"score": p, "id": i}),
            input_type="application/json", output_type="application/json",
            encoding=Encoding.JSON,
        ).to_line()
        for i, (s, x, _, p) in enumerate(data)
    ]  # fmt: skip
    lines[7] = lines[7].replace(b'\\"id\\"', b'\\"score\\": 0.1, \\"id\\"')  # duplicate keys
    write_capture(f"{base}/capture", lines)
    write_truth(
        f"{base}/truth",
        [
            GroundTruthRecord(str(i), json.dumps({"label": y}), "JSON") if i % 2
            else GroundTruthRecord(str(i), str(y))
            for i, (_, _, y, _) in enumerate(data)
        ],
    )  # fmt: skip
    endpoint = EndpointInputDefinition(
        endpoint_name="ep", capture_uri=f"{base}/capture", features_attribute="features",
        probability_attribute="score",
    )  # fmt: skip
    local, spark_outcome = both(definition(base, endpoint_input=endpoint), tmp_path)
    assert local.status is ExecutionStatus.COMPLETED
    assert spark_outcome.status is ExecutionStatus.COMPLETED
    assert mismatches(local.analysis, spark_outcome.analysis) == []
    assert spark_outcome.diagnostics is not None
    assert local.diagnostics is not None
    for key in ("records_read", "rows", "rows_decoded", "malformed_records"):
        assert getattr(spark_outcome.diagnostics, key) == getattr(local.diagnostics, key), key
    assert local.diagnostics.rows == 300
