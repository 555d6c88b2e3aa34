"""Executions from a plain script, as SageMaker users write them: top-level code, no main guard.

The script runs as a user runs it — ``python script.py`` and ``python - < script.py`` — in a
process of its own; its executions run in worker processes that never re-run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = textwrap.dedent(
    """
    import json
    from datetime import datetime, timedelta, timezone

    from biaswatch.capture import GroundTruthRecord, upload_ground_truth
    from biaswatch.capture.config import DataCaptureConfig
    from biaswatch.capture.registry import register_endpoint
    from biaswatch.capture.writer import CaptureWriter
    from biaswatch.clarify import BiasConfig, DataConfig
    from biaswatch.examples import example_path
    from biaswatch.model_monitor import CronExpressionGenerator, EndpointInput, ModelBiasMonitor

    print("the script runs")  # once: a worker that re-ran the script would print it again
    T = datetime(2026, 11, 24, 10, tzinfo=timezone.utc)
    example = example_path("adult")
    records = [json.loads(line) for line in (example / "validation.jsonl").open()]
    config = DataCaptureConfig(enable_capture=True, sampling_percentage=100,
                               destination_s3_uri="capture")
    register_endpoint("plain", "capture")
    for hour in (1, 2):
        moment = T - timedelta(hours=hour) + timedelta(minutes=30)
        with CaptureWriter(config, endpoint_name="plain", clock=lambda: moment) as writer:
            for number, record in enumerate(records):
                writer.capture(
                    request_body=",".join(map(str, record["features"])).encode(),
                    request_content_type="text/csv",
                    response_body=str(record["score"]).encode(),
                    response_content_type="text/csv",
                    inference_id=f"{hour}-{number}",
                )
        labels = [GroundTruthRecord.of(f"{hour}-{n}", r["label"]) for n, r in enumerate(records)]
        upload_ground_truth("ground-truth", labels, collected_at=moment)

    monitor = ModelBiasMonitor(role="unused", clock=lambda: T)
    monitor.suggest_baseline(
        data_config=DataConfig(
            s3_data_input_path=str(example / "validation.jsonl"), s3_output_path="baseline",
            label="label", features="features", dataset_type="application/jsonlines",
            predicted_label="predicted_label"),
        bias_config=BiasConfig(label_values_or_threshold=[1], facet_name=9,
                               facet_values_or_threshold=[0]),
    )
    monitor.create_monitoring_schedule(
        monitor_schedule_name="plain",
        endpoint_input=EndpointInput(endpoint_name="plain", destination="/opt/ml/processing/in",
                                     start_time_offset="-PT1H", end_time_offset="-PT0H",
                                     probability_threshold_attribute=0.46301859617233276),
        ground_truth_input="ground-truth", output_s3_uri="reports",
        constraints=monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
    )
    single = monitor.run_execution(scheduled_time=T - timedelta(hours=1))
    print("run_execution:", single.describe()["MonitoringExecutionStatus"])
    for execution in monitor.backfill(start=T - timedelta(hours=1), end=T):
        described = execution.describe()
        print("backfill:", described["MonitoringExecutionStatus"], described.get("FailureReason"))
    """
)


@pytest.mark.parametrize("how", ["file", "stdin"])
def test_a_script_without_a_main_guard_runs_its_executions(tmp_path: Path, how: str) -> None:
    (tmp_path / "monitor.py").write_text(SCRIPT)
    command = [sys.executable, "monitor.py"] if how == "file" else [sys.executable, "-"]
    done = subprocess.run(
        command,
        input=SCRIPT if how == "stdin" else None,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=os.environ | {"BIASWATCH_HOME": str(tmp_path / "home")},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("the script runs") == 1, done.stdout
    statuses = [line.split()[1] for line in done.stdout.splitlines()[1:]]
    # run_execution, then the backfill: the slot that ran already, and the next one.
    assert len(statuses) == 3, done.stdout
    assert set(statuses) <= {"Completed", "CompletedWithViolations"}, done.stdout
