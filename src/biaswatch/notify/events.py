"""Which event, if any, an attempt's result is: the de-duplication rule of notifications.

A schedule's slots are read in scheduled-time order. A *violation episode* is a run of analysed
slots with violations; a failed (or stopped) slot between them neither ends nor begins one.

- ``violation``: the slot has violations and no episode is going on (the latest earlier analysed
  slot had none, or there is none), or it has violations the episode's slots did not have (the
  episode's violated set grew: a metric that comes and goes within an episode tells once);
- ``resolved``: the slot completed without violations while an episode was going on;
- ``failed``: the slot failed and the latest earlier finished slot (stopped ones aside) did not;
- ``revised``: a rerun whose result differs from the attempt before it (another status, or
  other violations); a rerun gives no other event;
- a stopped attempt (a person, or the runtime limit, stopped it) gives none.

An endpoint's live metrics have episodes of their own (:func:`live_event_of`), judged each
minute over the schedule's live window: ``live-violation`` when live violations begin or grow,
``live-resolved`` once none has been seen for as long as the window (so a value that hovers at
its constraint does not announce itself every few minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from biaswatch.notify.notice import EventKind
from biaswatch.status import ExecutionStatus

__all__ = ["LiveKey", "SlotResult", "ViolationKey", "event_of", "live_event_of"]

ViolationKey = tuple[str, str, str, str]
"""(stage, facet, facet value, metric)."""
LiveKey = tuple[str, str, str]
"""(facet, facet value, metric) of a live value."""


@dataclass(frozen=True, slots=True)
class SlotResult:
    """An attempt's status and what it found violated."""

    status: ExecutionStatus
    violated: frozenset[ViolationKey] = frozenset()


def event_of(
    result: SlotResult,
    *,
    replaced: SlotResult | None,
    episode: frozenset[ViolationKey] | None,
    last_finished: ExecutionStatus | None,
) -> EventKind | None:
    """The event of an attempt's ``result`` (module docstring), or None.

    ``replaced`` is the result of the slot's attempt before this one (None for a first
    attempt); ``episode`` what the violation episode going on before the slot has violated
    (None when none is going on); ``last_finished`` the status of the latest earlier slot
    that completed or failed.

    Examples
    --------
    >>> calm = SlotResult(ExecutionStatus.COMPLETED)
    >>> dppl = frozenset({("post_training", "sex", "0", "DPPL")})
    >>> bad = SlotResult(ExecutionStatus.COMPLETED_WITH_VIOLATIONS, dppl)
    >>> event_of(bad, replaced=None, episode=None, last_finished=calm.status)
    <EventKind.VIOLATION: 'violation'>
    >>> event_of(bad, replaced=None, episode=dppl, last_finished=bad.status) is None
    True
    >>> event_of(calm, replaced=None, episode=dppl, last_finished=ExecutionStatus.FAILED)
    <EventKind.RESOLVED: 'resolved'>
    """
    if replaced is not None:
        changed = (result.status, result.violated) != (replaced.status, replaced.violated)
        return EventKind.REVISED if changed else None
    if result.status == ExecutionStatus.FAILED:
        return None if last_finished == ExecutionStatus.FAILED else EventKind.FAILED
    if result.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS:
        grown = episode is None or not result.violated <= episode
        return EventKind.VIOLATION if grown else None
    if result.status == ExecutionStatus.COMPLETED:
        return EventKind.RESOLVED if episode is not None else None
    return None


def live_event_of(
    violated: frozenset[LiveKey] | None,
    *,
    announced: frozenset[LiveKey] | None,
    last_violated: datetime | None,
    now: datetime,
    quiet: timedelta,
) -> EventKind | None:
    """The live event of one look at the live window, or None.

    ``violated`` is what the window violates now (None when it holds no records: nothing is
    known, nothing changes); ``announced`` what the live episode going on has announced (None
    when none is going on), ``last_violated`` when it last saw a violation; ``quiet`` how long
    without violations ends the episode (the window's length).

    Examples
    --------
    >>> t = datetime(2026, 11, 26, 16, 5)
    >>> dppl = frozenset({("sex", "0", "DPPL")})
    >>> live_event_of(dppl, announced=None, last_violated=None, now=t, quiet=timedelta(minutes=5))
    <EventKind.LIVE_VIOLATION: 'live-violation'>
    >>> live_event_of(frozenset(), announced=dppl, last_violated=t, now=t + timedelta(minutes=4),
    ...               quiet=timedelta(minutes=5)) is None
    True
    >>> live_event_of(frozenset(), announced=dppl, last_violated=t, now=t + timedelta(minutes=5),
    ...               quiet=timedelta(minutes=5))
    <EventKind.LIVE_RESOLVED: 'live-resolved'>
    """
    if violated is None:
        return None
    if violated:
        grown = announced is None or not violated <= announced
        return EventKind.LIVE_VIOLATION if grown else None
    if announced is not None and (last_violated is None or now - last_violated >= quiet):
        return EventKind.LIVE_RESOLVED
    return None
