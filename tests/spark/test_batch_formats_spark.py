"""engine=spark on batch-transform output in every format: the local engine's analysis, counts
and malformed samples, including JSON documents whose records share a line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.golden.test_clarify_golden import mismatches
from tests.integration.test_seed_samples import HEADERS, biased, records, score
from tests.integration.test_seed_samples import T as HOUR

from biaswatch.capture import GroundTruthRecord, upload_ground_truth
from biaswatch.capture.batch import write_batch_capture
from biaswatch.config.batch_format import BatchFormat
from biaswatch.config.monitor import BatchInputDefinition, MonitoringJobDefinition
from biaswatch.jobs.execution import run_execution
from biaswatch.storage import read_bytes, write_bytes
from biaswatch.store import ExecutionStatus

METHODS = {
    "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}
}
COUNTS = ("records_read", "malformed_records", "rows_decoded", "rows", "unusable_rows")


def _spoiled_json(output: str) -> None:
    """The records one after another on one line, two of them unusable."""
    lines: list[Any] = [orjson.loads(line) for line in read_bytes(output).splitlines()]
    del lines[3]["SageMakerInferenceId"]
    lines[10] = 42  # not a record
    write_bytes(output, b"".join(orjson.dumps(line) for line in lines))


def _spoiled_csv(output: str) -> None:
    lines = read_bytes(output).split(b"\n")
    lines[5] = b"1,2"
    write_bytes(output, b"\n".join(lines))


@pytest.mark.parametrize(
    ("written", "named", "spoil"),
    [
        (BatchFormat.CSV, None, None),  # detected: CSV without a header
        (BatchFormat.JSON_LINES, None, _spoiled_json),  # detected: a JSON document
        (BatchFormat.PARQUET, {"Parquet": {}}, None),
        (BatchFormat.CSV_HEADER, {"Csv": {"Header": True}}, _spoiled_csv),
        (BatchFormat.JSON, {"Json": {"Line": False}}, None),
    ],
)
def test_every_batch_format_counts_as_the_local_engine(
    tmp_path: Path, spark: Any, written: BatchFormat, named: dict[str, Any] | None, spoil: Any
) -> None:
    data = records()
    ids = write_batch_capture(
        str(tmp_path / "batch"),
        output_prefix=str(tmp_path / "transform-output"),
        name="validation",
        features=[f for f, _ in data],
        predictions=[biased(f, score(f)) for f, _ in data],
        job_start=HOUR - timedelta(minutes=45),
        dataset_format=written,
        feature_names=HEADERS[:-1],
    )
    if spoil is not None:
        spoil(str(tmp_path / "transform-output" / "validation.out"))
    upload_ground_truth(
        str(tmp_path / "truth"),
        [GroundTruthRecord(i, str(y)) for i, (_, y) in zip(ids, data, strict=True)],
        collected_at=HOUR - timedelta(minutes=5),
    )
    chosen = MonitoringJobDefinition(
        schedule_name="batch",
        batch_transform_input=BatchInputDefinition(
            data_captured_destination_s3_uri=str(tmp_path / "batch"),
            dataset_format=named,
            probability_threshold_attribute=0.8,
        ),
        ground_truth_uri=str(tmp_path / "truth"),
        output_uri=str(tmp_path / "reports"),
        analysis_config={
            "headers": HEADERS,
            "label": "Target",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
            "group_variable": "Age",
        }
        | METHODS,
    )
    local = run_execution(chosen.model_copy(update={"engine": "local"}), HOUR)
    on_spark = run_execution(
        chosen.model_copy(update={"engine": "spark", "output_uri": str(tmp_path / "s")}), HOUR
    )
    assert local.status is ExecutionStatus.COMPLETED, local.failure_reason
    assert on_spark.status is local.status
    assert mismatches(local.analysis, on_spark.analysis) == []
    assert local.diagnostics is not None
    assert on_spark.diagnostics is not None
    for key in COUNTS:
        assert getattr(on_spark.diagnostics, key) == getattr(local.diagnostics, key), key
    assert on_spark.diagnostics.malformed_samples == local.diagnostics.malformed_samples
    malformed = 2 if spoil is _spoiled_json else (1 if spoil is not None else 0)
    assert local.diagnostics.malformed_records == malformed
    assert local.diagnostics.rows == len(data) - malformed
