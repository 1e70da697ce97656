"""schedule: per-outlet polling intervals; the feed's declared update period per crawl

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outlet_schedule",
        sa.Column("outlet_id", sa.Integer(), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.Integer(), nullable=True),
        sa.Column("last_new", sa.Integer(), nullable=False),
        sa.Column("feed_update_seconds", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_outlet_schedule_last_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"],
            ["outlets.id"],
            name=op.f("fk_outlet_schedule_outlet_id_outlets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outlet_id", name=op.f("pk_outlet_schedule")),
    )
    with op.batch_alter_table("outlet_schedule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outlet_schedule_next_due_at"), ["next_due_at"], unique=False)
    with op.batch_alter_table("crawl_run_outlets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_update_seconds", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_run_outlets", schema=None) as batch_op:
        batch_op.drop_column("feed_update_seconds")
    with op.batch_alter_table("outlet_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outlet_schedule_next_due_at"))
    op.drop_table("outlet_schedule")
