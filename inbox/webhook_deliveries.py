"""Webhook deliveries already handled, by the sender's delivery id: a redelivery does nothing."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from inbox.models import WebhookDelivery


def handled_before(session: Session, source: str, delivery_id: str) -> bool:
    seen = select(WebhookDelivery.id).where(
        WebhookDelivery.source == source, WebhookDelivery.delivery_id == delivery_id
    )
    return session.exec(seen).first() is not None


def claim_delivery(session: Session, source: str, delivery_id: str, topic: str) -> bool:
    """Record the delivery in the caller's transaction (with the work it causes); False when
    it was handled before, or a concurrent redelivery recorded it first."""
    if handled_before(session, source, delivery_id):
        return False
    try:
        with session.begin_nested():
            session.add(WebhookDelivery(source=source, delivery_id=delivery_id, topic=topic))
    except IntegrityError:
        return False
    return True
