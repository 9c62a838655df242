"""reminder schedules, extra holidays, the send ledger, notify preferences

Revision ID: 0006
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reminder_schedules",
        sa.Column("id", BigId, nullable=False),
        sa.Column("project_id", BigId, nullable=True),
        sa.Column("unit_id", BigId, nullable=True),
        sa.Column("reminder_day", sa.Integer(), nullable=True),
        sa.Column("followup_days", sa.String(length=40), nullable=True),
        sa.Column("deadline_day", sa.Integer(), nullable=True),
        sa.Column("digest_day", sa.Integer(), nullable=True),
        sa.Column("at_time", sa.String(length=5), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id"),
        sa.UniqueConstraint("unit_id"),
    )
    op.create_table(
        "extra_holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "send_ledger",
        sa.Column("id", BigId, nullable=False),
        sa.Column("target", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("occasion", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outbox_id", BigId, nullable=True),
        sa.Column("project_ids", sa.Text(), nullable=False),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target", "scope", "month", "occasion", name="uq_send_ledger_claim"),
    )
    op.create_index("ix_send_ledger_month", "send_ledger", ["month", "kind"])
    op.create_table(
        "notify_preferences",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("new_reports", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["persons.user_id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("notify_preferences")
    op.drop_index("ix_send_ledger_month", table_name="send_ledger")
    op.drop_table("send_ledger")
    op.drop_table("extra_holidays")
    op.drop_table("reminder_schedules")
