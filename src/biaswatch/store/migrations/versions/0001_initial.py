"""The first schema: endpoints, baselining jobs, schedules, executions, metric points.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from biaswatch.store.schema import UtcDateTime

revision = "0001"
down_revision = None


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "endpoints",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("variant", sa.String(63), nullable=False),
        sa.Column("capture_uri", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "baselining_jobs",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("analysis_config", sa.JSON, nullable=False),
        sa.Column("output_uri", sa.Text, nullable=False),
        sa.Column("failure_reason", sa.Text),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime()),
    )
    op.create_table(
        "schedules",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("expression", sa.String(256)),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "executions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "schedule_name",
            sa.String(63),
            sa.ForeignKey("schedules.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scheduled_time", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("failure_reason", sa.Text),
        sa.Column("output_uri", sa.Text),
        sa.Column("counts", sa.JSON),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("started_at", UtcDateTime()),
        sa.Column("ended_at", UtcDateTime()),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", UtcDateTime()),
        sa.UniqueConstraint("schedule_name", "scheduled_time", name="uq_execution_slot"),
    )
    op.create_index("ix_executions_schedule_name", "executions", ["schedule_name"])
    op.create_table(
        "metric_points",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "schedule_name",
            sa.String(63),
            sa.ForeignKey("schedules.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("scheduled_time", UtcDateTime(), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("facet", sa.Text, nullable=False),
        sa.Column("facet_value", sa.Text, nullable=False),
        sa.Column("metric", sa.String(16), nullable=False),
        sa.Column("value", sa.Float),
    )
    op.create_index(
        "ix_metric_series", "metric_points", ["schedule_name", "metric", "scheduled_time"]
    )


def downgrade() -> None:
    """Drop the tables."""
    for table in ("metric_points", "executions", "schedules", "baselining_jobs", "endpoints"):
        op.drop_table(table)
