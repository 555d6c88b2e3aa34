"""Live-violation notifications: the live metrics judged every minute, announced once per episode.

Real traffic goes through a capture writer that counts live; each minute's round reads the live
counts as the scheduler does (``live_round``) and delivers to real receivers on loopback. The
episode rule itself is checked on a store with made-up live results, and raced by two stores
on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from httpx import Client
from tests.conftest import run_cli
from tests.live_server import live_server
from tests.live_traffic import NOW, SCHEDULE, live_world, send
from tests.postgres import fresh_database
from tests.receivers import SmtpReceiver, WebhookReceiver
from tests.unit.jobs.test_execution import ANALYSIS

from biaswatch.capture import LiveBias
from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.constraints import Violation
from biaswatch.jobs.live import EndpointLive, live_round
from biaswatch.jobs.notifying import decide_live, deliver
from biaswatch.live import LiveMetric, live_metrics
from biaswatch.schedule import Scheduler
from biaswatch.server import create_app
from biaswatch.status import ScheduleStatus
from biaswatch.store import DeliveryRow, Store

SEX0 = ("sex", "0")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'biaswatch.db'}"
        return
    with fresh_database() as url:
        yield url


def _at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def _all_deliveries(store: Store) -> list[DeliveryRow]:
    return [d for e in store.live_episodes(SCHEDULE) for d in store.live_deliveries(e.id)]


def test_live_bias_is_announced_once_when_it_begins_and_once_when_it_ends(
    tmp_path: Path,
    store_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("BIASWATCH_BASE_URL", "https://bias.example.com")
    monkeypatch.setenv("LIVE_SECRET", "shh")
    with (
        WebhookReceiver().running() as hook,
        SmtpReceiver(tmp_path, starttls=False).running() as smtp,
    ):
        receivers: list[Any] = [
            {"url": hook.url + "/hook", "secret_env": "LIVE_SECRET"},
            {"type": "slack", "url": hook.url + "/slack"},
            {"type": "email", "to": ["oncall@example.com"], "host": "127.0.0.1",
             "port": smtp.port, "starttls": False},
        ]  # fmt: skip
        store, base = live_world(
            tmp_path, store_url=store_url, live_violation_window=5, notifications=receivers
        )
        send(base, range(30, 0, -1), biased=False)  # 16:00-16:29: as the baseline
        send(base, range(0, -15, -1), biased=True, seed=2)  # 16:30-16:44: group 0 refused
        send(base, range(-15, -40, -1), biased=False, seed=3)  # 16:45-17:09: fixed
        events: list[tuple[datetime, int]] = []
        for minute in range(-10, 40):
            moment = NOW + timedelta(minutes=minute)
            made = live_round(store, now=moment)
            deliver(store, clock=_at(moment), owner="me")
            if made:
                events.append((moment, made))
        with (
            live_server(create_app(store, clock=lambda: NOW + timedelta(minutes=3))) as url,
            Client(base_url=url) as http,
        ):
            api = http.get(f"/api/schedules/{SCHEDULE}/live-episodes").json()
            page = http.get("/live").text
        [episode] = store.live_episodes(SCHEDULE)
        records = _all_deliveries(store)
        listed = None
        if store_url.startswith("sqlite"):  # the CLI's process keeps its engine till it exits
            monkeypatch.setenv("BIASWATCH_DATABASE_URL", store_url)
            assert run_cli(["schedules", "live-episodes", SCHEDULE]) == 0
            listed = capsys.readouterr().out
        bias = LiveBias.create(ANALYSIS)
        began = events[0][0]
        five = {
            m.metric: m
            for m in live_metrics(f"{base}/capture/ep/AllTraffic", bias, now=began, windows=[5])
            if (m.facet, m.facet_value) == SEX0
        }
        assert store.delete_schedule(SCHEDULE)  # with its episodes and their deliveries
        assert store.live_episodes(SCHEDULE) == []
        store.engine.dispose()

    # Two events: the bias shows within the 5-minute window, and ends 5 quiet minutes after it.
    [(start, _), (end, _)] = events
    assert NOW < start <= NOW + timedelta(minutes=5)
    assert episode.ended_at == end
    assert end == episode.last_violated_at + timedelta(minutes=5)
    assert NOW + timedelta(minutes=15) < end <= NOW + timedelta(minutes=25)
    # Each event reached each receiver once.
    assert [(r.path, r.json.get("event")) for r in hook.received if r.path == "/hook"] == [
        ("/hook", "live-violation"), ("/hook", "live-resolved"),
    ]  # fmt: skip
    assert len([r for r in hook.received if r.path == "/slack"]) == 2
    assert [m["X-Biaswatch-Event"] for m in smtp.messages] == ["live-violation", "live-resolved"]
    assert {(d.status, d.tries) for d in records} == {("Delivered", 1)}
    assert sorted((d.attempt, d.event) for d in records) == [
        (1, "live-violation")] * 3 + [(2, "live-resolved")] * 3  # fmt: skip
    # What the webhook got: the live values over the window, beside the baseline's.
    first = hook.received[0]
    body = first.json
    assert first.headers["X-Biaswatch-Signature"].startswith("sha256=")
    assert body["id"] == f"{SCHEDULE}/{start:%Y-%m-%dT%H:%M:%SZ}/1/live-violation"
    assert (body["endpoint"], body["window_minutes"], body["trigger"]) == ("ep", 5, "live")
    assert body["link"] == "https://bias.example.com/live"
    assert body["execution_id"] is None
    violated = {v["metric_name"]: v for v in body["violations"]}
    assert set(violated) <= {"DPPL", "DI"}
    assert "DPPL" in violated
    assert violated["DPPL"]["value"] == five["DPPL"].value
    assert violated["DPPL"]["value"] > 0.3  # group 0 nearly never predicted positive
    assert all(v["new"] for v in violated.values())
    assert "confidence interval [" in violated["DPPL"]["constraint"]["rule"]
    assert hook.received[2].json["violations"] == []  # live-resolved
    email = smtp.messages[0]
    assert email["Subject"].startswith(
        f"[biaswatch] {SCHEDULE}: live bias violates the baseline on endpoint ep over the last"
        " 5 minutes at"
    )
    assert "Live window: the last 5 minutes of traffic" in email.get_content()
    slack = next(r.json for r in hook.received if r.path == "/slack")
    assert (
        "<https://bias.example.com/live|Open the live panel>" in slack["blocks"][0]["text"]["text"]
    )
    # The record: the episode, shown by the API and under the endpoint's live panel.
    assert sorted(map(tuple, episode.violated)) == sorted((*SEX0, m) for m in violated)
    assert (episode.events, episode.window_minutes, episode.endpoint_name) == (2, 5, "ep")
    [shown] = api
    assert shown["began_at"] == start.isoformat()
    assert {n["event"] for n in shown["notifications"]} == {"live-violation", "live-resolved"}
    assert "Live violations over the last 5 minutes are notified." in page
    assert "class='live-episode'" in page
    assert "live-violation → webhook http://127.0.0.1" in page
    if listed is not None:
        assert f"{episode.summary}" in listed
        assert "DPPL on sex = 0" in episode.summary
        assert "live-resolved to email" in listed
        assert f"{start:%Y-%m-%d %H:%M}" in listed


# ------------------------------------------------ the episode rule, on made-up live results

WINDOW = 5
T = NOW


def _definition(**changes: Any) -> MonitoringJobDefinition:
    fields: dict[str, Any] = {
        "schedule_name": SCHEDULE,
        "endpoint_input": {"endpoint_name": "ep", "capture_uri": "/capture"},
        "ground_truth_uri": "/truth",
        "output_uri": "/out",
        "analysis_config": ANALYSIS,
        "baseline_constraints_uri": "/baseline/analysis.json",
        "live_violation_window": WINDOW,
    }
    return MonitoringJobDefinition(**(fields | changes))


def _live(*violated: str, records: int = 100) -> EndpointLive:
    """A schedule's live result: DPPL and DI of sex = 0 over the window, ``violated`` ones."""
    values = {"DPPL": 0.4, "DI": 0.5}
    metrics = tuple(
        LiveMetric(*SEX0, metric, WINDOW, value if records else None, records)
        for metric, value in values.items()
    )
    violations = {
        (*SEX0, metric, WINDOW): Violation(
            "post_training_bias_metrics", *SEX0, metric, values[metric], 0.05
        )
        for metric in violated
    }
    return EndpointLive("ep", SCHEDULE, metrics, {}, violations, WINDOW)


