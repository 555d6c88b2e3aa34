"""``biaswatch demo`` end to end: a simulated day, violations from the injected hour on."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import Client
from tests.conftest import run_cli
from tests.live_server import live_server

from biaswatch.capture import LiveBias
from biaswatch.demo import DemoResult, DemoSettings, HourSummary
from biaswatch.live import live_metrics
from biaswatch.storage import read_bytes
from biaswatch.store import Store

ROW = re.compile(r"^│ (\d\d):00-\d\d:00( \*)? +│ +([\d,]+) │ (\w+) +│ (\d+)", re.MULTILINE)


def test_the_demo_shows_violations_from_the_injected_hour(demo_run: tuple[Path, str]) -> None:
    folder, out = demo_run

    printed = {
        int(hour): (bool(mark), rows, status, int(found))
        for hour, mark, rows, status, found in ROW.findall(out)
    }
    assert sorted(printed) == list(range(24)), out
    for hour, (biased, rows, status, found) in printed.items():
        assert rows == "1,000"
        assert biased == (hour >= 16)
        assert (status, found > 0) == (
            ("CompletedWithViolations", True) if hour >= 16 else ("Completed", False)
        ), out
    assert "violations in 8 of 8 hours from then, 0 of 16 before" in out
    # Half of 18:00's labels came at 22:00: re-evaluation revised that hour, and only that one.
    assert "rerun as attempt 2: 500 → 1,000 rows with ground truth" in out
    revised = [line for line in out.splitlines() if "late labels" in line]
    assert len(revised) == 1
    assert revised[0].startswith("│ 18:00-19:00 *")
    assert "attempt 2 (late labels: 500 rows at first)" in revised[0]
    database = f"sqlite:///{folder / 'biaswatch.db'}"
    assert f"BIASWATCH_DATABASE_URL={database}" in out

    store = Store.open(database)
    executions = store.executions("demo-income-bias")
    assert len(executions) == 24
    day = executions[0].scheduled_time - timedelta(hours=1)
    assert [e.scheduled_time for e in executions] == [
        day + timedelta(hours=h) for h in range(1, 25)
    ]
    violations = {
        (e.scheduled_time - day).total_seconds() // 3600 - 1: e.counts["violations"]
        for e in executions
        if e.counts
    }
    assert [hour for hour, found in sorted(violations.items()) if found] == list(range(16, 24))
    assert [(e.scheduled_time.hour, e.attempts) for e in executions if e.attempts > 1] == [(19, 2)]
    [slot] = [e for e in executions if e.attempts > 1]
    assert [a.trigger for a in store.attempts(slot.id)] == ["late-ground-truth", "manual"]
    schedule = store.schedule("demo-income-bias")
    assert schedule is not None
    assert schedule.status == "Stopped"
    # Nothing went to the biaswatch home the demo was started with.
    assert not (folder.parent / "home").exists()


LIVE = re.compile(r"live DPPL of women against men over the last 30 min.*: (.*)")


def test_the_demo_s_live_counts_give_every_hour_s_dppl_and_turn_with_the_bias(
    demo_run: tuple[Path, str],
) -> None:
    """Live DPPL over each traffic hour equals that hour's execution's, exactly; the half-hour
    readings printed around 16:00 rise once the bias starts, before 16:00's execution."""
    folder, out = demo_run
    [printed] = LIVE.findall(out)
    assert re.search(r"Live panel as of 16:30: http://\S+/live\?at=\d{4}-\d\d-\d\dT16:30:00Z", out)
    readings = [
        (moment, float(value)) for moment, value in re.findall(r"(\d\d:\d\d) ([-+][\d.]+)", printed)
    ]
    assert [moment for moment, _ in readings] == ["15:00", "15:30", "16:00", "16:30", "17:00"]
    before = max(value for moment, value in readings if moment <= "16:00")
    assert min(value for moment, value in readings if moment > "16:00") > before
    config = json.loads((folder / "monitoring" / "analysis_config.json").read_text())
    bias = LiveBias.create(config, probability_threshold=config["probability_threshold"])
    capture = str(folder / "capture" / "demo-income" / "AllTraffic")
    store = Store.open(f"sqlite:///{folder / 'biaswatch.db'}")
    executions = store.executions("demo-income-bias")
    assert len(executions) == 24
    for execution in executions:
        analysis = json.loads(read_bytes(f"{execution.output_uri}/analysis.json"))
        [entry] = analysis["post_training_bias_metrics"]["facets"]["sex"]
        hourly = {m["name"]: m["value"] for m in entry["metrics"]}["DPPL"]
        live = live_metrics(capture, bias, now=execution.scheduled_time, windows=[60])
        assert [m.value for m in live if m.metric == "DPPL"] == [hourly], execution.scheduled_time


def test_the_folder_must_be_new_or_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    assert run_cli(["demo", "--folder", str(tmp_path)]) == 2
    assert "new or empty folder" in capsys.readouterr().err


def test_serve_starts_the_dashboard_on_the_demo_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'biaswatch.db'}"
    Store.open(database)
    start = datetime(2026, 11, 23, 15, tzinfo=UTC)

    def run_demo(settings: DemoSettings, reporter: Any) -> DemoResult:
        assert settings.folder == tmp_path
        return DemoResult(
            folder=tmp_path,
            database_url=database,
            schedule_name="demo-income-bias",
            endpoint_name="demo-income",
            bias_start=start + timedelta(hours=1),
            hours=(
                HourSummary(start, "Completed", 1000, ()),
                HourSummary(start + timedelta(hours=1), "CompletedWithViolations", 1000, ("RD",)),
            ),
            seconds={"traffic": 1.0, "total": 2.0},
        )

    served: dict[str, Any] = {}

    def serve(app: Any, *, sock: socket.socket) -> None:
        served.update(app=app, address=sock.getsockname())
        sock.close()

    import biaswatch.demo
    import biaswatch.server

    monkeypatch.setattr(biaswatch.demo, "run_demo", run_demo)  # the command imports it when run
    monkeypatch.setattr(biaswatch.server, "serve", serve)
    assert run_cli(["demo", "--folder", str(tmp_path), "--serve", "--port", "0"]) == 0
    out = capsys.readouterr().out
    host, port = served["address"]
    assert host == "127.0.0.1"
    assert port > 0
    assert f"Dashboard: http://127.0.0.1:{port}/ (serving; Ctrl-C to stop)" in out
    assert "violations in 1 of 1 hours from then, 0 of 1 before" in out
    with live_server(served["app"]) as url, Client(base_url=url) as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/schedules").json() == []  # the (empty) demo store is served
