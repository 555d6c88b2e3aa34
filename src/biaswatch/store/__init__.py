"""The metadata store (SQLAlchemy): schedules, executions and their attempts, deliveries, metrics.

SQLite under ``BIASWATCH_HOME`` by default, PostgreSQL with ``BIASWATCH_DATABASE_URL``; alembic
migrations are applied when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from biaswatch._lazy import lazy_exports

if TYPE_CHECKING:
    from biaswatch.status import (
        DeliveryStatus,
        ExecutionStatus,
        JobStatus,
        ScheduleStatus,
        Trigger,
    )
    from biaswatch.store.database import DATABASE_VARIABLE, database_url, migrate, open_engine
    from biaswatch.store.owners import attempt_owner, owner_alive, process_owner
    from biaswatch.store.repository import MetricPoint, Store
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

__all__ = [
    "DATABASE_VARIABLE",
    "AttemptRow",
    "BaseliningJobRow",
    "DeliveryRow",
    "DeliveryStatus",
    "EndpointRow",
    "ExecutionRow",
    "ExecutionStatus",
    "JobStatus",
    "LiveEpisodeRow",
    "MetricPoint",
    "MetricPointRow",
    "ScheduleRow",
    "ScheduleStatus",
    "Store",
    "Trigger",
    "attempt_owner",
    "database_url",
    "migrate",
    "open_engine",
    "owner_alive",
    "process_owner",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
