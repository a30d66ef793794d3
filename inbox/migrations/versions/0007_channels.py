"""Channels: the outbox becomes a delivery queue (status, attempts, retries, threading headers),
and consent for messages Threadline starts (STOP/START, the shop's consent).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conversation_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("provider", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("headers", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("meta", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), nullable=False, server_default="pending")
        )
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("provider_message_id", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column(
                "next_attempt_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_due", ["status", "next_attempt_at"])
        batch_op.create_index("ix_outbox_created", ["created_at", "id"])
        batch_op.create_unique_constraint("uq_outbox_dedupe_key", ["dedupe_key"])
    op.execute("UPDATE outbox SET status = 'sent' WHERE sent_at IS NOT NULL")

    op.create_table(
        "channel_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("keyword", sa.String(length=20), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "address", name="uq_channel_consents_address"),
    )
    with op.batch_alter_table("channel_consents", schema=None) as batch_op:
        batch_op.create_index("ix_channel_consents_customer_id", ["customer_id"])


def downgrade() -> None:
    with op.batch_alter_table("channel_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_channel_consents_customer_id")
    op.drop_table("channel_consents")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint("uq_outbox_dedupe_key", type_="unique")
        batch_op.drop_index("ix_outbox_created")
        batch_op.drop_index("ix_outbox_due")
        for column in (
            "lease_until",
            "next_attempt_at",
            "provider_message_id",
            "last_error",
            "attempts",
            "status",
            "dedupe_key",
            "meta",
            "headers",
            "provider",
            "message_id",
            "conversation_id",
        ):
            batch_op.drop_column(column)
