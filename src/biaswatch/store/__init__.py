"""The metadata store (SQLAlchemy): endpoints, baselining jobs, schedules, executions, metrics.

SQLite under ``BIASWATCH_HOME`` by default, PostgreSQL with ``BIASWATCH_DATABASE_URL``; alembic
migrations are applied when a store is opened.
"""

from __future__ import annotations

from biaswatch.status import ExecutionStatus, JobStatus, ScheduleStatus
from biaswatch.store.database import DATABASE_VARIABLE, database_url, migrate, open_engine
from biaswatch.store.repository import MetricPoint, Store
from biaswatch.store.schema import (
    BaseliningJobRow,
    EndpointRow,
    ExecutionRow,
    MetricPointRow,
    ScheduleRow,
)

__all__ = [
    "DATABASE_VARIABLE",
    "BaseliningJobRow",
    "EndpointRow",
    "ExecutionRow",
    "ExecutionStatus",
    "JobStatus",
    "MetricPoint",
    "MetricPointRow",
    "ScheduleRow",
    "ScheduleStatus",
    "Store",
    "database_url",
    "migrate",
    "open_engine",
]
