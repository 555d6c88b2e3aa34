"""Reruns from the CLI: late labels, backfill --rerun, a killed run taken over, scheduler --once."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import run_cli
from tests.integration.test_cli_monitor import SLOT, create_schedule, model_url, world
from tests.integration.test_seed_samples import T, capture_traffic

from biaswatch.store import Store

__all__ = ["model_url", "world"]  # the fixtures this module uses

RUN = ["executions", "run", "--schedule", "bias", "--scheduled-time", SLOT]


def _withhold_labels(world: dict[str, Any]) -> Path:
    """Capture the seed's traffic; keep its labels aside (returned) instead of uploading them."""
    capture_traffic({"tmp": world["tmp"]}, bias=True)
    [uploaded] = (world["tmp"] / "ground-truth").rglob("*.jsonl")
    kept: Path = world["tmp"] / "labels.jsonl"
    shutil.move(uploaded, kept)
    return kept


def _upload(world: dict[str, Any], labels: Path, collected_at: str) -> None:
    truth = str(world["tmp"] / "ground-truth")
    command = ["ground-truth", "upload", "--ground-truth-uri", truth, "--labels", str(labels)]
    assert run_cli([*command, "--collected-at", collected_at]) == 0


def _listed(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert run_cli([*args, "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_slot_failed_for_want_of_labels_completes_when_rerun_after_they_arrive(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert create_schedule(world) == 0
    labels = _withhold_labels(world)
    assert run_cli(RUN) == 1
    assert "have ground truth: 0 labels read" in capsys.readouterr().out
    assert run_cli(RUN) == 1  # without --rerun the slot is shown as it is
    _upload(world, labels, "2026-11-24T12:40:00Z")  # two and a half hours late
    assert run_cli([*RUN, "--rerun"]) == 3
    out = capsys.readouterr().out
    assert "CompletedWithViolations (attempt 2)" in out
    [listed] = _listed(capsys, "executions", "list", "--schedule", "bias")
    assert (listed["status"], listed["attempts"]) == ("CompletedWithViolations", 2)
    attempts = _listed(
        capsys, "executions", "attempts", "--schedule", "bias", "--scheduled-time", SLOT
    )
    assert [(a["attempt"], a["trigger"], a["status"]) for a in attempts] == [
        (2, "manual", "CompletedWithViolations"),
        (1, "manual", "Failed"),
    ]
    assert attempts[0]["rows"] == listed["rows"] > 0
    assert attempts[1]["output"].endswith("ll-adult/bias/2026/11/24/10/attempts/1")
    assert (
        run_cli(
            [
                "executions",
                "attempts",
                "--schedule",
                "bias",
                "--scheduled-time",
                "2026-11-24T03:00Z",
            ]
        )
        == 2
    )


def test_backfill_reruns_the_failed_slots(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert create_schedule(world) == 0
    labels = _withhold_labels(world)
    backfill = ["backfill", "--schedule", "bias", "--start", "2026-11-24T08:00Z", "--end", SLOT]
    assert run_cli(backfill) == 1
    assert "3 executions: 0 completed, 0 with violations, 3 failed" in capsys.readouterr().out
    _upload(world, labels, "2026-11-24T11:15:00Z")
    assert run_cli(backfill) == 1  # nothing reruns without --rerun
    assert "3 failed" in capsys.readouterr().out
    assert run_cli([*backfill, "--rerun", "failed"]) == 1  # 08:00 has no capture: fails again
    assert "3 executions: 0 completed, 2 with violations, 1 failed" in capsys.readouterr().out
    listed = _listed(capsys, "executions", "list", "--schedule", "bias")
    assert [(e["status"], e["attempts"]) for e in listed] == [
        ("Failed", 2),
        ("CompletedWithViolations", 2),
        ("CompletedWithViolations", 2),
    ]
    assert run_cli([*backfill, "--rerun", "completed"]) == 2
    assert "--rerun 'completed': choose failed or all" in capsys.readouterr().err


def test_a_killed_run_is_taken_over_by_the_next_rerun(
    world: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slow = tmp_path / "slow"  # while this file exists, the post-analytics script sleeps
    slow.touch()
    script = tmp_path / "post.py"
    script.write_text(
        "import os, time\n"
        "def postprocess_handler():\n"
        f"    while os.path.exists({str(slow)!r}):\n"
        "        time.sleep(0.1)\n"
    )
    assert create_schedule(world, "--post-analytics-script", str(script)) == 0
    capture_traffic({"tmp": world["tmp"]}, bias=True)
    run = subprocess.Popen(
        [sys.executable, "-m", "biaswatch", *RUN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
        start_new_session=True,
    )
    store = Store.open()
    written = world["tmp"] / "reports" / "ll-adult" / "bias" / "2026" / "11" / "24" / "10"
    try:  # killed once its worker wrote the files, while the post-analytics script runs
        deadline = time.monotonic() + 60
        while not (written / "analysis.json").exists():
            if time.monotonic() > deadline:
                pytest.fail("the run never wrote its files")
            time.sleep(0.1)
    finally:
        os.killpg(run.pid, signal.SIGKILL)  # the CLI, its worker and the post-analytics script
        run.wait()
    slot = store.execution_at("bias", T)
    assert slot is not None
    assert slot.status == "InProgress"  # killed: nothing ended it
    # Any process notices that the process is gone, at once (its lease has not run out).
    assert run_cli(RUN) == 1
    assert "that process no longer exists" in capsys.readouterr().out
    slow.unlink()
    assert run_cli([*RUN, "--rerun"]) == 3
    assert "(attempt 2)" in capsys.readouterr().out
    # The killed attempt had written its files: they are kept as attempt 1's.
    [latest, killed] = store.attempts(slot.id)
    assert killed.output_uri == f"{latest.output_uri}/attempts/1"
    assert (Path(killed.output_uri or "") / "analysis.json").exists()
    store.engine.dispose()


def test_scheduler_once_reevaluates_a_slot_whose_labels_grew(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Yearly, so that no slot of its own comes due; a re-evaluation period that holds T today.
    assert (
        create_schedule(world, "--cron", "cron(0 0 1 1 ? *)", "--reevaluate-within", "P3650D") == 0
    )
    lines = _withhold_labels(world).read_text().splitlines(keepends=True)
    half = len(lines) // 2
    on_time, late = world["tmp"] / "on-time.jsonl", world["tmp"] / "late.jsonl"
    on_time.write_text("".join(lines[:half]))
    late.write_text("".join(lines[half:]))
    _upload(world, on_time, "2026-11-24T09:55:00Z")
    assert run_cli(RUN) == 3
    assert run_cli(["scheduler", "--once"]) == 0
    assert "0 executions ran." in capsys.readouterr().out
    _upload(world, late, "2026-11-24T13:00:00Z")  # the other half, three hours late
    assert run_cli(["scheduler", "--once"]) == 3
    out = capsys.readouterr().out
    assert "bias 2026-11-24 10:00 UTC  CompletedWithViolations (attempt 2)" in out
    assert "1 executions ran." in out
    attempts = _listed(
        capsys, "executions", "attempts", "--schedule", "bias", "--scheduled-time", SLOT
    )
    assert [a["trigger"] for a in attempts] == ["late-ground-truth", "manual"]
    assert [a["rows"] for a in attempts] == [len(lines), half]
    create = ["schedules", "create", "x", "--endpoint", "ll-adult", "--ground-truth-uri", "g"]
    assert run_cli([*create, "--reevaluate-within", "P1M"]) == 2
    assert "reevaluate_within = 'P1M'" in capsys.readouterr().err
