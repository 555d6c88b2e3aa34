"""Notifications: each attempt's event delivered to its schedule's receivers, with a record.

Revision ID: 0004
Revises: 0003

Attempts get ``noticed_at``: when their notifications were decided. Attempts that ended
before this revision count as noticed at their end, so upgrading sends nothing about the past.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from biaswatch.store.schema import UtcDateTime

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    """Add ``attempts.noticed_at`` and the deliveries table."""
    op.add_column("attempts", sa.Column("noticed_at", UtcDateTime()))
    op.execute("UPDATE attempts SET noticed_at = ended_at WHERE ended_at IS NOT NULL")
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "execution_id",
            sa.Integer,
            sa.ForeignKey("executions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("target", sa.JSON, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tries", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("tried_at", UtcDateTime()),
        sa.Column("delivered_at", UtcDateTime()),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_expires_at", UtcDateTime()),
        sa.UniqueConstraint("execution_id", "attempt", "event", "position", name="uq_delivery"),
    )
    op.create_index("ix_deliveries_execution_id", "deliveries", ["execution_id"])
    op.create_index("ix_deliveries_status", "deliveries", ["status"])


def downgrade() -> None:
    """Drop the deliveries and ``attempts.noticed_at``."""
    op.drop_index("ix_deliveries_status", "deliveries")
    op.drop_index("ix_deliveries_execution_id", "deliveries")
    op.drop_table("deliveries")
    op.drop_column("attempts", "noticed_at")
