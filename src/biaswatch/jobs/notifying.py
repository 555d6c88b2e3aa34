"""Notifying people: deciding each ended attempt's event, and delivering it with retries.

Two steps, each safe with several processes on one database:

1. :func:`decide` looks at every ended attempt not noticed yet, takes its event
   (:func:`biaswatch.notify.event_of`) against the schedule's earlier slots, and adds one
   delivery per receiver of the schedule's notifications, in the transaction that marks the
   attempt noticed: of several schedulers exactly one does it. An attempt whose schedule has an
   earlier slot still running waits, so that events follow the slots' order (a catch-up or a
   backfill runs slots side by side).
2. :func:`deliver` tries the due deliveries, each claimed with a lease, so one process sends
   each try. A failed try is retried after :data:`RETRY_DELAYS`, then given up (``Failed``);
   each delivery records its tries and its last error, which never holds a secret.

The runner calls :func:`notify` after recording an attempt, within :data:`NOTIFY_BUDGET`
seconds (the execution is recorded first: a receiver cannot fail it); the scheduler calls it
every round, which is what retries.

Live events are decided by :func:`decide_live`, each minute, from a schedule's live metrics
(:func:`biaswatch.jobs.live.live_round`): the schedule's open live episode is the record of
what was announced, and each of its events is recorded with its deliveries conditionally on
the episode being as read. Their deliveries are sent by :func:`deliver` like any other.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from biaswatch.config.monitor import MonitoringJobDefinition
from biaswatch.config.notifications import parse_notification
from biaswatch.config.rules import ViolationRules
from biaswatch.config.settings import base_url
from biaswatch.constraints import Violation, recorded_violations
from biaswatch.errors import BiaswatchError
from biaswatch.notify import (
    EventKind,
    LiveKey,
    Notice,
    NoticeViolation,
    SlotResult,
    ViolationKey,
    event_of,
    live_event_of,
    send,
)
from biaswatch.notify.send import TIMEOUT
from biaswatch.store import (
    AttemptRow,
    DeliveryRow,
    DeliveryStatus,
    ExecutionRow,
    ExecutionStatus,
    LiveEpisodeRow,
    Store,
)

if TYPE_CHECKING:
    from biaswatch.jobs.live import EndpointLive

__all__ = [
    "DELIVERY_LEASE",
    "NOTIFY_BUDGET",
    "RETRY_DELAYS",
    "decide",
    "decide_live",
    "deliver",
    "notify",
    "send_trial",
]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]

#: How long after each failed try the next one may begin; after the last, the delivery fails.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
)
#: How long a process holds a delivery it is sending before another may take it over.
DELIVERY_LEASE = timedelta(minutes=1)
#: Seconds the runner spends on an execution's deliveries after recording it.
NOTIFY_BUDGET = 10.0
_COUNTED = (
    ExecutionStatus.COMPLETED,
    ExecutionStatus.COMPLETED_WITH_VIOLATIONS,
    ExecutionStatus.FAILED,
)


def notify(
    store: Store,
    *,
    clock: Clock,
    owner: str,
    execution_id: int | None = None,
    budget: float | None = None,
) -> None:
    """Decide the events of ended attempts, then deliver what is due.

    Only ``execution_id``'s deliveries when given; within ``budget`` seconds when given. Never
    raises: what fails is logged, and left for the next call.
    """
    try:
        decide(store, now=clock())
        deliver(store, clock=clock, owner=owner, execution_id=execution_id, budget=budget)
    except Exception:  # a database blip or a bug here must not fail what called it
        log.exception("notifying failed; the next round tries again")


def decide(store: Store, *, now: datetime) -> int:
    """Decide the events of the ended attempts not noticed yet; how many it decided."""
    definitions: dict[str, MonitoringJobDefinition | None] = {}
    decided = 0
    for slot, attempt in store.unnoticed():
        name = slot.schedule_name
        if name not in definitions:
            definitions[name] = _definition(store, name)
        definition = definitions[name]
        deliveries: list[DeliveryRow] = []
        if definition is not None:
            if store.running_before(name, slot.scheduled_time):
                continue  # an earlier slot's result comes first
            notice = _notice(store, definition, slot, attempt)
            if notice is not None:
                deliveries = _deliveries(definition, slot, attempt, notice, now)
        if store.notice(attempt, deliveries, now=now):
            decided += 1
            if deliveries:
                log.info("%s: %d notifications", deliveries[0].payload["id"], len(deliveries))
    return decided


def _definition(store: Store, name: str) -> MonitoringJobDefinition | None:
    """The schedule's definition when it has notifications (None: nothing to decide)."""
    row = store.schedule(name)
    if row is None:
        return None
    try:
        definition = MonitoringJobDefinition.model_validate(row.definition)
    except ValueError as exc:
        log.error("schedule %s cannot notify: %s", name, exc)
        return None
    return definition if definition.notifications else None


