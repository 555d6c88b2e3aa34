"""What a user does first after ``pip install 'biaswatch[EXTRA]'``, run inside that fresh venv.

``python install_smoke.py EXTRA GOLDEN_CASE`` uses nothing but the standard library and the
installed biaswatch. Each check prints one line; the first failure raises. The settings come
from the environment the driver (``scripts/check_install.py``) prepares: an S3 server, a
PostgreSQL database, a CloudWatch server, Java for Spark.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

EXTRAS = {
    "core": set(),
    "ft": {"ft"},
    "s3": {"s3"},
    "postgres": {"postgres"},
    "cloudwatch": {"cloudwatch"},
    "server": {"server"},
    "demo": {"demo", "server", "ft"},
    "spark": {"spark"},
    "all": {"ft", "s3", "postgres", "cloudwatch", "server", "demo", "spark"},
}
T = datetime(2026, 11, 24, 10, tzinfo=UTC)
BIN = Path(sys.executable).parent


def biaswatch(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the venv's ``biaswatch`` command; fail unless it exits 0."""
    done = subprocess.run(
        [str(BIN / "biaswatch"), *args], capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise AssertionError(f"biaswatch {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    return done


def close(expected: Any, actual: Any) -> bool:
    """Equal, floats to 1e-12 relative (the golden corpus's tolerance)."""
    if isinstance(expected, float) and isinstance(actual, float):
        return math.isclose(expected, actual, rel_tol=1e-12, abs_tol=0.0)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            close(expected[k], actual[k]) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(close, expected, actual))
    return bool(expected == actual)


def without_ft(document: dict[str, Any]) -> dict[str, Any]:
    """The analysis without its FT entries (FT needs the ``ft`` extra)."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    for entries in copy["post_training_bias_metrics"]["facets"].values():
        for entry in entries:
            entry["metrics"] = [m for m in entry["metrics"] if m["name"] != "FT"]
    return copy


def check_analyze(case: Path, output: str, *, ft: bool) -> None:
    """``biaswatch analyze`` on a golden case equals SageMaker Clarify's numbers."""
    biaswatch(
        "analyze",
        *("--analysis-config", str(case / "analysis_config.json")),
        *("--dataset", str(case / "dataset.csv")),
        *("--output-dir", output),
    )
    from biaswatch.storage import join, read_bytes

    actual = json.loads(read_bytes(join(output, "analysis.json")))
    expected = json.loads((case / "expected_analysis.json").read_text())
    if not ft:
        actual, expected = without_ft(actual), without_ft(expected)
    assert close(expected, actual), "analysis.json differs from the golden case"
    print(f"analyze {case.name} -> {output}: equal to Clarify{'' if ft else ' (FT aside)'}")


def check_monitoring(folder: Path, *, engine: Literal["local", "spark"]) -> None:
    """Baseline, an hour of captured traffic with late labels, one execution: it completes."""
    from biaswatch.capture import GroundTruthRecord, upload_ground_truth
    from biaswatch.capture.config import DataCaptureConfig
    from biaswatch.capture.registry import register_endpoint
    from biaswatch.capture.writer import CaptureWriter
    from biaswatch.clarify import BiasConfig, DataConfig
    from biaswatch.examples import example_path
    from biaswatch.model_monitor import CronExpressionGenerator, EndpointInput, ModelBiasMonitor

    example = example_path("adult")
    records = [json.loads(line) for line in (example / "validation.jsonl").open()]
    headers = json.loads((example / "analysis_config.json").read_text())["headers"]
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=str(folder / "capture")
    )
    register_endpoint("smoke", str(folder / "capture"))
    with CaptureWriter(config, endpoint_name="smoke", clock=lambda: T - timedelta(minutes=30)) as w:
        for number, record in enumerate(records):
            w.capture(
                request_body=",".join(map(str, record["features"])).encode(),
                request_content_type="text/csv",
                response_body=str(record["score"]).encode(),
                response_content_type="text/csv",
                inference_id=str(number),
            )
    labels = [GroundTruthRecord.of(str(n), r["label"]) for n, r in enumerate(records)]
    upload_ground_truth(str(folder / "ground-truth"), labels, collected_at=T - timedelta(minutes=5))

    monitor = ModelBiasMonitor(role="unused", clock=lambda: T)
    monitor.suggest_baseline(
        data_config=DataConfig(
            s3_data_input_path=str(example / "validation.jsonl"),
            s3_output_path=str(folder / "baseline"),
            label="label",
            headers=headers,
            features="features",
            dataset_type="application/jsonlines",
            predicted_label="predicted_label",
        ),
        bias_config=BiasConfig(
            label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0]
        ),
    )
    monitor.create_monitoring_schedule(
        monitor_schedule_name=f"smoke-{engine}",
        endpoint_input=EndpointInput(
            endpoint_name="smoke",
            destination="/opt/ml/processing/input/endpoint",
            start_time_offset="-PT1H",
            end_time_offset="-PT0H",
            probability_threshold_attribute=0.46301859617233276,
        ),
        ground_truth_input=str(folder / "ground-truth"),
        output_s3_uri=str(folder / "reports"),
        constraints=monitor.suggested_constraints(),
        schedule_cron_expression=CronExpressionGenerator.hourly(),
        engine=engine,
    )
    execution = monitor.run_execution(scheduled_time=T)
    described = execution.describe()
    status = described["MonitoringExecutionStatus"]
    assert status in ("Completed", "CompletedWithViolations"), described
    print(f"monitoring execution (engine {engine}, {len(records)} records): {status}")
    if os.environ.get("BIASWATCH_CLOUDWATCH") == "send":
        sent = (execution.row.counts or {})["cloudwatch"]
        assert sent["status"] == "Sent", sent
        print(f"CloudWatch: {sent['metrics']} metrics sent")


def check_server() -> None:
    """``biaswatch server`` answers its health check and its dashboard, then stops on SIGTERM."""
    server = subprocess.Popen(
        [str(BIN / "biaswatch"), "server", "--port", "0", "--no-scheduler"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        found = re.search(r"Dashboard: (http://\S+/)", server.stdout.readline())
        assert found, "the server printed no dashboard URL"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(found.group(1) + "api/health", timeout=2) as answer:
                    assert json.loads(answer.read())["status"] == "ok"
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(found.group(1), timeout=5) as answer:
            assert b"biaswatch" in answer.read()
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate()
    print(f"server: {found.group(1)} answered /api/health and the dashboard")


def check_demo(folder: Path) -> None:
    """``biaswatch demo`` runs end to end and finds the injected bias."""
    done = biaswatch("demo", "--folder", str(folder / "demo"), timeout=900)
    assert "violations in 8 of 8 hours from then, 0 of 16 before" in done.stdout, done.stdout
    print("demo: violations in 8 of 8 biased hours, 0 of 16 before")


def main(extra: str, case: Path) -> None:
    """Run the checks that fit ``extra``."""
    extras = EXTRAS[extra]
    biaswatch("--help")
    print(biaswatch("--version").stdout.strip())
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        check_analyze(case, str(folder / "analysis"), ft="ft" in extras)
        if "s3" in extras:
            check_analyze(case, os.environ["SMOKE_S3_URI"] + f"/{extra}", ft="ft" in extras)
        check_monitoring(folder / "local", engine="local")
        if "spark" in extras:
            check_monitoring(folder / "spark", engine="spark")
        if "server" in extras:
            check_server()
        if "demo" in extras:
            check_demo(folder)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
