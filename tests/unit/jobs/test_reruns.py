"""Reruns: attempts, late labels, kept files, takeover of an attempt whose process is gone."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.capture_data import T, capture, write_capture, write_truth
from tests.receivers import WebhookReceiver
from tests.unit.jobs.test_execution import baseline, definition, rows

from biaswatch.capture import GroundTruthRecord
from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.config.notifications import WebhookNotification
from biaswatch.errors import ScheduleError
from biaswatch.jobs.runner import LEASE, run_and_record
from biaswatch.store import ExecutionStatus, Store, Trigger, process_owner

DATA = rows(300, biased=True, seed=9)
SLOT = "ep/hourly-bias/2026/11/24/10"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'store.db'}")


def _setup(
    tmp_path: Path, store: Store, *, expression: str = "cron(0 * ? * * *)", **changes: Any
) -> MonitoringJobDefinition:
    """A schedule over 300 captured inferences in T's window, with no ground truth yet."""
    base = str(tmp_path / "data")
    write_capture(
        f"{base}/capture",
        [capture(i, f"{s},{x}", str(p)).to_line() for i, (s, x, _, p) in enumerate(DATA)],
    )
    job = definition(base, baseline_constraints_uri=baseline(base, rows(300, biased=False)))
    job = job.model_copy(update=changes)
    store.create_schedule(
        job.schedule_name,
        expression=expression,
        definition=job.model_dump(mode="json"),
        now=T,
    )
    return job


def _labels(job: MonitoringJobDefinition, keys: range, *, hour: datetime, name: str) -> None:
    records = [GroundTruthRecord(str(i), str(DATA[i][2])) for i in keys]
    write_truth(job.ground_truth_uri, records, hour=hour, name=name)


def _at(moment: datetime) -> Any:
    return lambda: moment


def test_failed_for_want_of_labels_then_labels_arrive_and_a_rerun_completes(
    tmp_path: Path, store: Store
) -> None:
    script = tmp_path / "post.py"
    script.write_text(
        "import os, pathlib\n"
        "def postprocess_handler():\n"
        "    out = pathlib.Path(os.environ['output_path'])\n"
        "    told = os.environ['biaswatch_trigger'] + ' ' + os.environ['biaswatch_attempt']\n"
        "    (out / 'told.txt').write_text(told)\n"
    )
    job = _setup(tmp_path, store, post_analytics_processor_script=str(script))
    first = run_and_record(store, job, T, owner="me", clock=_at(T + timedelta(minutes=5)))
    assert first.status == ExecutionStatus.FAILED
    assert "0 of 300 captured records have ground truth" in (first.failure_reason or "")
    # Without rerun, asking again changes nothing (SageMaker's slot runs once).
    assert run_and_record(store, job, T, owner="me", clock=_at(T)).attempts == 1

    _labels(job, range(300), hour=T + timedelta(hours=2), name="late")
    later = T + timedelta(hours=2, minutes=30)
    second = run_and_record(store, job, T, owner="me", clock=_at(later), rerun=True)
    assert second.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS
    assert second.counts is not None
    assert second.counts["rows"] == 300
    assert (second.attempt, second.attempts, second.revised) == (2, 2, True)
    assert second.output_uri == f"{job.output_uri}/{SLOT}"

    attempts = store.attempts(second.id)
    assert [(a.number, a.trigger, a.status) for a in attempts] == [
        (2, "manual", "CompletedWithViolations"),
        (1, "manual", "Failed"),
    ]
    assert attempts[0].ground_truth_until == later
    assert attempts[1].ground_truth_until is None  # the first attempt: SageMaker's window
    assert [f[0] for f in attempts[0].ground_truth_files or []] == ["2026/11/24/12/late.jsonl"]
    # The slot's folder holds the latest attempt's files; the earlier ones are kept below it.
    folder = Path(second.output_uri or "")
    assert attempts[1].output_uri == f"{second.output_uri}/attempts/1"
    kept = Path(attempts[1].output_uri or "")
    assert sorted(p.name for p in kept.iterdir()) == ["diagnostics.json", "told.txt"]
    assert json.loads((kept / "diagnostics.json").read_text())["status"] == "Failed"
    assert (kept / "told.txt").read_text() == "manual 1"
    assert (folder / "told.txt").read_text() == "manual 2"
    diagnostics = json.loads((folder / "diagnostics.json").read_text())
    assert (diagnostics["attempt"], diagnostics["trigger"]) == (2, "manual")
    assert diagnostics["window"]["ground_truth_until"] == later.isoformat()
    assert {p.name for p in folder.iterdir()} >= {
        "analysis.json", "constraint_violations.json", "report.html", "attempts",
    }  # fmt: skip
    assert len(store.metric_series(job.schedule_name, metric="DPPL")) == 1


def test_the_failure_and_the_revision_by_late_labels_are_notified(
    tmp_path: Path, store: Store
) -> None:
    with WebhookReceiver().running() as receiver:
        job = _setup(
            tmp_path, store, notifications=(WebhookNotification(url=receiver.url + "/hook"),)
        )
        run_and_record(store, job, T, owner="me", clock=_at(T + timedelta(minutes=5)))
        assert receiver.events() == ["failed"]
        assert (
            "0 of 300 captured records have ground truth"
            in (receiver.received[0].json["failure_reason"])
        )
        _labels(job, range(300), hour=T + timedelta(hours=2), name="late")
        later = T + timedelta(hours=2, minutes=30)
        run_and_record(store, job, T, owner="me", clock=_at(later), rerun=True)
    assert receiver.events() == ["failed", "revised"]
    revised = receiver.received[1].json
    assert (revised["previous_status"], revised["status"], revised["attempt"]) == (
        "Failed", "CompletedWithViolations", 2,
    )  # fmt: skip
    assert {v["metric_name"] for v in revised["violations"]} >= {"DPPL"}
    assert all(v["value"] is not None and v["constraint"]["value"] is not None
               for v in revised["violations"])  # fmt: skip


