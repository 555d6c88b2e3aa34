"""Live violations: episodes of an endpoint's live metrics, and their deliveries.

Revision ID: 0005
Revises: 0004

Adds ``live_episodes`` (at most one open per schedule) and lets a delivery belong to a live
episode instead of an execution: ``deliveries.execution_id`` becomes nullable and
``deliveries.live_episode_id`` is added. Existing deliveries are kept as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from biaswatch.store.schema import UtcDateTime

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    """Add the live episodes, and deliveries of live episodes."""
    op.create_table(
        "live_episodes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "schedule_name",
            sa.String(63),
            sa.ForeignKey("schedules.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("endpoint_name", sa.String(63), nullable=False),
        sa.Column("window_minutes", sa.Integer, nullable=False),
        sa.Column("violated", sa.JSON, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("began_at", UtcDateTime(), nullable=False),
        sa.Column("last_violated_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime()),
    )
    op.create_index("ix_live_episodes_schedule_name", "live_episodes", ["schedule_name"])
    op.create_index(
        "ix_live_episode_open",
        "live_episodes",
        ["schedule_name"],
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    # SQLite alters a column by copying the table: batch mode does it there.
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("execution_id", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("live_episode_id", sa.Integer))
        batch.create_foreign_key(
            "fk_deliveries_live_episode",
            "live_episodes",
            ["live_episode_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_unique_constraint(
            "uq_live_delivery", ["live_episode_id", "attempt", "event", "position"]
        )
        batch.create_index("ix_deliveries_live_episode_id", ["live_episode_id"])


def downgrade() -> None:
    """Drop the live episodes and their deliveries."""
    op.execute("DELETE FROM deliveries WHERE execution_id IS NULL")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_live_episode_id")
        batch.drop_constraint("uq_live_delivery", type_="unique")
        batch.drop_constraint("fk_deliveries_live_episode", type_="foreignkey")
        batch.drop_column("live_episode_id")
        batch.alter_column("execution_id", existing_type=sa.Integer, nullable=False)
    op.drop_index("ix_live_episode_open", "live_episodes")
    op.drop_index("ix_live_episodes_schedule_name", "live_episodes")
    op.drop_table("live_episodes")
