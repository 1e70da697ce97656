"""crawl_run_outlets.discovered: what a crawl found for an outlet (autodiscovery, backfill)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run_outlets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discovered", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_run_outlets", schema=None) as batch_op:
        batch_op.drop_column("discovered")
