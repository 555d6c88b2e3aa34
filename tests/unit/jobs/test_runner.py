"""Executions recorded in the store: once per slot, metric points, worker limits, post-analytics."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.capture_data import T
from tests.unit.jobs.test_execution import baseline, capture_window, definition, rows

from biaswatch.jobs.runner import run_and_record
from biaswatch.jobs.worker import run_in_worker
from biaswatch.store import ExecutionStatus, Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'store.db'}")


def _setup(tmp_path: Path, store: Store, **changes: Any) -> Any:
    base = str(tmp_path / "data")
    capture_window(base, rows(300, biased=True, seed=9))
    job = definition(
        base, baseline_constraints_uri=baseline(base, rows(300, biased=False)), **changes
    )
    store.create_schedule(
        job.schedule_name,
        expression="cron(0 * ? * * *)",
        definition=job.model_dump(mode="json"),
        now=T,
    )
    return job


def test_an_execution_is_recorded_once(tmp_path: Path, store: Store) -> None:
    job = _setup(tmp_path, store)
    row = run_and_record(store, job, T, owner="me", clock=lambda: T)
    assert row.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    assert row.output_uri == f"{tmp_path}/data/reports/ep/hourly-bias/2026/11/24/10"
    assert row.counts is not None
    assert row.counts["rows"] == 300
    assert row.counts["violations"] > 0
    series = store.metric_series(job.schedule_name, metric="DPPL")
    assert [p.stage for p in series] == ["post_training"]
    again = run_and_record(store, job, T, owner="other", clock=lambda: T)
    assert (again.id, again.attempts, again.status) == (row.id, 1, row.status)
    assert len(store.metric_series(job.schedule_name, metric="DPPL")) == 1


def test_a_run_over_its_time_limit_is_stopped(tmp_path: Path, store: Store) -> None:
    job = _setup(tmp_path, store)
    outcome = run_in_worker(job, T, timeout=0.01)
    assert outcome.status is ExecutionStatus.STOPPED
    assert "max_runtime_in_seconds=0.01" in (outcome.failure_reason or "")


def test_post_analytics_runs_and_its_failure_hides_nothing(tmp_path: Path, store: Store) -> None:
    script = tmp_path / "post.py"
    script.write_text(
        "import os, pathlib\n"
        "def postprocess_handler():\n"
        "    out = pathlib.Path(os.environ['output_path'])\n"
        "    (out / 'post.txt').write_text(os.environ['sagemaker_endpoint_name'])\n"
    )
    job = _setup(tmp_path, store, post_analytics_processor_script=str(script))
    row = run_and_record(store, job, T, owner="me", clock=lambda: T)
    assert row.counts is not None
    assert row.counts["post_analytics"]["status"] == "Completed"
    assert (Path(row.output_uri or "") / "post.txt").read_text() == "ep"

    broken = tmp_path / "broken.py"
    broken.write_text("def postprocess_handler():\n    raise RuntimeError('no luck')\n")
    store.delete_schedule(job.schedule_name)
    job = _setup(tmp_path, store, post_analytics_processor_script=str(broken))
    row = run_and_record(store, job, T, owner="me", clock=lambda: T)
    assert row.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    assert row.counts is not None
    assert row.counts["post_analytics"]["status"] == "Failed"
    assert "no luck" in row.counts["post_analytics"]["detail"]


def test_post_analytics_sees_no_secrets_runs_after_failures_and_reports_to_diagnostics(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    monkeypatch.setenv("BIASWATCH_API_TOKEN", "do-not-leak-either")
    script = tmp_path / "post.py"
    script.write_text(
        "import json, os\n"
        "def postprocess_handler():\n"
        "    seen = {k: os.environ.get(k) for k in ('AWS_SECRET_ACCESS_KEY',\n"
        "        'BIASWATCH_API_TOKEN', 'WEBHOOK_SECRET', 'baseline_constraints',\n"
        "        'biaswatch_execution_status', 'biaswatch_failure_reason')}\n"
        "    print(json.dumps(seen))\n"
        "    raise SystemExit(3 if seen['biaswatch_execution_status'] == 'Failed' else 0)\n"
    )
    job = _setup(
        tmp_path, store, post_analytics_processor_script=str(script),
        environment={"WEBHOOK_SECRET": "named-by-the-schedule"},
    )  # fmt: skip
    row = run_and_record(store, job, T, owner="me", clock=lambda: T)
    assert row.counts is not None
    report = row.counts["post_analytics"]
    assert (report["status"], report["exit_code"]) == ("Completed", 0)
    seen = json.loads(report["detail"])
    assert seen["AWS_SECRET_ACCESS_KEY"] is None
    assert seen["BIASWATCH_API_TOKEN"] is None
    assert seen["WEBHOOK_SECRET"] == "named-by-the-schedule"
    assert seen["baseline_constraints"] == job.baseline_constraints_uri
    assert seen["biaswatch_execution_status"] == "CompletedWithViolations"
    diagnostics = json.loads((Path(row.output_uri or "") / "diagnostics.json").read_text())
    assert diagnostics["post_analytics"] == report

    empty = T + timedelta(hours=5)  # no capture: the execution fails, the script still runs
    failed = run_and_record(store, job, empty, owner="me", clock=lambda: empty)
    assert failed.status == ExecutionStatus.FAILED
    assert failed.counts is not None
    report = failed.counts["post_analytics"]
    assert (report["status"], report["exit_code"]) == ("Failed", 3)
    diagnostics = json.loads((Path(failed.output_uri or "") / "diagnostics.json").read_text())
    assert diagnostics["post_analytics"]["exit_code"] == 3