def _store(url: str, notifications: list[Any]) -> Store:
    store = Store.open(url)
    store.create_schedule(
        SCHEDULE,
        expression="cron(0 * ? * * *)",
        definition=_definition(notifications=notifications).model_dump(mode="json"),
        now=T,
    )
    return store


def test_an_episode_tells_when_it_grows_and_a_window_without_records_changes_nothing(
    store_url: str,
) -> None:
    with WebhookReceiver().running() as hook:
        store = _store(store_url, [hook.url])
        definition = _definition(notifications=[hook.url])
        looks = [
            _live("DPPL"), _live("DPPL"), _live("DPPL", "DI"), _live("DI"), _live(),
            _live(records=0), _live(records=0), _live(records=0), _live(records=0),
            _live(records=0), _live(), _live("DI"),
        ]  # fmt: skip
        made = []
        for minute, live in enumerate(looks):
            moment = T + timedelta(minutes=minute)
            made.append(decide_live(store, definition, live, now=moment))
            deliver(store, clock=_at(moment), owner="me")
        episodes = store.live_episodes(SCHEDULE)
        store.engine.dispose()
    # 0: begins; 2: DI joins; 3: DI alone is no news; 4-9: quiet but 5-9 hold no records;
    # 10: five minutes after the last violation (3), with records: ends; 11: a new episode.
    assert made == [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert hook.events() == ["live-violation", "live-violation", "live-resolved", "live-violation"]
    grown = hook.received[1].json
    assert {v["metric_name"]: v["new"] for v in grown["violations"]} == {"DI": True, "DPPL": False}
    assert grown["attempt"] == 2
    assert hook.received[2].json["attempt"] == 3
    assert [(e.events, e.ended_at is None) for e in episodes] == [(1, True), (3, False)]
    assert episodes[1].last_violated_at == T + timedelta(minutes=3)
    assert sorted(map(tuple, episodes[1].violated)) == [(*SEX0, "DI"), (*SEX0, "DPPL")]


def test_two_processes_on_postgresql_announce_each_live_event_once() -> None:
    with fresh_database() as url, WebhookReceiver(delay=0.02).running() as hook:
        stores = [_store(url, [hook.url, hook.url + "/2"]), Store.open(url)]
        definition = _definition(notifications=[hook.url, hook.url + "/2"])
        # Three episodes: begin, grow, end (five minutes after the last violation).
        cycle = [_live("DPPL"), _live("DPPL", "DI"), *[_live()] * 5]
        looks = cycle * 3
        barrier = threading.Barrier(2)
        made: list[int] = []

        def minutes(store: Store, owner: str) -> None:
            for minute, live in enumerate(looks):
                moment = T + timedelta(minutes=minute)
                barrier.wait()
                made.append(decide_live(store, definition, live, now=moment))
                deliver(store, clock=_at(moment), owner=owner)

        threads = [
            threading.Thread(target=minutes, args=(s, owner))
            for s, owner in zip(stores, ("a", "b"), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = _all_deliveries(stores[0])
        for store in stores:
            store.engine.dispose()
    assert sum(made) == 9  # 3 episodes × (begin, grow, end), each made by one of the two
    sent = Counter((r.path, r.json["id"]) for r in hook.received)
    assert len(sent) == 18
    assert set(sent.values()) == {1}  # each event to each receiver once
    assert len(records) == 18
    assert {(d.status, d.tries) for d in records} == {("Delivered", 1)}


def test_the_scheduler_notifies_live_violations_of_scheduled_schedules_only(
    tmp_path: Path,
) -> None:
    with WebhookReceiver().running() as hook:
        store, base = live_world(tmp_path, live_violation_window=5, notifications=[hook.url])
        send(base, range(20, 0, -1), biased=True)
        store.update_schedule(SCHEDULE, now=NOW, status=ScheduleStatus.STOPPED)
        Scheduler(store, clock=lambda: NOW).run_once()
        assert hook.received == []  # a stopped schedule is not watched live either
        store.update_schedule(SCHEDULE, now=NOW, status=ScheduleStatus.SCHEDULED)
        ran = Scheduler(store, clock=lambda: NOW).run_once()
        store.engine.dispose()
    assert ran == []  # no slot was due: the schedule was created at NOW
    assert hook.events() == ["live-violation"]  # decided and delivered in the same round