def _result(attempt: AttemptRow) -> SlotResult:
    return SlotResult(
        ExecutionStatus(attempt.status),
        frozenset(v.key for v in recorded_violations(attempt.counts)),
    )


def _notice(
    store: Store, definition: MonitoringJobDefinition, slot: ExecutionRow, attempt: AttemptRow
) -> Notice | None:
    """The notice of an ended attempt's event, or None when it is no event."""
    name, moment = slot.schedule_name, slot.scheduled_time
    replaced = _replaced(store.attempts(slot.id), attempt.number)
    episode = store.episode(name, before=moment)
    violated = frozenset(v.key for s in episode for v in recorded_violations(s.counts))
    last_finished = store.latest_finished(name, statuses=_COUNTED, before=moment)
    event = event_of(
        _result(attempt),
        replaced=None if replaced is None else _result(replaced),
        episode=violated if episode else None,
        last_finished=None if last_finished is None else ExecutionStatus(last_finished.status),
    )
    if event is None:
        return None
    link = base_url()
    return Notice(
        event=event,
        schedule=name,
        scheduled_time=moment,
        status=attempt.status,
        attempt=attempt.number,
        trigger=attempt.trigger,
        violations=_violations(
            recorded_violations(attempt.counts), definition.violation_rules, violated
        ),
        failure_reason=attempt.failure_reason,
        previous_status=None if replaced is None else replaced.status,
        execution_id=slot.id,
        link=None if link is None else f"{link}/executions/{slot.id}",
        output_uri=attempt.output_uri,
    )


def _replaced(attempts: Sequence[AttemptRow], number: int) -> AttemptRow | None:
    """The slot's latest attempt before ``number`` that ended, if any."""
    ended = [a for a in attempts if a.number < number and a.ended_at is not None]
    return max(ended, key=lambda a: a.number, default=None)


def _violations(
    violations: Iterable[Violation],
    rules: ViolationRules,
    before: frozenset[ViolationKey],
    bounds: Mapping[ViolationKey, tuple[float, float]] | None = None,
) -> tuple[NoticeViolation, ...]:
    """The notice's violations, each with its rule in words (and its interval, in ``bounds``)."""
    # The wording reads the metrics' registry (numpy): imported only when there are violations.
    from biaswatch.constraints.wording import rule_in_words

    return tuple(
        NoticeViolation(
            stage=v.stage,
            metric_name=v.metric_name,
            facet=v.facet,
            facet_value=v.facet_value,
            value=None if math.isnan(v.current) else v.current,
            constraint=None if math.isnan(v.baseline) else v.baseline,
            rule=(
                ""
                if math.isnan(v.current) or math.isnan(v.baseline)
                else rule_in_words(
                    rules, v.metric_name, v.current, v.baseline, (bounds or {}).get(v.key)
                )
            ),
            new=v.key not in before,
        )
        for v in violations
    )


def _deliveries(
    definition: MonitoringJobDefinition,
    slot: ExecutionRow | None,
    attempt: AttemptRow | None,
    notice: Notice,
    now: datetime,
) -> list[DeliveryRow]:
    """One delivery of ``notice`` per receiver.

    Of an attempt's event, or (without ``slot``) of a live event: the store sets its episode.
    """
    payload = notice.to_json()
    return [
        DeliveryRow(
            execution_id=None if slot is None else slot.id,
            attempt=notice.attempt if attempt is None else attempt.number,
            event=notice.event.value,
            position=position,
            target=receiver.model_dump(mode="json"),
            payload=payload,
            status=DeliveryStatus.PENDING.value,
            tries=0,
            created_at=now,
            due_at=now,
        )
        for position, receiver in enumerate(definition.notifications)
    ]


def decide_live(
    store: Store, definition: MonitoringJobDefinition, live: EndpointLive, *, now: datetime
) -> int:
    """Decide the live event of a schedule's live metrics now (0 or 1: how many it made).

    Judged over the schedule's ``live_violation_window`` (:func:`biaswatch.notify.
    live_event_of`) against its open live episode; the event is recorded with one delivery per
    receiver, unless another process recorded that episode's change first.
    """
    window = definition.live_violation_window
    assert window is not None
    violated = live.violated(window)
    episode = store.open_live_episode(definition.schedule_name)
    announced = None if episode is None else frozenset(_live_key(k) for k in episode.violated)
    event = live_event_of(
        violated,
        announced=announced,
        last_violated=None if episode is None else episode.last_violated_at,
        now=now,
        quiet=timedelta(minutes=window),
    )
    if event is None:
        if episode is not None and violated:
            store.live_violation_seen(episode.id, now=now)
        return 0
    violated = violated or frozenset()
    announced = announced or frozenset()
    number = 1 if episode is None else episode.events + 1
    notice = _live_notice(definition, live, event, violated, announced, number, now)
    deliveries = _deliveries(definition, None, None, notice, now)
    union = sorted(announced | violated)
    if episode is None:
        recorded = store.begin_live_episode(
            LiveEpisodeRow(
                schedule_name=definition.schedule_name,
                endpoint_name=live.endpoint,
                window_minutes=window,
                violated=[list(k) for k in union],
                events=1,
                began_at=now,
                last_violated_at=now,
            ),
            deliveries,
        )
    else:
        recorded = store.advance_live_episode(
            episode,
            violated=[list(k) for k in union],
            now=now,
            ended=event == EventKind.LIVE_RESOLVED,
            deliveries=deliveries,
        )
    if recorded:
        log.info("%s: %d notifications", notice.id, len(deliveries))
    return int(recorded)


