"""Live metrics served: the ``biaswatch_live_metric`` gauges and the dashboard's live page."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from httpx import Client
from prometheus_client.parser import text_string_to_metric_families
from tests.live_server import live_server
from tests.live_traffic import NOW, SCHEDULE, live_world, send
from tests.unit.jobs.test_execution import ANALYSIS

from biaswatch.capture import LiveBias
from biaswatch.live import live_metrics
from biaswatch.schedule import Scheduler
from biaswatch.server import create_app
from biaswatch.status import ScheduleStatus


def gauges(text: str) -> dict[tuple[str, ...], float]:
    [family] = [
        f for f in text_string_to_metric_families(text) if f.name == "biaswatch_live_metric"
    ]
    return {
        tuple(
            s.labels[k] for k in ("endpoint", "facet", "facet_value", "metric", "window")
        ): s.value
        for s in family.samples
    }


def test_the_server_serves_live_gauges_and_the_live_page(tmp_path: Path) -> None:
    store, base = live_world(tmp_path)
    send(base, range(60, 10, -1), biased=False)
    send(base, range(10, 0, -1), biased=True, seed=2)  # the last ten minutes: biased
    expected = live_metrics(
        f"{base}/capture/ep/AllTraffic", LiveBias.create(ANALYSIS), now=NOW, windows=[5, 15, 60]
    )
    with live_server(create_app(store, clock=lambda: NOW)) as url, Client(base_url=url) as http:
        served = gauges(http.get("/metrics").text)
        page = http.get("/live?every=7").text
    assert served == {
        ("ep", m.facet, m.facet_value, m.metric, f"{m.window}m"): pytest.approx(m.value)
        for m in expected
    }
    dppl = {w: served[("ep", "sex", "0", "DPPL", w)] for w in ("5m", "15m", "60m")}
    assert dppl["5m"] > dppl["15m"] > dppl["60m"] > 0  # the bias shows first in the shortest
    assert "<meta http-equiv='refresh' content='7'>" in page
    assert "id='live-ep'" in page
    assert f"/schedules/{SCHEDULE}" in page
    assert "last 5 min" in page
    assert "violate the baseline" in page  # the last minutes' DPPL: past the baseline's
    assert "last 60 min" in page


def test_the_live_page_looks_back_at_a_moment(tmp_path: Path) -> None:
    store, base = live_world(tmp_path)
    send(base, range(60, 0, -1), biased=True)
    with live_server(create_app(store)) as url, Client(base_url=url) as http:  # the real clock
        assert "No live counts" in http.get("/live").text  # NOW is long past
        page = http.get("/live", params={"at": NOW.isoformat()}).text
        assert "id='live-ep'" in page
        assert "2026-11-24 16:30:00 UTC" in page
        elsewhere = http.get("/live", params={"at": "2026-11-24T17:30:00+01:00"}).text
        assert "2026-11-24 16:30:00 UTC" in elsewhere  # the same moment, shown in UTC
        assert http.get("/live", params={"at": "2026-11-24T16:30:00"}).status_code == 422


def test_no_live_counts_no_gauges_and_a_page_that_says_how(tmp_path: Path) -> None:
    store, _ = live_world(tmp_path, with_baseline=False)
    with live_server(create_app(store, clock=lambda: NOW)) as url, Client(base_url=url) as http:
        assert "biaswatch_live_metric{" not in http.get("/metrics").text
        page = http.get("/live").text
        assert "No live counts" in page
        assert "LiveBias" in page
        assert http.get("/live?every=0").status_code == 422


def written(path: Path) -> str:
    """The textfile once the scheduler's notifying thread has written it (atomically)."""
    deadline = time.monotonic() + 30
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was not written"
        time.sleep(0.05)
    return path.read_text()


def test_the_scheduler_rewrites_the_textfile_with_live_gauges_every_minute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, base = live_world(tmp_path)
    store.update_schedule(SCHEDULE, now=NOW, status=ScheduleStatus.STOPPED)  # runs nothing
    send(base, range(30, 0, -1), biased=False)
    textfile = tmp_path / "biaswatch.prom"
    monkeypatch.setenv("BIASWATCH_PROMETHEUS_TEXTFILE", str(textfile))
    clock = [NOW]
    scheduler = Scheduler(store, clock=lambda: clock[0])
    try:
        scheduler.tick()
        first = gauges(written(textfile))
        assert first[("ep", "sex", "0", "DPPL", "5m")] == pytest.approx(
            next(m.value for m in live_metrics(
                f"{base}/capture/ep/AllTraffic", LiveBias.create(ANALYSIS), now=NOW, windows=[5]
            ) if m.metric == "DPPL")
        )  # fmt: skip
        textfile.unlink()
        clock[0] = NOW + timedelta(seconds=30)
        scheduler.tick()  # not a minute yet: nothing submitted (the decision is the tick's)
        assert not textfile.exists()
        clock[0] = NOW + timedelta(minutes=1)
        scheduler.tick()
        assert gauges(written(textfile))  # rewritten: the windows moved on
    finally:
        scheduler.close()
