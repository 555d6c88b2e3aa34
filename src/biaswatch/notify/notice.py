"""What a notification says: one event of a schedule, typed, with its views.

An event is an execution attempt's (``violation``, ``resolved``, ``failed``, ``revised``) or
the endpoint's live metrics' (``live-violation``, ``live-resolved``: :attr:`Notice.live`).

A :class:`Notice` is made once, when the event happens, and kept with each delivery as its JSON
(:meth:`Notice.to_json`, the webhook's body); Slack's message and the email are derived from it
(:meth:`Notice.headline`, :meth:`Notice.lines`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from biaswatch.analysis import json_number, metric_number

__all__ = ["EventKind", "Notice", "NoticeViolation"]


class EventKind(StrEnum):
    """What happened to a schedule."""

    VIOLATION = "violation"
    """A violation episode began (violations after a slot without), or its violations grew."""
    RESOLVED = "resolved"
    """The first slot without violations after an episode."""
    FAILED = "failed"
    """A slot failed after one that did not (once per run of failed slots)."""
    REVISED = "revised"
    """A rerun (late ground truth, or asked for) changed a slot's result."""
    LIVE_VIOLATION = "live-violation"
    """An endpoint's live metrics began to violate the baseline, or more of them did."""
    LIVE_RESOLVED = "live-resolved"
    """No live violation for as long as the live window, after live violations."""
    TEST = "test"
    """Sent on request, to check that a receiver gets the schedule's notifications."""


def _number(value: float | None) -> float | str | None:
    """A number as ``analysis.json`` writes it (``"Infinity"``), null for NaN (not JSON)."""
    return None if value is None or math.isnan(value) else json_number(value)


