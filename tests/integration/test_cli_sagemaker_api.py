"""The SageMaker-shaped operations through the CLI: ``schedules update``, ``executions
describe`` and ``executions stop``, and the checks a schedule meets at creation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import run_cli
from tests.s3_server import silent_server
from tests.unit.test_sagemaker_api import stalled_storage

SLOT = "2026-11-24T10:00:00Z"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "analysis_config.json"
    path.write_text(
        json.dumps(
            {
                "headers": ["sex", "x", "y"],
                "label": "y",
                "label_values_or_threshold": [1],
                "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
            }
        )
    )
    assert run_cli(["endpoints", "register", "ep", "--capture-uri", str(tmp_path / "cap")]) == 0
    return path


def create(config: Path, *extra: str) -> int:
    return run_cli(
        [
            "schedules",
            "create",
            "s",
            "--endpoint",
            "ep",
            "--ground-truth-uri",
            str(config.parent / "gt"),
            "--analysis-config",
            str(config),
            *extra,
        ]
    )


def described(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    capsys.readouterr()
    assert run_cli([*args, "--json"]) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def test_update_a_schedule(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert create(config) == 0
    before = described(capsys, "schedules", "describe", "s")
    arguments = ["--cron", "cron(0 */2 ? * * *)", "--start-offset", "-PT2H", "--max-runtime"]
    assert run_cli(["schedules", "update", "s", *arguments, "600"]) == 0
    assert "Updated schedule s." in capsys.readouterr().out
    after = described(capsys, "schedules", "describe", "s")
    definition = after["Definition"]
    assert isinstance(definition, dict)
    assert definition["endpoint_input"]["start_time_offset"] == "-PT2H"
    assert definition["max_runtime_in_seconds"] == 600
    schedule = after["MonitoringScheduleConfig"]
    assert isinstance(schedule, dict)
    assert schedule["ScheduleConfig"] == {"ScheduleExpression": "cron(0 */2 ? * * *)"}
    assert after["MonitoringScheduleArn"] == before["MonitoringScheduleArn"]
    assert after["EndpointName"] == "ep"
    # Switching to a batch-transform capture; an impossible window is refused (exit 2).
    batch = str(config.parent / "batch")
    switch = ["schedules", "update", "s", "--batch-capture-uri", batch]
    assert run_cli([*switch, "--dataset-format", "parquet"]) == 0
    definition = described(capsys, "schedules", "describe", "s")["Definition"]
    assert isinstance(definition, dict)
    assert definition["endpoint_input"] is None
    assert definition["batch_transform_input"]["data_captured_destination_s3_uri"] == batch
    assert definition["batch_transform_input"]["dataset_format"] == {"Parquet": {}}
    assert run_cli([*switch, "--dataset-format", "avro"]) == 2
    assert "--dataset-format = 'avro': not one of csv" in capsys.readouterr().err
    assert run_cli(["schedules", "update", "s", "--start-offset", "-PT0H"]) == 2
    assert "must come before its end offset" in capsys.readouterr().err
    assert run_cli(["schedules", "update", "nope", "--cron", "NOW"]) == 2


def test_creation_checks(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert create(config, "--rule", "significant") == 2
    assert "set confidence_level (e.g. 0.99) too" in capsys.readouterr().err
    assert create(config, "--post-analytics-script", str(config.parent / "nope.py")) == 2
    assert "nope.py' does not exist" in capsys.readouterr().err
    one_day_too_long = ["--cron", "NOW", "--start-offset", "-PT25H"]
    assert create(config, *one_day_too_long) == 2
    assert "spans 25 hours" in capsys.readouterr().err
    assert create(config) == 0
    assert "gt' does not exist yet" in capsys.readouterr().err  # a warning, not an error


def test_describe_and_stop_an_execution(
    config: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert create(config) == 0
    assert run_cli(["executions", "run", "--schedule", "s", "--scheduled-time", SLOT]) == 1
    document = described(
        capsys, "executions", "describe", "--schedule", "s", "--scheduled-time", SLOT
    )
    assert document["ProcessingJobStatus"] == "Failed"
    assert str(document["ProcessingJobName"]).startswith("model-bias-monitoring-202611241000-")
    assert str(document["ExitMessage"]).startswith("no captured records in")
    assert run_cli(["executions", "describe", "--schedule", "s", "--scheduled-time", "x"]) == 2
    slot = "2026-11-24T11:00:00Z"
    assert run_cli(["executions", "describe", "--schedule", "s", "--scheduled-time", slot]) == 2
    assert "has no execution at 2026-11-24T11:00:00+00:00" in capsys.readouterr().err
    # Not running: nothing to stop (exit 1), the execution is left as it is.
    assert run_cli(["executions", "stop", "--schedule", "s", "--scheduled-time", SLOT]) == 1
    assert "Failed: no captured records" in capsys.readouterr().out


def test_stop_a_running_execution_from_another_process(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with silent_server() as (url, connected):
        stalled_storage(monkeypatch, url)
        assert run_cli(["endpoints", "register", "stalled", "--capture-uri", "s3://b/c"]) == 0
        arguments = ["schedules", "create", "s", "--endpoint", "stalled", "--analysis-config"]
        assert run_cli([*arguments, str(config), "--ground-truth-uri", str(config.parent)]) == 0
        command = [sys.executable, "-m", "biaswatch", "executions"]
        slot = ["--schedule", "s", "--scheduled-time", SLOT]
        environment = os.environ | {"COLUMNS": "160"}
        running = subprocess.Popen(
            [*command, "run", *slot], env=environment, stdout=subprocess.PIPE, text=True
        )
        try:
            assert connected.wait(timeout=60)  # its worker is blocked reading the capture
            stopped = subprocess.run(
                [*command, "stop", *slot],
                env=environment,
                capture_output=True,
                text=True,
                check=False,
            )
            assert stopped.returncode == 0, stopped.stderr
            assert "Stopped: stopped on request at" in stopped.stdout
            output, _ = running.communicate(timeout=30)
        finally:
            if running.poll() is None:
                running.kill()
    assert running.returncode == 1  # the run ends Stopped
    assert "Stopped: stopped on request" in output
