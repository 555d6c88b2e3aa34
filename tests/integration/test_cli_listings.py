"""The CLI's listings at 80 columns, their ``--json``, and ``schedules create --facet-value-label``.

A store holds a schedule with a long name and executions with the longest status, long
failure reasons (brackets, newlines, a long path) and a rerun. At 80 columns no default cell is
cut (no ``…``), no line is wider than the terminal, times read ``2026-11-25 16:00`` with "UTC"
said once; ``--wide`` shows the reasons and outputs whole; ``--json`` gives every field with full
ISO-8601 times, equal to the store's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import GOLDEN, run_cli

from biaswatch.cli.common import console
from biaswatch.status import ExecutionStatus, Trigger
from biaswatch.store import Store

SCHEDULE = "churn-model-bias-hourly"
ENDPOINT = "churn-model"
CONFIG = str(GOLDEN / "case-000" / "analysis_config.json")
T = datetime(2026, 11, 25, 14, tzinfo=UTC)
NO_TRAFFIC = (
    "no captured records in [2026-11-25T15:00:00+00:00, 2026-11-25T16:00:00+00:00] under"
    " /srv/biaswatch/capture/churn-model/AllTraffic/2026/11/25/15/and/a/very/long/tail/of/folders:"
    " the endpoint sent no traffic in that hour"
)
DIED = "the worker died (signal 9); its stderr ended:\n[notice] pip is old\n[/tmp/x] gone"
LATE = T + timedelta(hours=6)
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


@pytest.fixture(autouse=True)
def columns_80(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(console, "_width", None)  # a COLUMNS seen at import would win


def _finish(
    store: Store,
    moment: datetime,
    status: ExecutionStatus,
    *,
    reason: str | None = None,
    counts: dict[str, Any] | None = None,
    rerun: bool = False,
) -> None:
    row = store.add_execution(SCHEDULE, moment, now=moment)
    attempt = store.claim(
        row.id,
        owner="test:1",
        now=moment + (LATE - T if rerun else timedelta()),
        lease=timedelta(minutes=5),
        trigger=Trigger.LATE_GROUND_TRUTH if rerun else Trigger.SCHEDULED,
        rerun=rerun,
        ground_truth_until=LATE if rerun else None,
    )
    assert attempt is not None
    output = f"/srv/biaswatch/reports/{ENDPOINT}/{SCHEDULE}/{moment:%Y/%m/%d/%H}"
    ended = attempt.started_at + timedelta(seconds=42)
    assert store.finish(
        attempt, status=status, now=ended, failure_reason=reason, output_uri=output, counts=counts
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """The schedule, and executions at 14:00 … 19:00 (17:00 failed, then rerun); 20:00 pending."""
    capture = tmp_path / "a-rather-long-capture-root-for-the-churn-model-endpoint" / "capture"
    assert (
        run_cli(["endpoints", "register", ENDPOINT, "--capture-uri", str(capture),
                 "--url", "http://127.0.0.1:8080/invocations"])
        == 0
    )  # fmt: skip
    create = ["schedules", "create", SCHEDULE, "--endpoint", ENDPOINT, "--ground-truth-uri",
              str(tmp_path / "ground-truth"), "--analysis-config", CONFIG]  # fmt: skip
    assert (
        run_cli([*create, "--facet-value-label", "0=female", "--facet-value-label", "1=male"]) == 0
    )
    store = Store.open()
    _finish(store, T, ExecutionStatus.COMPLETED, counts={"rows": 1000, "violations": 0})
    _finish(
        store,
        T + timedelta(hours=1),
        ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
        counts={"rows": 1_234_567, "violations": 3, "violated": ["DPPL", "DI", "AD"]},
    )
    _finish(store, T + timedelta(hours=2), ExecutionStatus.FAILED, reason=NO_TRAFFIC)
    _finish(store, T + timedelta(hours=3), ExecutionStatus.FAILED, reason=DIED, counts={"rows": 0})
    _finish(
        store,
        T + timedelta(hours=3),
        ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
        counts={"rows": 987, "violations": 1},
        rerun=True,
    )
    _finish(store, T + timedelta(hours=4), ExecutionStatus.STOPPED, reason="ran 3600 s: stopped")
    store.add_execution(SCHEDULE, T + timedelta(hours=5), now=T)
    yield store
    store.engine.dispose()


def _out(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert run_cli(list(args)) == 0
    return capsys.readouterr().out


LISTINGS = {
    "executions list": ["executions", "list", "--schedule", SCHEDULE],
    "executions attempts": ["executions", "attempts", "--schedule", SCHEDULE,
                            "--scheduled-time", "2026-11-25T17:00Z"],
    "schedules list": ["schedules", "list"],
    "endpoints list": ["endpoints", "list"],
}  # fmt: skip


def _fits(text: str) -> None:
    assert "…" not in text
    assert [line for line in text.splitlines() if len(line) > 80] == []


TABLES = [(listing, wide) for listing in LISTINGS for wide in (False, True)]
TABLES.remove(("endpoints list", True))  # it has no --wide: it shows every field


@pytest.mark.parametrize(
    ("listing", "wide"), TABLES, ids=[f"{name}{' --wide' if wide else ''}" for name, wide in TABLES]
)
def test_tables_fit_80_columns_uncut(
    store: Store, capsys: pytest.CaptureFixture[str], listing: str, wide: bool
) -> None:
    text = _out(capsys, *LISTINGS[listing], *(["--wide"] if wide else []))
    _fits(text)
    lines = text.splitlines()
    rule = next(n for n, line in enumerate(lines) if line.startswith("─"))
    assert (
        lines[rule - 1].split()
        == {
            "executions list": ["scheduled", "status", "attempts", "violations", "rows"],
            "executions attempts": ["attempt", "trigger", "status", "started", "rows"],
            "schedules list": ["schedule", "status", "last", "execution", "last", "status"],
            "endpoints list": ["endpoint", "variant"],
        }[listing]
    )
    if listing != "endpoints list":
        assert " ".join(lines[: rule - 1]).endswith("(times in UTC)")


def test_executions_list_shows_whole_statuses_and_short_times(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _out(capsys, *LISTINGS["executions list"])
    rows = re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d)  +(\S+) +(\d+)", text, re.MULTILINE)
    assert rows == [
        ("2026-11-25 14:00", "Completed", "1"),
        ("2026-11-25 15:00", "CompletedWithViolations", "1"),
        ("2026-11-25 16:00", "Failed", "1"),
        ("2026-11-25 17:00", "CompletedWithViolations", "2"),
        ("2026-11-25 18:00", "Stopped", "1"),
        ("2026-11-25 19:00", "Pending", "0"),
    ]
    assert "1,234,567" in text
    assert not ISO.search(text)  # the reasons' ISO times are not shown by default
    assert "no captured records" not in text
    assert "(--wide adds: reason, output; --json gives every field)" in text


def test_wide_shows_every_reason_and_output_whole(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    text = _out(capsys, *LISTINGS["executions list"], "--wide")
    squeezed = "".join(text.split())
    for reason in (NO_TRAFFIC, "ran 3600 s: stopped"):
        assert "".join(reason.split()) in squeezed
    assert "[notice]" not in text  # 17:00 shows its latest attempt, which completed
    assert f"/srv/biaswatch/reports/{ENDPOINT}/{SCHEDULE}/2026/11/25/14" in squeezed
    attempts = _out(capsys, *LISTINGS["executions attempts"], "--wide")
    _fits(attempts)
    assert re.search(
        r"^  reason: +the worker died \(signal 9\); its stderr ended:$", attempts, re.M
    )
    assert "[notice] pip is old" in attempts
    assert "[/tmp/x] gone" in attempts
    assert "late-ground-truth" in attempts
    assert "ground truth until: 2026-11-25 20:00" in attempts


def _json_lines(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in _out(capsys, *args, "--json").splitlines()]


def _time(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    return moment


def test_json_round_trips_every_listing(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    listed = _json_lines(capsys, *LISTINGS["executions list"])
    rows = store.executions(SCHEDULE)
    assert len(listed) == len(rows) == 6
    for item, row in zip(listed, rows, strict=True):
        assert _time(item["scheduled_time"]) == row.scheduled_time
        assert _time(item["started_at"]) == row.started_at
        assert _time(item["ended_at"]) == row.ended_at
        assert (item["status"], item["attempt"], item["attempts"]) == (
            row.status,
            row.attempt,
            row.attempts,
        )
        assert (item["failure_reason"], item["output"], item["counts"]) == (
            row.failure_reason,
            row.output_uri,
            row.counts,
        )
        assert item["schedule"] == SCHEDULE
    assert listed[2]["failure_reason"] == NO_TRAFFIC
    assert listed[1]["counts"]["violated"] == ["DPPL", "DI", "AD"]

    attempts = _json_lines(capsys, *LISTINGS["executions attempts"])
    assert [(a["attempt"], a["trigger"], a["status"]) for a in attempts] == [
        (2, "late-ground-truth", "CompletedWithViolations"),
        (1, "scheduled", "Failed"),
    ]
    assert attempts[1]["failure_reason"] == DIED
    assert _time(attempts[0]["ground_truth_until"]) == LATE
    assert _time(attempts[1]["ground_truth_until"]) is None
    assert (attempts[0]["rows"], attempts[0]["violations"]) == (987, 1)

    [schedule] = _json_lines(capsys, *LISTINGS["schedules list"])
    assert (schedule["schedule"], schedule["input"], schedule["expression"]) == (
        SCHEDULE,
        ENDPOINT,
        "cron(0 * ? * * *)",
    )
    assert (_time(schedule["last_scheduled_time"]), schedule["last_status"]) == (
        T + timedelta(hours=5),
        "Pending",
    )
    assert _time(schedule["created_at"]) is not None

    [endpoint] = _json_lines(capsys, *LISTINGS["endpoints list"])
    assert endpoint["endpoint"] == ENDPOINT
    assert endpoint["url"] == "http://127.0.0.1:8080/invocations"
    assert endpoint["capture_uri"].endswith("churn-model-endpoint/capture")

    described = _out(capsys, "schedules", "describe", SCHEDULE, "--json")
    assert described.count("\n") == 1
    document = json.loads(described)
    assert json.loads(_out(capsys, "schedules", "describe", SCHEDULE)) == document
    assert document["MonitoringScheduleName"] == SCHEDULE
    assert _time(document["CreationTime"]) is not None
    summary = document["LastMonitoringExecutionSummary"]
    assert summary["MonitoringExecutionStatus"] == "Pending"


def test_empty_listings(capsys: pytest.CaptureFixture[str]) -> None:
    assert _out(capsys, "schedules", "list") == "Schedules\n(none)\n"
    assert _out(capsys, "schedules", "list", "--json") == ""
    assert _out(capsys, "endpoints", "list") == "Endpoints\n(none)\n"


def test_facet_value_labels_reach_the_schedule(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    row = store.schedule(SCHEDULE)
    assert row is not None
    assert row.definition["facet_value_labels"] == {"0": "female", "1": "male"}
    document = json.loads(_out(capsys, "schedules", "describe", SCHEDULE, "--json"))
    assert document["Definition"]["facet_value_labels"] == {"0": "female", "1": "male"}


@pytest.mark.parametrize(
    "labels",
    [["female"], ["=female"], ["0="], ["0=female=f"], ["0=female", "0=woman"]],
    ids=["no-equals", "no-value", "no-name", "two-equals", "named-twice"],
)
def test_a_malformed_facet_value_label_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], labels: list[str]
) -> None:
    create = ["schedules", "create", "s", "--batch-capture-uri", str(tmp_path / "batch"),
              "--ground-truth-uri", str(tmp_path / "gt"), "--analysis-config", CONFIG]  # fmt: skip
    options = [part for label in labels for part in ("--facet-value-label", label)]
    assert run_cli([*create, *options]) == 2
    error = " ".join(capsys.readouterr().err.split())
    assert f"--facet-value-label {labels[-1]!r}" in error
    store = Store.open()
    assert store.schedule("s") is None
    assert run_cli([*create, "--facet-value-label", " 0 = female "]) == 0
    row = store.schedule("s")
    assert row is not None
    assert row.definition["facet_value_labels"] == {"0": "female"}
    store.engine.dispose()
