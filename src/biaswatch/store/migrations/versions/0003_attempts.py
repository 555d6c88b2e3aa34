"""Every execution keeps its attempts; today's executions become their attempt 1.

Revision ID: 0003
Revises: 0002

An execution that has begun (every status but ``Pending``) gets attempt 1 with its status,
reason, output, counts, owner and times; what started it was not recorded before this revision,
so its trigger is ``scheduled``, and the ground-truth files it read are unknown (None), so the
scheduler's re-evaluation leaves it alone. A finished execution's lease is cleared: from this
revision on, a lease marks a running attempt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from biaswatch.store.schema import UtcDateTime

revision = "0003"
down_revision = "0002"

_FINISHED = ("'Completed'", "'CompletedWithViolations'", "'Failed'", "'Stopped'")


def upgrade() -> None:
    """Create the attempts table and fill it from the executions."""
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "execution_id",
            sa.Integer,
            sa.ForeignKey("executions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("failure_reason", sa.Text),
        sa.Column("output_uri", sa.Text),
        sa.Column("counts", sa.JSON),
        sa.Column("owner", sa.String(128)),
        sa.Column("ground_truth_until", UtcDateTime()),
        sa.Column("ground_truth_files", sa.JSON),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime()),
        sa.UniqueConstraint("execution_id", "number", name="uq_attempt_number"),
    )
    op.create_index("ix_attempts_execution_id", "attempts", ["execution_id"])
    op.add_column(
        "executions", sa.Column("attempts", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column("executions", sa.Column("attempt", sa.Integer))
    finished = ", ".join(_FINISHED)
    op.execute(
        "INSERT INTO attempts (execution_id, number, trigger, status, failure_reason,"
        " output_uri, counts, owner, started_at, ended_at)"
        " SELECT id, 1, 'scheduled', status, failure_reason, output_uri, counts, lease_owner,"
        " COALESCE(started_at, created_at), ended_at FROM executions WHERE status <> 'Pending'"
    )
    op.execute("UPDATE executions SET attempts = 1 WHERE status <> 'Pending'")
    op.execute(
        f"UPDATE executions SET attempt = 1, lease_owner = NULL, lease_expires_at = NULL"
        f" WHERE status IN ({finished})"
    )


def downgrade() -> None:
    """Drop the attempts (each execution keeps its latest finished attempt's result)."""
    op.drop_column("executions", "attempt")
    op.drop_column("executions", "attempts")
    op.drop_index("ix_attempts_execution_id", "attempts")
    op.drop_table("attempts")