def _readable(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "undefined"
    return f"{value:.4g}" if math.isfinite(value) else ("∞" if value > 0 else "-∞")


@dataclass(frozen=True, slots=True)
class NoticeViolation:
    """One violated metric, its value, its constraint and the rule in words."""

    stage: str
    metric_name: str
    facet: str
    facet_value: str
    value: float | None
    constraint: float | None
    rule: str = ""
    new: bool = True
    """Not violated in the schedule's previous analysed slot."""

    def to_json(self) -> dict[str, Any]:
        """The violation as the webhook body lists it."""
        return {
            "metric_name": self.metric_name,
            "stage": self.stage,
            "facet": self.facet,
            "facet_value": self.facet_value,
            "value": _number(self.value),
            "constraint": {"value": _number(self.constraint), "rule": self.rule},
            "new": self.new,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> NoticeViolation:
        """The violation from :meth:`to_json`."""
        constraint = document.get("constraint") or {}
        return cls(
            stage=str(document["stage"]),
            metric_name=str(document["metric_name"]),
            facet=str(document["facet"]),
            facet_value=str(document["facet_value"]),
            value=metric_number(document.get("value")),
            constraint=metric_number(constraint.get("value")),
            rule=str(constraint.get("rule") or ""),
            new=bool(document.get("new", True)),
        )

    def line(self) -> str:
        """``DPPL on sex = 0: 0.31 (constraint 0.12)``."""
        return (
            f"{self.metric_name} on {self.facet} = {self.facet_value}: {_readable(self.value)}"
            f" (constraint {_readable(self.constraint)})" + ("" if self.new else ", as before")
        )


@dataclass(frozen=True, slots=True)
class Notice:
    """One event of a schedule: what an execution's attempt, or the live metrics, changed."""

    event: EventKind
    schedule: str
    scheduled_time: datetime
    """The slot's scheduled time; for a live event, the end of the live window it read."""
    status: str
    attempt: int
    """The attempt's number; for a live event, the event's number in its live episode."""
    trigger: str
    violations: tuple[NoticeViolation, ...] = ()
    failure_reason: str | None = None
    previous_status: str | None = None
    """For ``revised``: the slot's status before this attempt."""
    execution_id: int | None = None
    link: str | None = None
    """The execution's page (the live page for a live event), when ``BIASWATCH_BASE_URL`` says
    where the dashboard is."""
    output_uri: str | None = None
    endpoint: str | None = None
    """For live events: the endpoint whose live metrics these are."""
    window: int | None = None
    """For live events: the live window, in minutes."""

    @property
    def live(self) -> bool:
        """Whether it is a live event (of the endpoint's live metrics, not of an execution)."""
        return self.event in (EventKind.LIVE_VIOLATION, EventKind.LIVE_RESOLVED)

    @property
    def id(self) -> str:
        """The event's identity, the same on every try: receivers may de-duplicate on it."""
        moment = self.scheduled_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.schedule}/{moment}/{self.attempt}/{self.event.value}"

    def to_json(self) -> dict[str, Any]:
        """The webhook's JSON body."""
        return {
            "id": self.id,
            "event": self.event.value,
            "schedule": self.schedule,
            "scheduled_time": self.scheduled_time.astimezone(UTC).isoformat(),
            "status": self.status,
            "attempt": self.attempt,
            "trigger": self.trigger,
            "previous_status": self.previous_status,
            "violations": [v.to_json() for v in self.violations],
            "failure_reason": self.failure_reason,
            "execution_id": self.execution_id,
            "link": self.link,
            "output_uri": self.output_uri,
            "endpoint": self.endpoint,
            "window_minutes": self.window,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Notice:
        """The notice from :meth:`to_json` (as a delivery keeps it)."""
        return cls(
            event=EventKind(document["event"]),
            schedule=str(document["schedule"]),
            scheduled_time=datetime.fromisoformat(document["scheduled_time"]),
            status=str(document["status"]),
            attempt=int(document["attempt"]),
            trigger=str(document["trigger"]),
            violations=tuple(NoticeViolation.from_json(v) for v in document["violations"]),
            failure_reason=document.get("failure_reason"),
            previous_status=document.get("previous_status"),
            execution_id=document.get("execution_id"),
            link=document.get("link"),
            output_uri=document.get("output_uri"),
            endpoint=document.get("endpoint"),
            window=document.get("window_minutes"),
        )

    @property
    def when(self) -> str:
        """The scheduled time, for people: ``2026-11-26 10:00 UTC``."""
        return f"{self.scheduled_time.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    def headline(self) -> str:
        """One line: what happened to which schedule, when."""
        count = len(self.violations)
        metrics = f"{count} violated metric{'s' if count != 1 else ''}"
        if self.event == EventKind.VIOLATION:
            grown = any(not v.new for v in self.violations)
            what = "more violations" if grown else "bias violations began"
            return f"{self.schedule}: {what} at {self.when} ({metrics})"
        if self.event == EventKind.RESOLVED:
            return f"{self.schedule}: no violations at {self.when}; the violations ended"
        if self.event == EventKind.FAILED:
            return f"{self.schedule}: the execution at {self.when} failed"
        if self.event == EventKind.LIVE_VIOLATION:
            grown = any(not v.new for v in self.violations)
            what = "more live violations" if grown else "live bias violates the baseline"
            return (
                f"{self.schedule}: {what} on endpoint {self.endpoint} over the last"
                f" {self.window} minutes at {self.when} ({metrics})"
            )
        if self.event == EventKind.LIVE_RESOLVED:
            return (
                f"{self.schedule}: live bias on endpoint {self.endpoint} within the baseline"
                f" again at {self.when} (no live violation for {self.window} minutes)"
            )
        if self.event == EventKind.REVISED:
            return (
                f"{self.schedule}: the execution at {self.when} was revised by attempt"
                f" {self.attempt} ({self.trigger}): {self.previous_status} → {self.status}"
            )
        return f"{self.schedule}: a test notification from biaswatch"

    def lines(self) -> list[str]:
        """The details under the headline: violations, the failure's reason, the link."""
        lines = [f"• {v.line()}" for v in self.violations]
        if self.failure_reason:
            lines.append(f"Reason: {self.failure_reason}")
        if self.link:
            lines.append(f"Details: {self.link}")
        elif self.output_uri:
            lines.append(f"Outputs: {self.output_uri}")
        return lines
