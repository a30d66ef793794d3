"""Handled channel webhook deliveries (dedupe) and privacy exports for data requests.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00
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
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("delivery_id", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "delivery_id", name="uq_webhook_deliveries_source_delivery"),
    )

    op.create_table(
        "privacy_exports",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("shop_domain", sa.String(length=255), nullable=False),
        sa.Column("shopify_customer_id", sa.String(length=40), nullable=True),
        sa.Column("data_request_id", sa.String(length=40), nullable=True),
        sa.Column("customer_ids", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacy_exports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_exports_shopify_customer_id"),
            ["shopify_customer_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("privacy_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_exports_shopify_customer_id"))
    op.drop_table("privacy_exports")
    op.drop_table("webhook_deliveries")
