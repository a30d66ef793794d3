"""`POST /v1/messages`: the resolution API that helpdesks and channel webhooks call."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from agent.proof import InvalidSender
from agent.service import InboundRequest, MessageInFlight, Resolver
from api.deps import HelpdeskKey
from api.errors import KEYED, ApiError, error_responses
from api.schemas import MessageIn, MessageOut

router = APIRouter(
    prefix="/v1/messages",
    tags=["messages"],
    responses=error_responses(*KEYED, 400, 403, 409, 413, 422),
)


def get_resolver(request: Request) -> Resolver:
    runtime = getattr(request.app.state, "store", None)
    if runtime is None:
        raise ApiError(503, "no_store", "no store is configured: start with --store or --demo")
    resolver: Resolver = runtime.resolver
    return resolver


@router.post(
    "",
    response_model=MessageOut,
    responses={
        200: {
            "description": "The resolution. A repeat of `(channel, external_id)` gets the first "
            "delivery's body again, with `X-Threadline-Duplicate: true` and no second action.",
            "headers": {
                "X-Threadline-Duplicate": {
                    "description": "`true` when this delivery repeats one already answered.",
                    "schema": {"type": "string", "enum": ["true"]},
                }
            },
        }
    },
)
async def post_message(
    body: MessageIn, request: Request, response: Response, _key: HelpdeskKey
) -> MessageOut:
    """Resolve one inbound message; a repeated `(channel, external_id)` returns the same body."""
    resolver = get_resolver(request)
    inbound = InboundRequest(
        channel=body.channel.value,
        external_id=body.external_id,
        text=body.text,
        email=body.customer.email,
        phone=body.customer.phone,
        handle=body.customer.handle,
        name=body.customer.name,
        thread_id=body.thread_id,
        subject=body.subject,
        sent_at=body.sent_at,
        verified=tuple(body.customer.verified),
    )
    try:
        result = await run_in_threadpool(resolver.handle, inbound)
    except InvalidSender as exc:
        raise ApiError(422, "invalid_sender", str(exc)) from exc
    except MessageInFlight as exc:
        raise ApiError(
            409, "in_progress", f"{exc}; retry shortly", headers={"Retry-After": "2"}
        ) from exc
    if result.duplicate:
        response.headers["X-Threadline-Duplicate"] = "true"
    return result.response
