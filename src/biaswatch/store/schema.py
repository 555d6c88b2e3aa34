"""The metadata store's tables (SQLAlchemy 2). Migrations in ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from biaswatch.errors import ConfigError
from biaswatch.status import DeliveryStatus

__all__ = [
    "AttemptRow",
    "Base",
    "BaseliningJobRow",
    "DeliveryRow",
    "EndpointRow",
    "ExecutionRow",
    "LiveEpisodeRow",
    "MetricPointRow",
    "ScheduleRow",
    "UtcDateTime",
]


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database.

    SQLite has no time zones: it stores naive UTC, and reading adds UTC back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Check the time is aware; SQLite gets it as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ConfigError(
                f"{value!r} has no time zone; the store keeps aware UTC times",
                field="time",
                value=value,
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC time."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """The declarative base of biaswatch's tables."""


class EndpointRow(Base):
    """A monitored endpoint: where its capture lives, and its URL when it can be called."""

    __tablename__ = "endpoints"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    variant: Mapped[str] = mapped_column(String(63), default="AllTraffic")
    capture_uri: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BaseliningJobRow(Base):
    """A baselining job: its config, output and status."""

    __tablename__ = "baselining_jobs"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    analysis_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    output_uri: Mapped[str] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ScheduleRow(Base):
    """A monitoring schedule with its job definition."""

    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    expression: Mapped[str | None] = mapped_column(String(256))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ExecutionRow(Base):
    """One execution (slot) of a schedule, unique per scheduled time.

    It shows its latest finished attempt: ``status``, ``failure_reason``, ``output_uri``,
    ``counts`` and the times are that attempt's (number ``attempt``); before any attempt has
    finished, ``Pending`` or ``InProgress``. ``attempts`` counts the attempts begun. While an
    attempt runs, the slot is leased by its worker (``lease_owner``, ``lease_expires_at``), so
    that at most one attempt runs at a time.
    """

    __tablename__ = "executions"
    __table_args__ = (
        UniqueConstraint("schedule_name", "scheduled_time", name="uq_execution_slot"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_name: Mapped[str] = mapped_column(
        String(63), ForeignKey("schedules.name", ondelete="CASCADE"), index=True
    )
    scheduled_time: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    output_uri: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    attempt: Mapped[int | None] = mapped_column(Integer)

    @property
    def revised(self) -> bool:
        """Whether an attempt after the first has given the slot its result."""
        return (self.attempt or 0) > 1


class AttemptRow(Base):
    """One attempt of an execution: what started it, how it ended, what it read and wrote."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("execution_id", "number", name="uq_attempt_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("executions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    output_uri: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    owner: Mapped[str | None] = mapped_column(String(128))
    ground_truth_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """The end of the ground-truth upload hours it read (None: the scheduled time's hour)."""
    ground_truth_files: Mapped[list[list[Any]] | None] = mapped_column(JSON)
    """``[name, size, version]`` of each ground-truth file it read (None: not recorded)."""
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    noticed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """When its notifications were decided (the deliveries of its event made, or none): one
    process does it once for each ended attempt."""


class LiveEpisodeRow(Base):
    """A run of live violations of a schedule's endpoint, and what it has announced.

    One is open per schedule at most (``ended_at`` NULL; a partial unique index). ``events``
    counts the events it has made (its ``live-violation`` and ``live-resolved``), and is the
    version each change is conditional on: of several schedulers, exactly one makes each.
    """

    __tablename__ = "live_episodes"
    __table_args__ = (
        Index(
            "ix_live_episode_open",
            "schedule_name",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_name: Mapped[str] = mapped_column(
        String(63), ForeignKey("schedules.name", ondelete="CASCADE"), index=True
    )
    endpoint_name: Mapped[str] = mapped_column(String(63))
    window_minutes: Mapped[int] = mapped_column(Integer)
    """The live window it was judged over."""
    violated: Mapped[list[list[str]]] = mapped_column(JSON)
    """``[facet, facet value, metric]`` of each live violation it has announced."""
    events: Mapped[int] = mapped_column(Integer)
    began_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_violated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def summary(self) -> str:
        """What it violated, for people: ``DI, DPPL on sex = 0``."""
        metrics: dict[tuple[str, str], list[str]] = {}
        for facet, value, metric in self.violated:
            metrics.setdefault((facet, value), []).append(metric)
        return "; ".join(f"{', '.join(m)} on {f} = {v}" for (f, v), m in metrics.items())

    def to_json(self) -> dict[str, Any]:
        """The episode as the API, the CLI and the live page show it."""
        return {
            "id": self.id,
            "schedule": self.schedule_name,
            "endpoint": self.endpoint_name,
            "window_minutes": self.window_minutes,
            "violated": [
                {"facet": facet, "facet_value": value, "metric": metric}
                for facet, value, metric in self.violated
            ],
            "summary": self.summary,
            "events": self.events,
            "began_at": _time(self.began_at),
            "last_violated_at": _time(self.last_violated_at),
            "ended_at": _time(self.ended_at),
        }


class DeliveryRow(Base):
    """One notification of an event to one of its schedule's receivers.

    The event is an execution attempt's (``execution_id``, ``attempt``) or a live episode's
    (``live_episode_id``, and ``attempt`` the event's number in the episode).

    ``target`` is the receiver's notification (as the schedule had it when the event
    happened) and ``payload`` the event, so a retry sends what the first try sent. A process
    sends it while it holds a lease on it (``lease_owner``, ``lease_expires_at``), so that of
    several schedulers exactly one sends each try.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("execution_id", "attempt", "event", "position", name="uq_delivery"),
        UniqueConstraint(
            "live_episode_id", "attempt", "event", "position", name="uq_live_delivery"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    execution_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("executions.id", ondelete="CASCADE"), index=True
    )
    live_episode_id: Mapped[int | None] = mapped_column(
        Integer,
        ForeignKey("live_episodes.id", ondelete="CASCADE", name="fk_deliveries_live_episode"),
        index=True,
    )
    attempt: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    """The receiver's place in the schedule's notifications."""
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    """When the next try may begin."""
    tried_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def receiver(self) -> str:
        """The receiver, without secrets (``webhook https://host/path/…``)."""
        # pydantic's models load when a delivery is shown, not with every command's store.
        from biaswatch.config.notifications import parse_notification

        try:
            return parse_notification(self.target).target
        except ConfigError:
            return f"{self.target.get('type', 'unknown')} receiver"

    def to_json(self) -> dict[str, Any]:
        """The delivery as the API, the CLI and the execution page show it: no secret in it."""
        pending = self.status == DeliveryStatus.PENDING
        return {
            "id": self.id,
            "event": self.event,
            "attempt": self.attempt,
            "receiver": self.receiver,
            "status": self.status,
            "tries": self.tries,
            "last_error": self.last_error,
            "created_at": _time(self.created_at),
            "tried_at": _time(self.tried_at),
            "delivered_at": _time(self.delivered_at),
            "next_try_at": _time(self.due_at) if pending else None,
        }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class MetricPointRow(Base):
    """One metric value of one execution (its latest finished attempt's), for trends."""

    __tablename__ = "metric_points"
    __table_args__ = (Index("ix_metric_series", "schedule_name", "metric", "scheduled_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule_name: Mapped[str] = mapped_column(
        String(63), ForeignKey("schedules.name", ondelete="CASCADE")
    )
    scheduled_time: Mapped[datetime] = mapped_column(UtcDateTime())
    stage: Mapped[str] = mapped_column(String(16))
    facet: Mapped[str] = mapped_column(Text)
    facet_value: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    lower: Mapped[float | None] = mapped_column(Float)
    upper: Mapped[float | None] = mapped_column(Float)
