"""crawl_run_outlets.health: per run and outlet, what its new articles and fetches say

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run_outlets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("health", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_run_outlets", schema=None) as batch_op:
        batch_op.drop_column("health")
