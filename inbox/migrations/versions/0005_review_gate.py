"""The review gate: decisions on reviews, channel stages as the gate set them, gate events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="hold")
        )
        batch_op.add_column(sa.Column("customer_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("inbound_message_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("intent", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("risks", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("reply_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("final_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("decided_by_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("escalation_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("outbox_id", sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f("ix_reviews_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_reviews_channel_decided", ["channel", "decided_at"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_id", sa.String(length=40), nullable=True))

    op.create_table(
        "channel_stages",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("autonomous_intents", sa.JSON(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_table(
        "gate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=50), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_stage", sa.String(length=20), nullable=False),
        sa.Column("to_stage", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("gate_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_gate_events_channel_time", ["channel", "occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gate_events", schema=None) as batch_op:
        batch_op.drop_index("ix_gate_events_channel_time")
    op.drop_table("gate_events")
    op.drop_table("channel_stages")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("review_id")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_reviews_channel_decided")
        batch_op.drop_index(batch_op.f("ix_reviews_customer_id"))
        for column in (
            "outbox_id",
            "escalation_id",
            "decided_by_name",
            "decided_by",
            "note",
            "category",
            "final_text",
            "reply_text",
            "context",
            "risks",
            "confidence",
            "intent",
            "inbound_message_id",
            "customer_id",
            "kind",
        ):
            batch_op.drop_column(column)
