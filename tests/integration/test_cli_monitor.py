"""The monitoring CLI end to end: endpoints, baseline (an HTTP model), schedules, executions,
backfill and the scheduler daemon, with SageMaker's exit codes and clear errors."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import run_cli
from tests.integration.test_seed_samples import HEADERS, capture_traffic, records
from tests.model_server import model_server

from biaswatch.store import Store

SLOT = "2026-11-24T10:00:00Z"


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with model_server() as server:
        yield server.url


@pytest.fixture
def world(tmp_path: Path, model_url: str) -> dict[str, Any]:
    """An endpoint with a URL and a baseline computed by calling it."""
    dataset = tmp_path / "validation.csv"
    dataset.write_text("".join(",".join(map(str, [*f, y])) + "\n" for f, y in records()))
    config = tmp_path / "analysis_config.json"
    config.write_text(
        json.dumps(
            {
                "dataset_type": "text/csv",
                "headers": HEADERS,
                "label": "Target",
                "label_values_or_threshold": [1],
                "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
                "group_variable": "Age",
                "probability_threshold": 0.8,
                "methods": {
                    "pre_training_bias": {"methods": "all"},
                    "post_training_bias": {"methods": "all"},
                },
            }
        )
    )
    capture = str(tmp_path / "capture")
    assert (
        run_cli(["endpoints", "register", "ll-adult", "--capture-uri", capture, "--url", model_url])
        == 0
    )
    assert (
        run_cli(
            [
                "baseline",
                "--dataset",
                str(dataset),
                "--analysis-config",
                str(config),
                "--output-uri",
                str(tmp_path / "baseline"),
                "--endpoint",
                "ll-adult",
                "--name",
                "adult-baseline",
            ]
        )
        == 0
    )
    return {"tmp": tmp_path, "capture": capture}


def create_schedule(world: dict[str, Any], *extra: str) -> int:
    return run_cli(
        [
            "schedules",
            "create",
            "bias",
            "--endpoint",
            "ll-adult",
            "--ground-truth-uri",
            str(world["tmp"] / "ground-truth"),
            "--baseline-job",
            "adult-baseline",
            "--output-uri",
            str(world["tmp"] / "reports"),
            "--probability-threshold",
            "0.8",
            *extra,
        ]
    )


def test_baseline_schedule_run_backfill_and_lifecycle(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (world["tmp"] / "baseline" / "analysis.json").exists()
    assert create_schedule(world) == 0
    capture_traffic({"tmp": world["tmp"]}, bias=True)

    assert run_cli(["executions", "run", "--schedule", "bias", "--scheduled-time", SLOT]) == 3
    out = capsys.readouterr().out
    assert "CompletedWithViolations" in out
    assert "ll-adult/bias/2026/11/24/10" in out

    # 08:00 reads the 07 and 08 hour folders: nothing (Failed). 09:00 reads the 09 folder,
    # where the traffic is. 10:00 ran already and is not run again.
    code = run_cli(
        [
            "backfill",
            "--schedule",
            "bias",
            "--start",
            "2026-11-24T08:00",
            "--end",
            "2026-11-24T10:00",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "3 executions: 0 completed, 2 with violations, 1 failed" in out
    assert "no captured records in" in out

    assert run_cli(["executions", "list", "--schedule", "bias", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["scheduled_time"][11:16], e["status"]) for e in listed] == [
        ("08:00", "Failed"),
        ("09:00", "CompletedWithViolations"),
        ("10:00", "CompletedWithViolations"),
    ]
    assert listed[0]["failure_reason"].startswith("no captured records in")
    assert run_cli(["executions", "list", "--schedule", "bias"]) == 0
    assert "status" in capsys.readouterr().out  # a table, for people

    assert run_cli(["endpoints", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["endpoint"] == "ll-adult"
    assert run_cli(["schedules", "list", "--json"]) == 0
    schedule = json.loads(capsys.readouterr().out)
    assert (schedule["schedule"], schedule["input"], schedule["last_status"]) == (
        "bias",
        "ll-adult",
        "CompletedWithViolations",
    )
    assert run_cli(["schedules", "stop", "bias"]) == 0
    assert run_cli(["schedules", "describe", "bias"]) == 0
    described = capsys.readouterr().out
    assert '"MonitoringScheduleStatus": "Stopped"' in described
    assert run_cli(["schedules", "start", "bias"]) == 0
    assert run_cli(["schedules", "delete", "bias"]) == 0
    assert run_cli(["schedules", "describe", "bias"]) == 2
    assert "no monitoring schedule called 'bias'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--batch-capture-uri", "/tmp/x"], "Need to have either batch_transform_input"),
        (["--cron", "cron(0 * * * *)"], "AWS cron has 6 fields, this has 5"),
        (["--start-offset", "-PT1X"], "-PT1X"),
        (["--cron", "NOW", "--start-offset", "-PT2H"], None),
        (["--engine", "bogus"], "--engine 'bogus' is not one of local, spark, auto"),
        (["--engine", "spark"], None),
        (["--rule", "loose"], "rule"),
        (["--rule", "significant", "--confidence-level", "0.99", "--min-facet-size", "30"], None),
    ],
    ids=[
        "both-inputs",
        "bad-cron",
        "bad-offset",
        "now",
        "bad-engine",
        "spark-engine",
        "bad-rule",
        "significant-rule",
    ],
)
def test_schedule_creation_errors(
    world: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str | None,
) -> None:
    code = create_schedule(world, *extra)
    if message is None:
        assert code == 0
        return
    assert code == 2
    assert message in capsys.readouterr().err


def test_bad_names_and_times_are_config_errors(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["executions", "run", "--schedule", "nope", "--scheduled-time", SLOT]) == 2
    assert "no monitoring schedule called 'nope'" in capsys.readouterr().err
    assert create_schedule(world) == 0
    assert run_cli(["executions", "run", "--schedule", "bias", "--scheduled-time", "noon"]) == 2
    assert "--scheduled-time 'noon' is not an ISO-8601 time" in capsys.readouterr().err
    assert (
        run_cli(
            [
                "schedules",
                "create",
                "x",
                "--endpoint",
                "ll-adult",
                "--ground-truth-uri",
                "/tmp/gt",
                "--baseline-job",
                "missing",
            ]
        )
        == 2
    )
    assert "no baselining job called 'missing'" in capsys.readouterr().err
    assert (
        run_cli(
            [
                "baseline",
                "--dataset",
                "/nonexistent.csv",
                "--analysis-config",
                str(world["tmp"] / "analysis_config.json"),
                "--output-uri",
                "/tmp/o",
                "--endpoint",
                "unregistered",
            ]
        )
        == 2
    )
    assert "endpoint 'unregistered' has no URL" in capsys.readouterr().err


def test_the_scheduler_serves_metrics_and_stops_cleanly_on_sigterm(
    world: dict[str, Any],
) -> None:
    assert create_schedule(world) == 0
    capture_traffic({"tmp": world["tmp"]}, bias=True)
    assert run_cli(["executions", "run", "--schedule", "bias", "--scheduled-time", SLOT]) == 3
    # The schedule is stopped so that the daemon, on the real clock, starts nothing.
    assert run_cli(["schedules", "stop", "bias"]) == 0
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "biaswatch",
            "scheduler",
            "--poll-interval",
            "0.2",
            "--metrics-port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert daemon.stdout is not None
        seen = [daemon.stdout.readline() for _ in range(2)]
        port = re.search(r":(\d+)/metrics", "".join(seen))
        assert port, seen
        deadline = time.monotonic() + 20
        body = ""
        while "biaswatch_bias_metric" not in body and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/metrics") as r:
                body = r.read().decode()
        assert 'schedule="bias"' in body
        assert 'biaswatch_last_execution_violations{endpoint="ll-adult",schedule="bias"}' in body
        daemon.send_signal(signal.SIGTERM)
        output, _ = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
        daemon.communicate()  # reaps it and closes its pipe
    assert daemon.returncode == 0
    assert "SIGTERM" in output
    assert "Scheduler stopped." in output
    assert Store.open().schedule("bias") is not None
