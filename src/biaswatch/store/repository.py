"""The metadata store's operations: endpoints, baselining jobs, schedules, executions, metrics.

Every time is an aware UTC datetime passed in by the caller (the clock is injected above this
layer). Executions are unique per (schedule, scheduled time); a worker *claims* one with a
conditional update, so that of several scheduler processes on one database exactly one runs
each slot, and keeps it by renewing a lease. An execution whose lease ran out (its worker died)
is ended ``Failed`` by :meth:`Store.fail_expired`, never run twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from biaswatch.analysis.points import MetricPoint
from biaswatch.config.names import check_name
from biaswatch.errors import ConfigError
from biaswatch.status import ExecutionStatus, ScheduleStatus
from biaswatch.store.database import open_engine
from biaswatch.store.schema import (
    BaseliningJobRow,
    EndpointRow,
    ExecutionRow,
    MetricPointRow,
    ScheduleRow,
)

__all__ = ["MetricPoint", "Store"]


def _changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed."""
    return int(cast(CursorResult[Any], result).rowcount)


class Store:
    """The metadata store over one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (and migrate) the store at ``url``, or the configured one."""
        return cls(open_engine(url))

    def session(self) -> Session:
        """A new session (use it as a context manager)."""
        return self._sessions()

    # ------------------------------------------------------------------ endpoints

    def register_endpoint(
        self,
        name: str,
        *,
        capture_uri: str,
        now: datetime,
        variant: str = "AllTraffic",
        url: str | None = None,
    ) -> EndpointRow:
        """Add an endpoint, or update where its capture is."""
        check_name(name, field="endpoint_name")
        check_name(variant, field="variant_name")
        with self.session() as session, session.begin():
            row = session.get(EndpointRow, name)
            if row is None:
                row = EndpointRow(
                    name=name, variant=variant, capture_uri=capture_uri, url=url, created_at=now
                )
                session.add(row)
            else:
                row.variant, row.capture_uri, row.url = variant, capture_uri, url
            return row

    def endpoint(self, name: str) -> EndpointRow | None:
        """The endpoint called ``name``."""
        with self.session() as session:
            return session.get(EndpointRow, name)

    def endpoints(self) -> list[EndpointRow]:
        """Every endpoint, by name."""
        with self.session() as session:
            return list(session.scalars(select(EndpointRow).order_by(EndpointRow.name)))

    # ---------------------------------------------------------------- baselines

    def save_baselining_job(self, row: BaseliningJobRow) -> None:
        """Insert or update a baselining job."""
        check_name(row.name, field="job_name")
        with self.session() as session, session.begin():
            session.merge(row)

    def baselining_job(self, name: str) -> BaseliningJobRow | None:
        """The baselining job called ``name``."""
        with self.session() as session:
            return session.get(BaseliningJobRow, name)

    # ---------------------------------------------------------------- schedules

    def create_schedule(
        self, name: str, *, expression: str | None, definition: dict[str, Any], now: datetime
    ) -> ScheduleRow:
        """Create a schedule; a schedule of that name must not exist."""
        check_name(name, field="monitor_schedule_name")
        row = ScheduleRow(
            name=name,
            status=ScheduleStatus.SCHEDULED.value,
            expression=expression,
            definition=definition,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session() as session, session.begin():
                session.add(row)
        except IntegrityError as exc:
            raise ConfigError(
                f"a monitoring schedule called {name!r} exists already",
                field="monitor_schedule_name",
                value=name,
            ) from exc
        return row

    def schedule(self, name: str) -> ScheduleRow | None:
        """The schedule called ``name``."""
        with self.session() as session:
            return session.get(ScheduleRow, name)

    def schedules(self, *, status: ScheduleStatus | None = None) -> list[ScheduleRow]:
        """Every schedule (with ``status``), by name."""
        query = select(ScheduleRow).order_by(ScheduleRow.name)
        if status is not None:
            query = query.where(ScheduleRow.status == status.value)
        with self.session() as session:
            return list(session.scalars(query))

    def update_schedule(
        self,
        name: str,
        *,
        now: datetime,
        status: ScheduleStatus | None = None,
        expression: str | None = None,
        definition: dict[str, Any] | None = None,
    ) -> ScheduleRow:
        """Change a schedule's status, expression or definition."""
        with self.session() as session, session.begin():
            row = session.get(ScheduleRow, name)
            if row is None:
                raise ConfigError(
                    f"no monitoring schedule called {name!r}",
                    field="monitor_schedule_name",
                    value=name,
                )
            if status is not None:
                row.status = status.value
            if expression is not None:
                row.expression = expression
            if definition is not None:
                row.definition = definition
            row.updated_at = now
            return row

    def delete_schedule(self, name: str) -> bool:
        """Delete a schedule with its executions and metric points; whether it existed."""
        with self.session() as session, session.begin():
            session.execute(delete(MetricPointRow).where(MetricPointRow.schedule_name == name))
            session.execute(delete(ExecutionRow).where(ExecutionRow.schedule_name == name))
            deleted = session.execute(delete(ScheduleRow).where(ScheduleRow.name == name))
            return bool(_changed(deleted))

    # --------------------------------------------------------------- executions

    def add_execution(
        self, schedule: str, scheduled_time: datetime, *, now: datetime
    ) -> ExecutionRow:
        """The execution of ``schedule`` at ``scheduled_time``, created ``Pending`` if new."""
        try:
            with self.session() as session, session.begin():
                row = ExecutionRow(
                    schedule_name=schedule,
                    scheduled_time=scheduled_time,
                    status=ExecutionStatus.PENDING.value,
                    created_at=now,
                )
                session.add(row)
            return row
        except IntegrityError:
            existing = self.execution_at(schedule, scheduled_time)
            if existing is None:  # the schedule itself does not exist
                raise ConfigError(
                    f"no monitoring schedule called {schedule!r}",
                    field="monitor_schedule_name",
                    value=schedule,
                ) from None
            return existing

    def execution_at(self, schedule: str, scheduled_time: datetime) -> ExecutionRow | None:
        """The execution of ``schedule`` at ``scheduled_time``, if any."""
        with self.session() as session:
            return session.scalar(
                select(ExecutionRow).where(
                    ExecutionRow.schedule_name == schedule,
                    ExecutionRow.scheduled_time == scheduled_time,
                )
            )

    def execution(self, execution_id: int) -> ExecutionRow | None:
        """The execution with ``execution_id``."""
        with self.session() as session:
            return session.get(ExecutionRow, execution_id)

    def claim(self, execution_id: int, *, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take a ``Pending`` execution to run it; False when another worker has it."""
        with self.session() as session, session.begin():
            claimed = _changed(
                session.execute(
                    update(ExecutionRow)
                    .where(
                        ExecutionRow.id == execution_id,
                        ExecutionRow.status == ExecutionStatus.PENDING.value,
                    )
                    .values(
                        status=ExecutionStatus.IN_PROGRESS.value,
                        lease_owner=owner,
                        lease_expires_at=now + lease,
                        started_at=now,
                    )
                )
            )
        return bool(claimed)

    def heartbeat(self, execution_id: int, *, owner: str, now: datetime, lease: timedelta) -> bool:
        """Renew a running execution's lease; False when the worker no longer holds it."""
        with self.session() as session, session.begin():
            renewed = _changed(
                session.execute(
                    update(ExecutionRow)
                    .where(
                        ExecutionRow.id == execution_id,
                        ExecutionRow.lease_owner == owner,
                        ExecutionRow.status == ExecutionStatus.IN_PROGRESS.value,
                    )
                    .values(lease_expires_at=now + lease)
                )
            )
        return bool(renewed)

    def finish(
        self,
        execution_id: int,
        *,
        owner: str,
        status: ExecutionStatus,
        now: datetime,
        failure_reason: str | None = None,
        output_uri: str | None = None,
        counts: dict[str, Any] | None = None,
    ) -> bool:
        """End an execution the worker holds; False when it no longer holds it."""
        with self.session() as session, session.begin():
            ended = _changed(
                session.execute(
                    update(ExecutionRow)
                    .where(
                        ExecutionRow.id == execution_id,
                        ExecutionRow.lease_owner == owner,
                        ExecutionRow.status == ExecutionStatus.IN_PROGRESS.value,
                    )
                    .values(
                        status=status.value,
                        failure_reason=failure_reason,
                        output_uri=output_uri,
                        counts=counts,
                        ended_at=now,
                        lease_expires_at=None,
                    )
                )
            )
        return bool(ended)

    def fail_expired(self, *, now: datetime) -> list[int]:
        """End ``Failed`` every running execution whose worker stopped renewing its lease."""
        with self.session() as session, session.begin():
            expired = list(
                session.scalars(
                    select(ExecutionRow.id).where(
                        ExecutionRow.status == ExecutionStatus.IN_PROGRESS.value,
                        ExecutionRow.lease_expires_at < now,
                    )
                )
            )
            if expired:
                session.execute(
                    update(ExecutionRow)
                    .where(
                        ExecutionRow.id.in_(expired),
                        ExecutionRow.status == ExecutionStatus.IN_PROGRESS.value,
                    )
                    .values(
                        status=ExecutionStatus.FAILED.value,
                        failure_reason=(
                            "the worker running this execution stopped (its lease expired);"
                            " the next scheduled time runs as usual"
                        ),
                        ended_at=now,
                        lease_expires_at=None,
                    )
                )
        return expired

    def executions(self, schedule: str, *, limit: int | None = None) -> list[ExecutionRow]:
        """A schedule's executions, oldest scheduled time first (the last ``limit`` of them)."""
        query = (
            select(ExecutionRow)
            .where(ExecutionRow.schedule_name == schedule)
            .order_by(ExecutionRow.scheduled_time.desc())
        )
        if limit is not None:
            query = query.limit(limit)
        with self.session() as session:
            return list(reversed(list(session.scalars(query))))

    def execution_counts(self, schedule: str) -> dict[str, int]:
        """How many executions the schedule has, by status."""
        query = (
            select(ExecutionRow.status, func.count())
            .where(ExecutionRow.schedule_name == schedule)
            .group_by(ExecutionRow.status)
        )
        with self.session() as session:
            return {status: int(count) for status, count in session.execute(query)}

    def execution_times(self, schedule: str, *, since: datetime) -> set[datetime]:
        """The scheduled times, from ``since`` on, that the schedule has an execution for."""
        query = select(ExecutionRow.scheduled_time).where(
            ExecutionRow.schedule_name == schedule, ExecutionRow.scheduled_time >= since
        )
        with self.session() as session:
            return set(session.scalars(query))

    def latest_finished(
        self, schedule: str, *, statuses: Iterable[ExecutionStatus] | None = None
    ) -> ExecutionRow | None:
        """The schedule's finished execution (of ``statuses``) with the latest scheduled time."""
        chosen = [s.value for s in (statuses or ExecutionStatus) if s.finished]
        query = (
            select(ExecutionRow)
            .where(ExecutionRow.schedule_name == schedule, ExecutionRow.status.in_(chosen))
            .order_by(ExecutionRow.scheduled_time.desc())
            .limit(1)
        )
        with self.session() as session:
            return session.scalars(query).first()

    # ------------------------------------------------------------------ metrics

    def add_metric_points(self, schedule: str, points: Iterable[MetricPoint]) -> None:
        """Record an execution's metric values."""
        rows = [
            MetricPointRow(
                schedule_name=schedule,
                scheduled_time=point.scheduled_time,
                stage=point.stage,
                facet=point.facet,
                facet_value=point.facet_value,
                metric=point.metric,
                value=point.value,
                lower=point.lower,
                upper=point.upper,
            )
            for point in points
        ]
        with self.session() as session, session.begin():
            session.add_all(rows)

    def metric_series(
        self,
        schedule: str,
        *,
        metric: str | None = None,
        stages: Sequence[str] | None = None,
        at: datetime | None = None,
    ) -> list[MetricPoint]:
        """A schedule's metric values over time (one metric, or all; one time), oldest first."""
        query = select(MetricPointRow).where(MetricPointRow.schedule_name == schedule)
        if at is not None:
            query = query.where(MetricPointRow.scheduled_time == at)
        if metric is not None:
            query = query.where(MetricPointRow.metric == metric)
        if stages is not None:
            query = query.where(MetricPointRow.stage.in_(list(stages)))
        query = query.order_by(MetricPointRow.scheduled_time, MetricPointRow.id)
        with self.session() as session:
            return [
                MetricPoint(
                    r.scheduled_time,
                    r.stage,
                    r.facet,
                    r.facet_value,
                    r.metric,
                    r.value,
                    r.lower,
                    r.upper,
                )
                for r in session.scalars(query)
            ]