def test_labels_uploaded_three_hours_late_count_in_a_rerun_only(
    tmp_path: Path, store: Store
) -> None:
    job = _setup(tmp_path, store)
    _labels(job, range(0, 150), hour=T, name="on-time")
    _labels(job, range(150, 300), hour=T + timedelta(hours=3), name="late")
    # Even run after the late labels were uploaded, the first attempt reads SageMaker's window.
    first = run_and_record(store, job, T, owner="me", clock=_at(T + timedelta(hours=4)))
    assert first.counts is not None
    assert (first.counts["rows"], first.counts["rows_without_ground_truth"]) == (150, 150)
    dppl_first = store.metric_series(job.schedule_name, metric="DPPL")

    again = run_and_record(
        store, job, T, owner="me", clock=_at(T + timedelta(hours=4)), rerun=True,
        trigger=Trigger.BACKFILL,
    )  # fmt: skip
    assert again.counts is not None
    assert (again.counts["rows"], again.counts["rows_without_ground_truth"]) == (300, 0)
    dppl_again = store.metric_series(job.schedule_name, metric="DPPL")
    assert len(dppl_again) == 1
    assert dppl_again[0].value != dppl_first[0].value
    assert [a.trigger for a in store.attempts(again.id)] == ["backfill", "manual"]
    archived = Path(job.output_uri) / SLOT / "attempts" / "1"
    analysis = json.loads((archived / "analysis.json").read_text())
    assert analysis != json.loads((Path(again.output_uri or "") / "analysis.json").read_text())
    # CloudWatch's data is re-sent for the slot's own timestamp.
    request = json.loads((Path(again.output_uri or "") / "cloudwatch_metrics.json").read_text())
    assert {m["Timestamp"] for m in request["MetricData"]} == {T.isoformat()}
    assert (archived / "cloudwatch_metrics.json").exists()


def test_a_rerun_reads_late_labels_only_within_the_schedules_period(
    tmp_path: Path, store: Store
) -> None:
    job = _setup(tmp_path, store, reevaluate_within="PT2H")
    _labels(job, range(0, 100), hour=T + timedelta(hours=1), name="within")
    _labels(job, range(100, 300), hour=T + timedelta(hours=3), name="too-late")
    run_and_record(store, job, T, owner="me", clock=_at(T))
    again = run_and_record(store, job, T, owner="me", clock=_at(T + timedelta(days=1)), rerun=True)
    assert again.counts is not None
    assert again.counts["rows"] == 100
    [latest, _] = store.attempts(again.id)
    assert latest.ground_truth_until == T + timedelta(hours=2)


def test_a_rerun_of_a_running_slot_is_refused_with_what_to_do(tmp_path: Path, store: Store) -> None:
    job = _setup(tmp_path, store)
    slot = store.add_execution(job.schedule_name, T, now=T)
    owner = f"{process_owner('manual')}/live"
    assert store.claim(slot.id, owner=owner, now=T, lease=LEASE, trigger=Trigger.MANUAL)
    with pytest.raises(ScheduleError, match=r"is running \(attempt 1, in .*; wait for it"):
        run_and_record(store, job, T, owner="me", clock=_at(T), rerun=True)
    # Without rerun, the running slot is returned as it is.
    assert run_and_record(store, job, T, owner="me", clock=_at(T)).status == "InProgress"


def test_a_rerun_takes_over_a_slot_whose_process_is_gone(tmp_path: Path, store: Store) -> None:
    job = _setup(tmp_path, store)
    _labels(job, range(300), hour=T, name="a")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    slot = store.add_execution(job.schedule_name, T, now=T)
    owner = f"{socket.gethostname()}:{gone.pid}:manual/dead"
    assert store.claim(slot.id, owner=owner, now=T, lease=LEASE, trigger=Trigger.MANUAL)
    # Its lease has not run out, but its process is gone: anyone ends it, before the lease.
    ended = run_and_record(store, job, T, owner="me", clock=_at(T))
    assert ended.status == ExecutionStatus.FAILED
    assert "that process no longer exists" in (ended.failure_reason or "")
    rerun = run_and_record(store, job, T, owner="me", clock=_at(T), rerun=True)
    assert (rerun.status, rerun.attempt) == (ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 2)
    assert [a.status for a in store.attempts(slot.id)] == ["CompletedWithViolations", "Failed"]


def test_a_rerun_after_an_expired_lease_on_another_host_takes_over(
    tmp_path: Path, store: Store
) -> None:
    job = _setup(tmp_path, store)
    _labels(job, range(300), hour=T, name="a")
    slot = store.add_execution(job.schedule_name, T, now=T)
    owner = "elsewhere:77:scheduler/x"
    assert store.claim(slot.id, owner=owner, now=T, lease=LEASE, trigger=Trigger.SCHEDULED)
    with pytest.raises(ScheduleError):  # another host's attempt, lease still valid
        run_and_record(store, job, T, owner="me", clock=_at(T + LEASE / 2), rerun=True)
    rerun = run_and_record(store, job, T, owner="me", clock=_at(T + LEASE * 2), rerun=True)
    assert (rerun.status, rerun.attempt) == (ExecutionStatus.COMPLETED_WITH_VIOLATIONS, 2)
    assert "lease expired" in (store.attempts(slot.id)[1].failure_reason or "")
