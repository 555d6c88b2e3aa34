"""The dashboard explains itself: ranges, the standing, the rule in words, plain diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import Client
from tests.live_server import live_server
from tests.server_state import SCHEDULE, build_state

from biaswatch.server import create_app
from biaswatch.server.queries import violation_summary
from biaswatch.store import ExecutionStatus, Store, Trigger

T = datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, dict[str, Any]]:
    return build_state(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def client(state: tuple[Store, dict[str, Any]]) -> Iterator[Client]:
    with live_server(create_app(state[0])) as url, Client(base_url=url) as http:
        yield http


def test_the_schedule_page_says_where_the_schedule_stands(client: Client) -> None:
    page = client.get(f"/schedules/{SCHEDULE}").text
    assert "<p class='headline'>Violations since 2026-11-24 10:00 UTC (1 executions):" in page
    assert "on Sex = 0." in page
    assert "2026-11-17 10:01 to 2026-11-24 10:01 UTC (7 days)" in page
    assert "← older" in page
    assert "newer →" not in page
    assert "<td>2026-11-24 09:00 to 10:00</td>" in page  # the data hours of the 10:00 slot
    # Both stages: the post-training metrics by default, one link away from the others.
    assert "<h2>Post-training metrics</h2>" in page
    assert "<h2>Pre-training metrics</h2>" not in page
    assert "Metrics shown: <b>post-training</b>" in page
    everything = client.get(f"/schedules/{SCHEDULE}?stage=all").text
    assert "<h2>Pre-training metrics</h2>" in everything
    assert "share of positive predictions in a minus that in d" in page  # DPPL's meaning
    assert "class='legend'" in page


def test_older_ranges_are_one_click_away(client: Client) -> None:
    page = client.get(f"/schedules/{SCHEDULE}", params={"end": "2026-11-24T08:00:00Z"}).text
    assert page.count("<tr class='execution'>") == 1  # only the 07:00 execution
    assert "newer →" in page
    assert ">latest</a>" in page
    short = client.get(f"/schedules/{SCHEDULE}", params={"days": 0.25}).text
    assert "(0.25 days)" in short
    naive = client.get(f"/schedules/{SCHEDULE}", params={"end": "2026-11-24T08:00:00"})
    assert naive.status_code == 422
    assert client.get(f"/schedules/{SCHEDULE}", params={"days": 0}).status_code == 422


def test_the_series_api_takes_start_end_and_limit(client: Client) -> None:
    path = f"/api/schedules/{SCHEDULE}/series"
    everything = client.get(path, params={"metric": "DPPL"}).json()
    assert [len(s["points"]) for s in everything] == [1]
    [dppl] = everything
    assert dppl["constraint"] == dppl["baseline"]  # SageMaker's suggested constraints
    assert dppl["ideal"] == 0.0
    before = client.get(path, params={"metric": "DPPL", "end": "2026-11-24T09:00:00Z"}).json()
    assert before == []  # the 07:00 execution failed: no points
    after = client.get(path, params={"metric": "DI", "start": "2026-11-24T09:00:00Z"}).json()
    assert after[0]["ideal"] == 1.0
    assert client.get(path, params={"limit": 0}).status_code == 422
    assert client.get(path, params={"start": "2026-11-24T09:00:00"}).status_code == 422
    executions = client.get(
        f"/api/schedules/{SCHEDULE}/executions", params={"start": "2026-11-24T09:00:00Z"}
    ).json()
    assert [e["scheduled_time"] for e in executions] == [T.isoformat()]
    assert (executions[0]["data_start"], executions[0]["data_end"]) == (
        "2026-11-24T09:00:00+00:00", "2026-11-24T10:00:00+00:00",
    )  # fmt: skip


def test_an_execution_page_explains_its_violations_and_diagnostics(
    client: Client, state: tuple[Store, dict[str, Any]]
) -> None:
    page = client.get(f"/executions/{state[1]['violations']}").text
    assert "farther from 0 than the constraint allows" in page
    assert "SageMaker&#x27;s text" in page or "SageMaker's text" in page
    assert "<h2>Metrics against the constraints</h2>" in page
    assert "rows analysed (with ground truth)" in page
    assert "join rate (inferences with ground truth)" in page
    assert "captured_records" not in page
    assert "records_read" not in page
    assert " s." in page
    assert "read " in page
    assert "Data window 2026-11-24 09:00 to 2026-11-24 10:00 UTC" in page
    # Its notification: the receiver without secrets, how it went, when it is tried again.
    table = page[page.index("<h2>Notifications</h2>") :]
    assert "<td>violation</td><td>webhook http://127.0.0.1:9/hooks/…</td>" in table
    assert "<b class='status Pending'>Pending</b>" in table
    assert "could not be reached" in table


def _finish(store: Store, moment: datetime, violated: list[str]) -> None:
    slot = store.add_execution("s", moment, now=moment)
    attempt = store.claim(
        slot.id, owner="o", now=moment, lease=timedelta(minutes=2), trigger=Trigger.SCHEDULED
    )
    assert attempt is not None
    status = ExecutionStatus.COMPLETED_WITH_VIOLATIONS if violated else ExecutionStatus.COMPLETED
    counts = {
        "violated": [
            {"stage": "post_training", "facet": "sex", "facet_value": "0", "metric": m}
            for m in violated
        ]
    }
    store.finish(attempt, status=status, now=moment, counts=counts)


def test_the_standing_is_the_current_episode_of_violations(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    store.create_schedule("s", expression=None, definition={}, now=T)
    row = store.schedule("s")
    assert row is not None
    assert violation_summary(store, row) == "No execution has analysed a window yet."
    _finish(store, T, ["DPPL"])
    _finish(store, T + timedelta(hours=1), [])
    assert violation_summary(store, row) == (
        "No violations in the latest analysed execution (2026-11-24 11:00 UTC)."
    )
    _finish(store, T + timedelta(hours=2), ["RD"])
    _finish(store, T + timedelta(hours=3), ["DAR", "RD"])
    assert violation_summary(store, row) == (
        "Violations since 2026-11-24 12:00 UTC (2 executions): DAR, RD on sex = 0."
    )
    store.engine.dispose()
