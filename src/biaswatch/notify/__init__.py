"""Notifications: which event an attempt's result is, what a notice says, and sending it.

The receivers (webhook, Slack, email) are configured in :mod:`biaswatch.config.notifications`;
the jobs layer decides the events and records each delivery in the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.notify.events import (
        LiveKey,
        SlotResult,
        ViolationKey,
        event_of,
        live_event_of,
    )
    from biaswatch.notify.notice import EventKind, Notice, NoticeViolation
    from biaswatch.notify.send import (
        EVENT_HEADER,
        ID_HEADER,
        SIGNATURE_HEADER,
        TIMEOUT,
        TIMESTAMP_HEADER,
        email_message,
        send,
        signature,
        slack_message,
    )

__all__ = [
    "EVENT_HEADER",
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMEOUT",
    "TIMESTAMP_HEADER",
    "EventKind",
    "LiveKey",
    "Notice",
    "NoticeViolation",
    "SlotResult",
    "ViolationKey",
    "email_message",
    "event_of",
    "live_event_of",
    "send",
    "signature",
    "slack_message",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
