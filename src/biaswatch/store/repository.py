"""The metadata store's operations: endpoints, baselining jobs, schedules, executions, metrics.

Every time is an aware UTC datetime passed in by the caller (the clock is injected above this
layer). Executions are unique per (schedule, scheduled time) and keep their attempts. A worker
*claims* an attempt with a conditional update, so that of several processes on one database
exactly one runs a slot's next attempt, and keeps the slot by renewing a lease. An attempt whose
worker is gone (its lease ran out, or its process on this host no longer exists) is ended
``Failed`` by :meth:`Store.end_stale`, which any process may call; rerunning the slot is a new
attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from biaswatch.analysis.points import MetricPoint
from biaswatch.config.names import check_name
from biaswatch.errors import ConfigError
from biaswatch.status import DeliveryStatus, ExecutionStatus, ScheduleStatus, Trigger
from biaswatch.storage.files import FileStamp
from biaswatch.store.database import open_engine
from biaswatch.store.owners import owner_alive
from biaswatch.store.schema import (
    AttemptRow,
    BaseliningJobRow,
    DeliveryRow,
    EndpointRow,
    ExecutionRow,
    LiveEpisodeRow,
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
        """Delete a schedule with everything recorded of it; whether it existed.

        Its executions, attempts, live episodes, deliveries and metric points.
        """
        with self.session() as session, session.begin():
            session.execute(delete(MetricPointRow).where(MetricPointRow.schedule_name == name))
            slots = select(ExecutionRow.id).where(ExecutionRow.schedule_name == name)
            episodes = select(LiveEpisodeRow.id).where(LiveEpisodeRow.schedule_name == name)
            session.execute(delete(DeliveryRow).where(DeliveryRow.execution_id.in_(slots)))
            session.execute(delete(DeliveryRow).where(DeliveryRow.live_episode_id.in_(episodes)))
            session.execute(delete(LiveEpisodeRow).where(LiveEpisodeRow.schedule_name == name))
            session.execute(delete(AttemptRow).where(AttemptRow.execution_id.in_(slots)))
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

    def claim(
        self,
        execution_id: int,
        *,
        owner: str,
        now: datetime,
        lease: timedelta,
        trigger: Trigger,
        rerun: bool = False,
        ground_truth_until: datetime | None = None,
        after: int | None = None,
    ) -> AttemptRow | None:
        """Begin the slot's next attempt, leased to ``owner``; None when it may not begin.

        The first attempt begins on a ``Pending`` slot; with ``rerun``, another one on a finished
        slot, recording ``ground_truth_until`` (the first attempt reads SageMaker's window, so
        it records None). None when an attempt is running (another worker's, or a stale one that
        :meth:`end_stale` has not ended yet) or the slot is in neither state, and when ``after``
        is given and the slot has had another attempt since attempt ``after``. Of several
        callers racing, exactly one wins: the update is conditional on the attempt count seen.
        """
        with self.session() as session, session.begin():
            slot = session.get(ExecutionRow, execution_id)
            if slot is None or slot.lease_owner is not None:
                return None
            if after is not None and slot.attempts != after:
                return None
            first = slot.status == ExecutionStatus.PENDING
            if not first and not (rerun and ExecutionStatus(slot.status).finished):
                return None
            number = slot.attempts + 1
            values: dict[str, Any] = {
                "attempts": number,
                "lease_owner": owner,
                "lease_expires_at": now + lease,
            }
            if first:
                values.update(status=ExecutionStatus.IN_PROGRESS.value, started_at=now)
            claimed = session.execute(
                update(ExecutionRow)
                .where(
                    ExecutionRow.id == execution_id,
                    ExecutionRow.attempts == slot.attempts,
                    ExecutionRow.lease_owner.is_(None),
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if not _changed(claimed):
                return None
            attempt = AttemptRow(
                execution_id=execution_id,
                number=number,
                trigger=trigger.value,
                status=ExecutionStatus.IN_PROGRESS.value,
                owner=owner,
                ground_truth_until=None if first else ground_truth_until,
                started_at=now,
            )
            session.add(attempt)
        return attempt

    def heartbeat(self, execution_id: int, *, owner: str, now: datetime, lease: timedelta) -> bool:
        """Renew a running attempt's lease; False when its worker no longer holds the slot."""
        with self.session() as session, session.begin():
            renewed = _changed(
                session.execute(
                    update(ExecutionRow)
                    .where(ExecutionRow.id == execution_id, ExecutionRow.lease_owner == owner)
                    .values(lease_expires_at=now + lease)
                )
            )
        return bool(renewed)

    def finish(
        self,
        attempt: AttemptRow,
        *,
        status: ExecutionStatus,
        now: datetime,
        failure_reason: str | None = None,
        output_uri: str | None = None,
        counts: dict[str, Any] | None = None,
        points: Iterable[MetricPoint] = (),
        ground_truth_files: Sequence[FileStamp] | None = None,
        archived: tuple[int, str] | None = None,
    ) -> bool:
        """End an attempt the worker holds; False when it no longer holds the slot.

        The slot then shows this attempt: its status, reason, output, counts and metric points
        (the earlier attempt's points are replaced). ``archived`` is (number, folder) of an
        earlier attempt whose files this one moved out of the slot's folder.
        """
        assert attempt.owner is not None
        return self._end(
            attempt.execution_id,
            attempt.number,
            attempt.owner,
            status=status,
            now=now,
            failure_reason=failure_reason,
            output_uri=output_uri,
            counts=counts,
            points=points,
            ground_truth_files=(
                None
                if ground_truth_files is None
                else [stamp.to_json() for stamp in ground_truth_files]
            ),
            archived=archived,
        )

    def _end(
        self,
        execution_id: int,
        number: int,
        owner: str,
        *,
        status: ExecutionStatus,
        now: datetime,
        failure_reason: str | None,
        output_uri: str | None = None,
        counts: dict[str, Any] | None = None,
        points: Iterable[MetricPoint] = (),
        ground_truth_files: list[list[Any]] | None = None,
        archived: tuple[int, str] | None = None,
    ) -> bool:
        """End attempt ``number``, leased to ``owner``, and show it on its slot (one transaction).

        False, changing nothing, when the slot's lease is no longer that attempt's.
        """
        with self.session() as session, session.begin():
            slot = session.get(ExecutionRow, execution_id)
            attempt = session.scalars(
                select(AttemptRow).where(
                    AttemptRow.execution_id == execution_id, AttemptRow.number == number
                )
            ).first()
            if slot is None or attempt is None:
                return False
            shown = session.execute(
                update(ExecutionRow)
                .where(
                    ExecutionRow.id == execution_id,
                    ExecutionRow.lease_owner == owner,
                    ExecutionRow.attempts == number,
                )
                .values(
                    status=status.value,
                    failure_reason=failure_reason,
                    output_uri=output_uri,
                    counts=counts,
                    started_at=attempt.started_at,
                    ended_at=now,
                    attempt=number,
                    lease_owner=None,
                    lease_expires_at=None,
                )
                .execution_options(synchronize_session=False)
            )
            if not _changed(shown):
                return False
            attempt.status = status.value
            attempt.failure_reason = failure_reason
            attempt.output_uri = output_uri
            attempt.counts = counts
            attempt.ended_at = now
            attempt.ground_truth_files = ground_truth_files
            if archived is not None:
                earlier, folder = archived
                session.execute(
                    update(AttemptRow)
                    .where(AttemptRow.execution_id == execution_id, AttemptRow.number == earlier)
                    .values(output_uri=folder)
                )
            self._replace_points(session, slot.schedule_name, slot.scheduled_time, points)
        return True

    @staticmethod
    def _replace_points(
        session: Session, schedule: str, scheduled_time: datetime, points: Iterable[MetricPoint]
    ) -> None:
        session.execute(
            delete(MetricPointRow).where(
                MetricPointRow.schedule_name == schedule,
                MetricPointRow.scheduled_time == scheduled_time,
            )
        )
        session.add_all(
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
        )

    def end_stale(self, *, now: datetime, execution_id: int | None = None) -> list[int]:
        """End ``Failed`` the running attempts whose worker is gone; the slots they were in.

        A worker is gone when its lease ran out, or when it was a process on this host that no
        longer exists. The slot then shows that failed attempt, whose reason says so; a rerun
        runs the slot again. With ``execution_id``, only that slot is looked at.
        """
        query = select(ExecutionRow).where(ExecutionRow.lease_owner.is_not(None))
        if execution_id is not None:
            query = query.where(ExecutionRow.id == execution_id)
        ended = []
        with self.session() as session:
            running = list(session.scalars(query))
        for slot in running:
            assert slot.lease_owner is not None
            assert slot.lease_expires_at is not None
            if slot.lease_expires_at < now:
                why = f"its lease expired at {slot.lease_expires_at.isoformat()}"
            elif not owner_alive(slot.lease_owner):
                why = "that process no longer exists"
            else:
                continue
            reason = (
                f"attempt {slot.attempts} stopped before finishing: it ran in"
                f" {slot.lease_owner.partition('/')[0]}, and {why}. Rerun the execution"
                " (run_execution(rerun=True), or biaswatch executions run --rerun)"
            )
            ended_it = self._end(
                slot.id,
                slot.attempts,
                slot.lease_owner,
                status=ExecutionStatus.FAILED,
                now=now,
                failure_reason=reason,
            )
            if ended_it:
                ended.append(slot.id)
        return ended

    def stop(self, execution_id: int, *, now: datetime, reason: str) -> bool:
        """End the slot's running attempt ``Stopped`` with ``reason``; False if none runs.

        Its worker no longer holds the slot: it writes nothing, and its runner ends it
        (:meth:`holds` turns False).
        """
        slot = self.execution(execution_id)
        if slot is None or slot.lease_owner is None:
            return False
        return self._end(
            slot.id,
            slot.attempts,
            slot.lease_owner,
            status=ExecutionStatus.STOPPED,
            now=now,
            failure_reason=reason,
        )

    def holds(self, execution_id: int, owner: str) -> bool:
        """Whether ``owner`` still holds the slot's lease (it was not stopped or taken over)."""
        query = select(ExecutionRow.lease_owner).where(ExecutionRow.id == execution_id)
        with self.session() as session:
            return session.scalar(query) == owner

    def attempts(self, execution_id: int) -> list[AttemptRow]:
        """An execution's attempts, latest first."""
        query = (
            select(AttemptRow)
            .where(AttemptRow.execution_id == execution_id)
            .order_by(AttemptRow.number.desc())
        )
        with self.session() as session:
            return list(session.scalars(query))

    def attempt(self, execution_id: int, number: int) -> AttemptRow | None:
        """Attempt ``number`` of an execution."""
        query = select(AttemptRow).where(
            AttemptRow.execution_id == execution_id, AttemptRow.number == number
        )
        with self.session() as session:
            return session.scalars(query).first()

    def finished_between(
        self, schedule: str, *, since: datetime, until: datetime
    ) -> list[tuple[ExecutionRow, AttemptRow | None]]:
        """The schedule's finished slots with no running attempt in ``[since, until]``.

        Each with its latest attempt that recorded the ground-truth files it read (None when no
        attempt did), for the scheduler's re-evaluation.
        """
        finished = [s.value for s in ExecutionStatus if s.finished]
        with self.session() as session:
            slots = list(
                session.scalars(
                    select(ExecutionRow)
                    .where(
                        ExecutionRow.schedule_name == schedule,
                        ExecutionRow.scheduled_time >= since,
                        ExecutionRow.scheduled_time <= until,
                        ExecutionRow.status.in_(finished),
                        ExecutionRow.lease_owner.is_(None),
                    )
                    .order_by(ExecutionRow.scheduled_time)
                )
            )
            recorded: dict[int, AttemptRow] = {}
            if slots:
                for attempt in session.scalars(
                    select(AttemptRow)
                    .where(
                        AttemptRow.execution_id.in_([slot.id for slot in slots]),
                        AttemptRow.ground_truth_files.is_not(None),
                    )
                    .order_by(AttemptRow.number)
                ):
                    recorded[attempt.execution_id] = attempt
        return [(slot, recorded.get(slot.id)) for slot in slots]

    def executions(
        self,
        schedule: str,
        *,
        limit: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[ExecutionRow]:
        """A schedule's executions, oldest scheduled time first.

        Those scheduled in ``[since, until)`` when given; the last ``limit`` of them.
        """
        query = (
            select(ExecutionRow)
            .where(ExecutionRow.schedule_name == schedule)
            .order_by(ExecutionRow.scheduled_time.desc())
        )
        if since is not None:
            query = query.where(ExecutionRow.scheduled_time >= since)
        if until is not None:
            query = query.where(ExecutionRow.scheduled_time < until)
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
        self,
        schedule: str,
        *,
        statuses: Iterable[ExecutionStatus] | None = None,
        before: datetime | None = None,
    ) -> ExecutionRow | None:
        """The schedule's finished execution (of ``statuses``) with the latest scheduled time.

        With ``before``, the latest one scheduled before that time.
        """
        chosen = [s.value for s in (statuses or ExecutionStatus) if s.finished]
        query = (
            select(ExecutionRow)
            .where(ExecutionRow.schedule_name == schedule, ExecutionRow.status.in_(chosen))
            .order_by(ExecutionRow.scheduled_time.desc())
            .limit(1)
        )
        if before is not None:
            query = query.where(ExecutionRow.scheduled_time < before)
        with self.session() as session:
            return session.scalars(query).first()

    def episode(self, schedule: str, *, before: datetime | None = None) -> list[ExecutionRow]:
        """The schedule's current violation episode (before ``before``), oldest first.

        Its slots with violations since the latest one that completed without; none when
        that is the latest analysed slot, or none has analysed its window.
        """
        calm = self.latest_finished(schedule, statuses=[ExecutionStatus.COMPLETED], before=before)
        since = None if calm is None else calm.scheduled_time + timedelta(microseconds=1)
        return [
            slot
            for slot in self.executions(schedule, since=since, until=before)
            if slot.status == ExecutionStatus.COMPLETED_WITH_VIOLATIONS
        ]

    def running_before(self, schedule: str, scheduled_time: datetime) -> bool:
        """Whether an attempt of one of the schedule's slots before ``scheduled_time`` runs."""
        query = (
            select(func.count())
            .select_from(ExecutionRow)
            .where(
                ExecutionRow.schedule_name == schedule,
                ExecutionRow.scheduled_time < scheduled_time,
                ExecutionRow.lease_owner.is_not(None),
            )
        )
        with self.session() as session:
            return bool(session.scalar(query))

    # ------------------------------------------------------------ notifications

    def unnoticed(self, *, limit: int = 100) -> list[tuple[ExecutionRow, AttemptRow]]:
        """Ended attempts whose notifications are not decided yet, with their slots.

        The earliest scheduled slots first, so that a schedule's events follow its slots.
        """
        query = (
            select(ExecutionRow, AttemptRow)
            .join(AttemptRow, AttemptRow.execution_id == ExecutionRow.id)
            .where(AttemptRow.ended_at.is_not(None), AttemptRow.noticed_at.is_(None))
            .order_by(ExecutionRow.scheduled_time, AttemptRow.number)
            .limit(limit)
        )
        with self.session() as session:
            return [(slot, attempt) for slot, attempt in session.execute(query)]

    def notice(
        self, attempt: AttemptRow, deliveries: Sequence[DeliveryRow], *, now: datetime
    ) -> bool:
        """Decide an attempt's notifications: mark it noticed and add ``deliveries``.

        One transaction, conditional on the attempt not being noticed yet: of several
        processes deciding, exactly one adds its deliveries; False for the others.
        """
        with self.session() as session, session.begin():
            noticed = session.execute(
                update(AttemptRow)
                .where(AttemptRow.id == attempt.id, AttemptRow.noticed_at.is_(None))
                .values(noticed_at=now)
                .execution_options(synchronize_session=False)
            )
            if not _changed(noticed):
                return False
            session.add_all(deliveries)
        return True

    def due_deliveries(
        self, *, now: datetime, execution_id: int | None = None, limit: int = 100
    ) -> list[DeliveryRow]:
        """Deliveries to try now: pending and due, or sent by a process whose lease ran out."""
        query = (
            select(DeliveryRow)
            .where(self._due(now))
            .order_by(DeliveryRow.due_at, DeliveryRow.id)
            .limit(limit)
        )
        if execution_id is not None:
            query = query.where(DeliveryRow.execution_id == execution_id)
        with self.session() as session:
            return list(session.scalars(query))

    @staticmethod
    def _due(now: datetime) -> Any:
        return or_(
            and_(DeliveryRow.status == DeliveryStatus.PENDING, DeliveryRow.due_at <= now),
            and_(DeliveryRow.status == DeliveryStatus.SENDING, DeliveryRow.lease_expires_at < now),
        )

    def claim_delivery(
        self, delivery_id: int, *, owner: str, now: datetime, lease: timedelta
    ) -> DeliveryRow | None:
        """Begin a try of a due delivery, leased to ``owner``; None when it is not due.

        Of several processes racing, exactly one wins: the update is conditional on it being
        due.
        """
        with self.session() as session, session.begin():
            claimed = session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, self._due(now))
                .values(
                    status=DeliveryStatus.SENDING.value,
                    tries=DeliveryRow.tries + 1,
                    tried_at=now,
                    lease_owner=owner,
                    lease_expires_at=now + lease,
                )
                .execution_options(synchronize_session=False)
            )
            if not _changed(claimed):
                return None
            return session.get(DeliveryRow, delivery_id)

    def end_delivery(
        self,
        delivery: DeliveryRow,
        *,
        now: datetime,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> bool:
        """End a try: ``Delivered`` without ``error``, else ``Pending`` until ``retry_at``.

        ``Failed`` when there is an error and no ``retry_at``. The last error stays when a
        later try delivers it. False, changing nothing, when the
        try's lease was taken over.
        """
        values: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}
        if error is None:
            values.update(status=DeliveryStatus.DELIVERED.value, delivered_at=now)
        elif retry_at is not None:
            values.update(status=DeliveryStatus.PENDING.value, due_at=retry_at, last_error=error)
        else:
            values.update(status=DeliveryStatus.FAILED.value, last_error=error)
        with self.session() as session, session.begin():
            ended = session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id == delivery.id,
                    DeliveryRow.lease_owner == delivery.lease_owner,
                    DeliveryRow.tries == delivery.tries,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return bool(_changed(ended))

    def deliveries(self, execution_id: int) -> list[DeliveryRow]:
        """An execution's deliveries, the latest attempt's first."""
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.execution_id == execution_id)
            .order_by(DeliveryRow.attempt.desc(), DeliveryRow.id)
        )
        with self.session() as session:
            return list(session.scalars(query))

    # ------------------------------------------------------------ live episodes

    def open_live_episode(self, schedule: str) -> LiveEpisodeRow | None:
        """The schedule's live episode going on, if any."""
        query = select(LiveEpisodeRow).where(
            LiveEpisodeRow.schedule_name == schedule, LiveEpisodeRow.ended_at.is_(None)
        )
        with self.session() as session:
            return session.scalar(query)

    def begin_live_episode(
        self, episode: LiveEpisodeRow, deliveries: Sequence[DeliveryRow]
    ) -> bool:
        """Open ``episode`` with its first event's ``deliveries``, in one transaction.

        False, adding nothing, when the schedule has an open episode already (another process
        opened it first: at most one is open per schedule).
        """
        try:
            with self.session() as session, session.begin():
                session.add(episode)
                session.flush()
                for delivery in deliveries:
                    delivery.live_episode_id = episode.id
                session.add_all(deliveries)
        except IntegrityError:
            return False
        return True

    def advance_live_episode(
        self,
        episode: LiveEpisodeRow,
        *,
        violated: Sequence[Sequence[str]],
        now: datetime,
        ended: bool,
        deliveries: Sequence[DeliveryRow],
    ) -> bool:
        """Record an open episode's next event (it grew, or ``ended``) with its deliveries.

        Conditional on the episode being as read (its ``events``): of several processes, one
        records each event; False, changing nothing, for the others.
        """
        values: dict[str, Any] = {"events": episode.events + 1, "violated": list(violated)}
        values["ended_at" if ended else "last_violated_at"] = now
        with self.session() as session, session.begin():
            advanced = session.execute(
                update(LiveEpisodeRow)
                .where(
                    LiveEpisodeRow.id == episode.id,
                    LiveEpisodeRow.events == episode.events,
                    LiveEpisodeRow.ended_at.is_(None),
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if not _changed(advanced):
                return False
            for delivery in deliveries:
                delivery.live_episode_id = episode.id
            session.add_all(deliveries)
        return True

    def live_violation_seen(self, episode_id: int, *, now: datetime) -> None:
        """Note that an open episode's violations were seen again at ``now``."""
        with self.session() as session, session.begin():
            session.execute(
                update(LiveEpisodeRow)
                .where(
                    LiveEpisodeRow.id == episode_id,
                    LiveEpisodeRow.ended_at.is_(None),
                    LiveEpisodeRow.last_violated_at < now,
                )
                .values(last_violated_at=now)
                .execution_options(synchronize_session=False)
            )

    def live_episodes(self, schedule: str, *, limit: int = 20) -> list[LiveEpisodeRow]:
        """The schedule's live episodes, the latest first."""
        query = (
            select(LiveEpisodeRow)
            .where(LiveEpisodeRow.schedule_name == schedule)
            .order_by(LiveEpisodeRow.began_at.desc(), LiveEpisodeRow.id.desc())
            .limit(limit)
        )
        with self.session() as session:
            return list(session.scalars(query))

    def live_deliveries(self, episode_id: int) -> list[DeliveryRow]:
        """A live episode's deliveries, its latest event's first."""
        query = (
            select(DeliveryRow)
            .where(DeliveryRow.live_episode_id == episode_id)
            .order_by(DeliveryRow.attempt.desc(), DeliveryRow.id)
        )
        with self.session() as session:
            return list(session.scalars(query))

    # ------------------------------------------------------------------ metrics

    def metric_series(
        self,
        schedule: str,
        *,
        metric: str | None = None,
        stages: Sequence[str] | None = None,
        at: datetime | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[MetricPoint]:
        """A schedule's metric values over time, oldest first.

        One metric, or all; one time, or those in ``[since, until)``.
        """
        query = select(MetricPointRow).where(MetricPointRow.schedule_name == schedule)
        if at is not None:
            query = query.where(MetricPointRow.scheduled_time == at)
        if since is not None:
            query = query.where(MetricPointRow.scheduled_time >= since)
        if until is not None:
            query = query.where(MetricPointRow.scheduled_time < until)
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
