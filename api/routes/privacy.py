"""`/v1/privacy/exports`: what a data request gathered, for admins to hand to the customer.

Exports are written by Shopify's `customers/data_request` webhook (`api.routes.shopify_webhooks`)
and hold personal data, so only admin keys read them, and every read is an event.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from api.deps import AdminKey, SessionDep
from api.errors import KEYED, ApiError, error_responses
from api.schemas import Moment, RecordId
from inbox.conversations import record_event
from inbox.models import PrivacyExport

router = APIRouter(
    prefix="/v1/privacy", tags=["privacy"], responses=error_responses(*KEYED, 403, 422)
)


class PrivacyExportSummary(BaseModel):
    id: str
    shop_domain: str
    shopify_customer_id: str | None
    data_request_id: str | None
    customer_ids: list[str]
    created_at: Moment


class PrivacyExportPage(BaseModel):
    exports: list[PrivacyExportSummary]


class PrivacyExportDetail(PrivacyExportSummary):
    data: dict[str, Any]
    """Everything held on the customer: identifiers, conversations, messages on every channel,
    escalations, reviews, tool calls, traces, events, one-time codes (without the codes), the
    outbox and the agent's session."""


def _summary(row: PrivacyExport) -> dict[str, Any]:
    return {
        "id": row.id,
        "shop_domain": row.shop_domain,
        "shopify_customer_id": row.shopify_customer_id,
        "data_request_id": row.data_request_id,
        "customer_ids": row.customer_ids,
        "created_at": row.created_at,
    }


@router.get("/exports", response_model=PrivacyExportPage)
def list_exports(
    session: SessionDep, _key: AdminKey, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> PrivacyExportPage:
    """Newest first, without their data."""
    rows = session.exec(
        select(PrivacyExport).order_by(col(PrivacyExport.created_at).desc()).limit(limit)
    ).all()
    return PrivacyExportPage(exports=[PrivacyExportSummary(**_summary(r)) for r in rows])


@router.get(
    "/exports/{export_id}", response_model=PrivacyExportDetail, responses=error_responses(404)
)
def get_export(export_id: RecordId, session: SessionDep, key: AdminKey) -> PrivacyExportDetail:
    row = session.get(PrivacyExport, export_id)
    if row is None:
        raise ApiError(404, "not_found", "no such export")
    record_event(session, "privacy_export_read", payload={"export_id": row.id, "by_key": key.id})
    session.commit()
    return PrivacyExportDetail(**_summary(row), data=row.data)