def _live_key(stored: Sequence[str]) -> LiveKey:
    facet, value, metric = stored
    return (facet, value, metric)


def _live_notice(
    definition: MonitoringJobDefinition,
    live: EndpointLive,
    event: EventKind,
    violated: frozenset[LiveKey],
    announced: frozenset[LiveKey],
    number: int,
    now: datetime,
) -> Notice:
    """A live event's notice: each live violation, new unless the episode ``announced`` it."""
    window = definition.live_violation_window
    assert window is not None
    violations = [live.violations[(*key, window)] for key in sorted(violated)]
    bounds = {
        ("post_training", m.facet, m.facet_value, m.metric): m.bounds
        for m in live.metrics
        if m.window == window and m.bounds is not None
    }
    link = base_url()
    return Notice(
        event=event,
        schedule=definition.schedule_name,
        scheduled_time=now,
        status="LiveViolations" if event == EventKind.LIVE_VIOLATION else "LiveWithinConstraints",
        attempt=number,
        trigger="live",
        violations=_violations(
            violations,
            definition.violation_rules,
            frozenset(("post_training", *key) for key in announced),
            bounds,
        ),
        link=None if link is None else f"{link}/live",
        endpoint=live.endpoint,
        window=window,
    )


def deliver(
    store: Store,
    *,
    clock: Clock,
    owner: str,
    execution_id: int | None = None,
    budget: float | None = None,
) -> int:
    """Try the due deliveries (of ``execution_id``), within ``budget`` seconds; how many."""
    deadline = None if budget is None else time.monotonic() + budget
    tried = 0
    for due in store.due_deliveries(now=clock(), execution_id=execution_id):
        timeout = TIMEOUT
        if deadline is not None:
            timeout = min(TIMEOUT, deadline - time.monotonic())
            if timeout <= 0:
                break  # the rest waits for the scheduler's next round
        delivery = store.claim_delivery(due.id, owner=owner, now=clock(), lease=DELIVERY_LEASE)
        if delivery is None:
            continue  # another process has it
        tried += 1
        error = _try(delivery, timeout)
        retry_at = None
        if error is not None and delivery.tries <= len(RETRY_DELAYS):
            retry_at = clock() + RETRY_DELAYS[delivery.tries - 1]
        store.end_delivery(delivery, now=clock(), error=error, retry_at=retry_at)
        if error is not None:
            then = f"retrying at {retry_at.isoformat()}" if retry_at else "giving up"
            log.warning(
                "notification %s (try %d) failed, %s: %s",
                delivery.payload.get("id"),
                delivery.tries,
                then,
                error,
            )
    return tried


def _try(delivery: DeliveryRow, timeout: float) -> str | None:
    """Send one try; its error in words (None when delivered)."""
    try:
        receiver = parse_notification(delivery.target)
        send(receiver, Notice.from_json(delivery.payload), timeout=timeout)
    except BiaswatchError as exc:
        return str(exc)
    except Exception as exc:  # a receiver's oddity must not end the round
        return f"{type(exc).__name__}: {exc}"
    return None


def send_trial(
    definition: MonitoringJobDefinition, *, now: datetime
) -> list[tuple[str, str | None]]:
    """Send a ``test`` notice to each of the schedule's receivers now, recording nothing.

    Each receiver's target with its error (None when it was delivered).
    """
    link = base_url()
    notice = Notice(
        event=EventKind.TEST,
        schedule=definition.schedule_name,
        scheduled_time=now,
        status="Test",
        attempt=0,
        trigger="manual",
        link=None if link is None else f"{link}/schedules/{definition.schedule_name}",
    )
    results: list[tuple[str, str | None]] = []
    for receiver in definition.notifications:
        try:
            send(receiver, notice)
            results.append((receiver.target, None))
        except BiaswatchError as exc:
            results.append((receiver.target, str(exc)))
    return results
