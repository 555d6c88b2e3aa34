"""Deciding and delivering notifications over a real store, to receivers on loopback.

Attempts are ended through the store as a worker ends them; the events, the delivery records,
the retries and their bound are checked against what the receivers got.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.postgres import fresh_database
from tests.receivers import WebhookReceiver

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.constraints import Violation
from biaswatch.jobs.notifying import RETRY_DELAYS, decide, deliver, notify
from biaswatch.store import (
    DeliveryRow,
    DeliveryStatus,
    ExecutionRow,
    ExecutionStatus,
    Store,
    Trigger,
)

T = datetime(2026, 11, 24, 10, tzinfo=UTC)
LEASE = timedelta(minutes=2)
DPPL = Violation("post_training_bias_metrics", "sex", "0", "DPPL", 0.31, 0.12)
DI = Violation("post_training_bias_metrics", "sex", "0", "DI", 0.52, 0.9)
C, V, F, S = (
    ExecutionStatus.COMPLETED,
    ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
    ExecutionStatus.FAILED,
    ExecutionStatus.STOPPED,
)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.engine.dispose()


def _schedule(store: Store, notifications: Sequence[Any], name: str = "hourly") -> None:
    definition = MonitoringJobDefinition(
        schedule_name=name,
        endpoint_input=EndpointInputDefinition(endpoint_name="ep", capture_uri="/capture"),
        ground_truth_uri="/truth",
        output_uri="/out",
        analysis_config={},
        notifications=notifications,
    )
    store.create_schedule(
        name, expression="cron(0 * ? * * *)", definition=definition.model_dump(mode="json"), now=T
    )


def _begin(store: Store, hour: int, *, rerun: bool = False, name: str = "hourly") -> Any:
    slot = store.add_execution(name, T + timedelta(hours=hour), now=T)
    trigger = Trigger.LATE_GROUND_TRUTH if rerun else Trigger.SCHEDULED
    attempt = store.claim(slot.id, owner="w", now=T, lease=LEASE, trigger=trigger, rerun=rerun)
    assert attempt is not None
    return attempt


def _end(store: Store, attempt: Any, status: ExecutionStatus, *violations: Violation) -> None:
    counts = {"violations": len(violations), "violated": [v.record() for v in violations]}
    reason = "no captured records in the window" if status == F else None
    assert store.finish(attempt, status=status, now=T, failure_reason=reason, counts=counts)


def _run(
    store: Store, hour: int, status: ExecutionStatus, *violations: Violation, **how: Any
) -> None:
    _end(store, _begin(store, hour, **how), status, *violations)


def _deliveries(store: Store, name: str = "hourly") -> list[DeliveryRow]:
    return [d for slot in store.executions(name) for d in store.deliveries(slot.id)]


def test_each_event_reaches_every_receiver_once_with_its_record(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "shh")
    monkeypatch.setenv("BIASWATCH_BASE_URL", "https://bias.example.com/")
    with WebhookReceiver().running() as receiver:
        _schedule(
            store,
            [
                {"url": receiver.url + "/hook", "secret_env": "HOOK_SECRET"},
                {"type": "slack", "url": receiver.url + "/slack"},
            ],
        )
        slots: list[tuple[ExecutionStatus, tuple[Violation, ...]]] = [
            (C, ()), (V, (DPPL,)), (V, (DPPL,)), (V, (DPPL, DI)), (F, ()), (F, ()), (V, (DI,)),
            (S, ()), (C, ()),
        ]  # fmt: skip
        for hour, (status, violations) in enumerate(slots):
            _run(store, hour, status, *violations)
        notify(store, clock=Clock(T), owner="me")
        notify(store, clock=Clock(T), owner="me")  # nothing more
    hooks = [r for r in receiver.received if r.path == "/hook"]
    assert [r.json["event"] for r in hooks] == ["violation", "violation", "failed", "resolved"]
    assert len([r for r in receiver.received if r.path == "/slack"]) == 4
    first, grown, failed, resolved = (r.json for r in hooks)
    assert first["scheduled_time"] == (T + timedelta(hours=1)).isoformat()
    assert first["violations"] == [
        {
            "metric_name": "DPPL",
            "stage": "post_training",
            "facet": "sex",
            "facet_value": "0",
            "value": 0.31,
            "constraint": {
                "value": 0.12,
                "rule": "|0.31| > |0.12|: farther from 0 than the constraint allows",
            },
            "new": True,
        }
    ]
    assert [v["new"] for v in grown["violations"]] == [False, True]  # DI joined the episode
    assert grown["violations"][1]["metric_name"] == "DI"
    assert failed["failure_reason"] == "no captured records in the window"
    assert failed["violations"] == []
    assert resolved["status"] == "Completed"
    slot = store.execution_at("hourly", T + timedelta(hours=8))
    assert slot is not None
    assert resolved["link"] == f"https://bias.example.com/executions/{slot.id}"
    for request in hooks:
        timestamp = request.headers["X-Biaswatch-Timestamp"]
        signed = hmac.new(b"shh", f"{timestamp}.".encode() + request.body, hashlib.sha256)
        assert request.headers["X-Biaswatch-Signature"] == "sha256=" + signed.hexdigest()
    records = _deliveries(store)
    assert len(records) == 8
    assert {(d.status, d.tries, d.last_error) for d in records} == {("Delivered", 1, None)}
    shown = records[0].to_json()
    assert shown["receiver"] in (f"webhook {receiver.url}/hook", f"slack {receiver.url}/slack")
    assert shown["status"] == "Delivered"
    assert shown["next_try_at"] is None


def test_a_rerun_that_changes_the_result_is_revised_and_one_that_does_not_is_silent(
    store: Store,
) -> None:
    with WebhookReceiver().running() as receiver:
        _schedule(store, [receiver.url])
        _run(store, 0, F)
        _run(store, 0, V, DPPL, rerun=True)
        _run(store, 0, V, DPPL, rerun=True)
        notify(store, clock=Clock(T), owner="me")
    assert receiver.events() == ["failed", "revised"]
    revised = receiver.received[1].json
    assert (revised["previous_status"], revised["status"]) == ("Failed", "CompletedWithViolations")
    assert (revised["attempt"], revised["trigger"]) == (2, "late-ground-truth")
    assert revised["id"] == "hourly/2026-11-24T10:00:00Z/2/revised"


def test_a_slot_waits_while_an_earlier_slot_runs(store: Store) -> None:
    with WebhookReceiver().running() as receiver:
        _schedule(store, [receiver.url])
        _run(store, 0, C)
        earlier = _begin(store, 1)  # still running
        _run(store, 2, V, DPPL)
        assert decide(store, now=T) == 1  # the slot at 0 only
        [(waiting, _)] = store.unnoticed()
        assert waiting.scheduled_time == T + timedelta(hours=2)
        _end(store, earlier, V, DPPL)
        notify(store, clock=Clock(T), owner="me")
    # The episode began at 1; the slot at 2 violated nothing new.
    assert [(r.json["event"], r.json["scheduled_time"]) for r in receiver.received] == [
        ("violation", (T + timedelta(hours=1)).isoformat())
    ]


def test_a_receiver_that_fails_then_recovers_gets_it_after_retries_with_backoff(
    store: Store,
) -> None:
    clock = Clock(T)
    with WebhookReceiver(answers=[500, 503]).running() as receiver:
        _schedule(store, [receiver.url])
        _run(store, 0, F)
        notify(store, clock=clock, owner="me")
        [record] = _deliveries(store)
        assert (record.status, record.tries) == ("Pending", 1)
        assert (
            record.last_error
            == f"webhook {receiver.url} answered HTTP 500 Internal Server Error: receiver is down"
        )
        assert record.due_at == T + RETRY_DELAYS[0]
        clock.now = T + RETRY_DELAYS[0] - timedelta(seconds=1)
        assert deliver(store, clock=clock, owner="me") == 0  # not due yet
        clock.now = T + RETRY_DELAYS[0]
        assert deliver(store, clock=clock, owner="me") == 1
        [record] = _deliveries(store)
        assert (record.status, record.tries, record.due_at) == (
            "Pending", 2, clock.now + RETRY_DELAYS[1],
        )  # fmt: skip
        clock.now += RETRY_DELAYS[1]
        assert deliver(store, clock=clock, owner="me") == 1
    [record] = _deliveries(store)
    assert (record.status, record.tries, record.delivered_at) == ("Delivered", 3, clock.now)
    assert "HTTP 503" in (record.last_error or "")  # the error before it got through stays
    assert receiver.events() == ["failed"] * 3
    assert len({r.json["id"] for r in receiver.received}) == 1  # one event, tried three times


def test_a_receiver_that_never_recovers_ends_failed_after_the_last_try(store: Store) -> None:
    clock = Clock(T)
    with WebhookReceiver(answers=[500] * 10).running() as receiver:
        _schedule(store, [receiver.url])
        _run(store, 0, F)
        notify(store, clock=clock, owner="me")
        for delay in RETRY_DELAYS:
            clock.now += delay
            assert deliver(store, clock=clock, owner="me") == 1
        clock.now += timedelta(days=1)
        assert deliver(store, clock=clock, owner="me") == 0
    [record] = _deliveries(store)
    assert (record.status, record.tries) == ("Failed", len(RETRY_DELAYS) + 1)
    assert "HTTP 500" in (record.last_error or "")
    assert record.to_json()["next_try_at"] is None


def test_a_receiver_that_hangs_holds_the_runner_no_longer_than_its_budget(store: Store) -> None:
    with WebhookReceiver(delay=6).running() as receiver:
        _schedule(store, [receiver.url, receiver.url + "/second"])
        _run(store, 0, F)
        slot = store.executions("hourly")[0]
        began = time.monotonic()
        notify(store, clock=Clock(T), owner="me", execution_id=slot.id, budget=1.0)
        assert time.monotonic() - began < 3
        records = _deliveries(store)
    # The first timed out within the budget and will be retried; the second was not begun.
    assert sorted((d.status, d.tries) for d in records) == [("Pending", 0), ("Pending", 1)]
    tried = next(d for d in records if d.tries == 1)
    assert "did not answer in time" in (tried.last_error or "")


def test_secrets_are_in_neither_the_logs_nor_the_records(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "the-shared-secret-123")
    caplog.set_level(logging.DEBUG)
    with WebhookReceiver(answers=[500] * 3).running() as receiver:
        _schedule(
            store,
            [
                {"url": receiver.url + "/hook/tok-456?key=q-789", "secret_env": "HOOK_SECRET"},
                {"type": "slack", "url": receiver.url + "/services/T1/B2/slack-token-0"},
            ],
        )
        _run(store, 0, F)
        notify(store, clock=Clock(T), owner="me")
    assert len(receiver.received) == 2
    records = _deliveries(store)
    assert {d.status for d in records} == {"Pending"}
    shown = orjson.dumps([d.to_json() for d in records]).decode() + caplog.text
    assert "failed, retrying at" in caplog.text
    for secret in ("the-shared-secret-123", "tok-456", "q-789", "slack-token-0"):
        assert secret not in shown


def test_attempts_of_schedules_without_notifications_are_noticed_and_send_nothing(
    store: Store,
) -> None:
    _schedule(store, [])
    _run(store, 0, F)
    assert decide(store, now=T) == 1
    assert store.unnoticed() == []
    assert _deliveries(store) == []


def _slot_events(store: Store, name: str) -> list[tuple[datetime, str]]:
    slots: dict[int, ExecutionRow] = {s.id: s for s in store.executions(name)}
    return sorted(
        {
            (slots[d.execution_id].scheduled_time, d.event)
            for d in _deliveries(store, name)
            if d.execution_id is not None
        }
    )


def test_two_schedulers_on_postgresql_deliver_each_event_exactly_once() -> None:
    with fresh_database() as url, WebhookReceiver(delay=0.02).running() as receiver:
        stores = [Store.open(url) for _ in range(2)]
        _schedule(stores[0], [receiver.url, receiver.url + "/2"])
        # Each four slots: a violation, resolved, failed, and no event.
        pattern: list[tuple[ExecutionStatus, tuple[Violation, ...]]] = [
            (V, (DPPL,)), (C, ()), (F, ()), (C, ()),
        ]  # fmt: skip
        for hour in range(24):
            status, violations = pattern[hour % 4]
            _run(stores[0], hour, status, *violations)
        barrier = threading.Barrier(2)

        def round_of_notifying(store: Store, owner: str) -> None:
            barrier.wait()
            for _ in range(3):
                notify(store, clock=Clock(T), owner=owner)

        threads = [
            threading.Thread(target=round_of_notifying, args=(s, name))
            for s, name in zip(stores, ("a", "b"), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        events = _slot_events(stores[0], "hourly")
        records = _deliveries(stores[0])
        for store in stores:
            store.engine.dispose()
    assert len(events) == 18  # 6 violations, 6 resolved, 6 failed
    sent = Counter((r.path, r.json["id"]) for r in receiver.received)
    assert len(sent) == 36
    assert set(sent.values()) == {1}  # each event to each receiver exactly once
    assert len(records) == 36
    assert {(d.status, d.tries) for d in records} == {("Delivered", 1)}
    assert {d.lease_owner for d in records} == {None}


def test_a_delivery_whose_sender_died_is_taken_over_after_its_lease(store: Store) -> None:
    with WebhookReceiver().running() as receiver:
        _schedule(store, [receiver.url])
        _run(store, 0, F)
        decide(store, now=T)
        [due] = store.due_deliveries(now=T)
        assert store.claim_delivery(due.id, owner="dead", now=T, lease=LEASE) is not None
        assert deliver(store, clock=Clock(T + timedelta(seconds=30)), owner="me") == 0
        assert deliver(store, clock=Clock(T + LEASE + timedelta(seconds=1)), owner="me") == 1
    [record] = _deliveries(store)
    assert (record.status, record.tries) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.received) == 1
