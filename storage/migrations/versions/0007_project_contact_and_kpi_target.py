"""project contact phone, KPI target and value reached (for the official form)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("responsible_phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("kpi_target", sa.Text(), nullable=True))
        batch.add_column(sa.Column("kpi_value", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("kpi_value")
        batch.drop_column("kpi_target")
        batch.drop_column("responsible_phone")
