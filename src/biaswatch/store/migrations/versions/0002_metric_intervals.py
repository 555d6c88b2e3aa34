"""Metric points keep their confidence interval (when the schedule computes intervals).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    """Add the interval's bounds."""
    op.add_column("metric_points", sa.Column("lower", sa.Float))
    op.add_column("metric_points", sa.Column("upper", sa.Float))


def downgrade() -> None:
    """Drop them."""
    op.drop_column("metric_points", "upper")
    op.drop_column("metric_points", "lower")
