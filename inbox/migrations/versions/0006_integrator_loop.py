"""The integrator's loop: who has an escalation, and the event webhook's outbound events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("resolved_by_name", sa.String(length=100), nullable=True))
        batch_op.create_index("ix_escalations_created", ["created_at", "id"], unique=False)

    op.create_table(
        "outbound_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("conversation_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbound_events", schema=None) as batch_op:
        batch_op.create_index("ix_outbound_events_due", ["status", "next_attempt_at"])
        batch_op.create_index("ix_outbound_events_created", ["created_at", "id"])


def downgrade() -> None:
    with op.batch_alter_table("outbound_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_events_created")
        batch_op.drop_index("ix_outbound_events_due")
    op.drop_table("outbound_events")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index("ix_escalations_created")
        for column in (
            "resolved_by_name",
            "resolved_by",
            "resolved_at",
            "claimed_by",
            "claimed_at",
            "assignee",
        ):
            batch_op.drop_column(column)
