"""The chat widget (issue: chat widget): a script a store pastes into its pages, its public
message endpoint, and the `/demo` page that shows it on the served store.

No API key: a browser cannot keep one. What stands in for it:

* The visitor's id, made by the script (random, kept in the browser's localStorage), is the
  chat channel's proven handle: it continues the visitor's conversation and opens nothing else.
  It is a bearer secret (it reads the team's later replies), so it must be long, and it is
  stored only as a hash. An email typed into the widget is a claim, never proof.
* A visitor sees only their reply: never the intent, sources, actions, ids or escalation
  packet that the helpdesk's `POST /v1/messages` answers with.
* Limits per address and visitor (429 with `Retry-After`), and CORS only for the origins in
  `THREADLINE_WIDGET_ORIGINS` (the page Threadline serves itself is same-origin).

Off unless the served store is the demo store or `THREADLINE_WIDGET_ENABLED` says otherwise;
when off, every route here answers 404.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from html import escape
from importlib import resources
from string import Template
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select
from starlette.datastructures import Headers
from starlette.types import Message, Receive, Scope, Send

from agent.proof import InvalidSender
from agent.service import InboundRequest, MessageInFlight, Resolution
from api.deps import SessionDep
from api.errors import ApiError, error_responses
from api.ratelimit import RateLimiter
from api.routes.messages import get_resolver
from api.schemas import VISITOR_PATTERN, Moment, WidgetMessageIn
from api.settings import DEMO_STORE_DIR, Settings, split_list
from inbox.models import Author, Channel, Direction
from inbox.models import Message as MessageRow

VISITOR_HEADER = "X-Threadline-Visitor"

HELD_NOTE = "Thanks! A teammate is checking the answer and will reply here shortly."
ESCALATED_NOTE = "A teammate will take it from here and reply here shortly."


# --- the contract ------------------------------------------------------------------------------
class WidgetReply(BaseModel):
    text: str
    parts: list[str] = Field(description="The text in the pieces the chat shows.")


class WidgetAnswer(BaseModel):
    """What the visitor sees of the turn, and nothing else."""

    outcome: Literal["replied", "held_for_review", "escalated"]
    reply: WidgetReply | None = Field(
        description="The answer; when escalated, the holding message (if any); when held for "
        "review, null (the answer reaches the visitor once a reviewer approves it)."
    )
    note: str | None = Field(description="A line for the visitor when a person takes over.")


class WidgetLaterReply(BaseModel):
    id: str = Field(description="Pass as `after` to get only replies after this one.")
    text: str
    author: Literal["ai", "human"] = Field(
        description="human: a teammate wrote it; ai: an answer a reviewer approved."
    )
    sent_at: Moment


class WidgetLaterReplies(BaseModel):
    replies: list[WidgetLaterReply] = Field(description="Oldest first, at most 50.")


# --- when the widget is on, and from where ---------------------------------------------------
def widget_enabled(settings: Settings) -> bool:
    """`THREADLINE_WIDGET_ENABLED`, else on exactly when the served store is the demo store."""
    if settings.widget_enabled is not None:
        return settings.widget_enabled
    return settings.store_dir is not None and (
        settings.store_dir.resolve() == DEMO_STORE_DIR.resolve()
    )


def allowed_origin(scope: Scope) -> str | None:
    """The request's `Origin`, when it is one `THREADLINE_WIDGET_ORIGINS` lets embed the widget."""
    origin = Headers(scope=scope).get("origin")
    app = scope.get("app")
    settings: Settings | None = getattr(getattr(app, "state", None), "settings", None)
    if not origin or settings is None or not settings.widget_origins:
        return None
    allowed = {item.rstrip("/").lower() for item in split_list(settings.widget_origins)}
    return origin if origin.rstrip("/").lower() in allowed else None


class WidgetRoute(APIRoute):
    """Every answer to an allowed embedding origin carries its CORS headers, errors included
    (a 429 the script cannot read would look like a dead network)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = allowed_origin(scope)
        if origin is None:
            await super().handle(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"access-control-allow-origin", origin.encode("latin-1")),
                    (b"access-control-expose-headers", b"Retry-After"),
                    (b"vary", b"Origin"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await super().handle(scope, receive, send_with_cors)


def require_widget(request: Request) -> None:
    if not widget_enabled(request.app.state.settings):
        raise ApiError(
            404,
            "not_found",
            "the chat widget is off for this store (THREADLINE_WIDGET_ENABLED turns it on)",
        )


router = APIRouter(tags=["widget"], route_class=WidgetRoute, dependencies=[Depends(require_widget)])


# --- abuse limits ------------------------------------------------------------------------------
class WidgetLimiter(RateLimiter):
    """A `RateLimiter` that forgets idle buckets: the widget's keys (addresses, visitor ids) are
    made by anyone, not bounded like API keys, so a full bucket is dropped (it is the same as
    none) once the table grows."""

    PRUNE_ABOVE = 10_000

    def acquire(self, key_id: str) -> int:
        if len(self._buckets) > self.PRUNE_ABOVE:
            with self._lock:
                now = self._clock()
                self._buckets = {
                    key: bucket
                    for key, bucket in self._buckets.items()
                    if bucket.tokens + (now - bucket.updated) * self._rate < self._burst
                }
        return super().acquire(key_id)


class WidgetLimits:
    """The widget's limits, one set per app: messages per visitor (at one address), reads of
    later replies per visitor, and all widget calls per address (however many visitor ids it
    makes up)."""

    def __init__(
        self,
        messages: RateLimiter | None = None,
        polls: RateLimiter | None = None,
        address: RateLimiter | None = None,
    ) -> None:
        self.messages = messages or WidgetLimiter(per_minute=20, burst=10)
        self.polls = polls or WidgetLimiter(per_minute=30, burst=10)
        self.address = address or WidgetLimiter(per_minute=120, burst=60)

    @classmethod
    def of(cls, request: Request) -> WidgetLimits:
        limits: WidgetLimits | None = getattr(request.app.state, "widget_limits", None)
        if limits is None:
            limits = request.app.state.widget_limits = cls()
        return limits


def _admit(limiter: RateLimiter, key: str, what: str) -> None:
    wait = limiter.acquire(key)
    if wait:
        raise ApiError(
            429,
            "rate_limited",
            f"too many {what}; retry in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def admit(request: Request, visitor_id: str, what: Literal["messages", "polls"]) -> None:
    """Count a valid call against its address (however many visitor ids it makes up), then
    against the visitor at that address. Invalid calls are not counted: they cost nothing."""
    limits = WidgetLimits.of(request)
    address = request.client.host if request.client else "unknown"
    _admit(limits.address, address, "requests from this address")
    if what == "messages":
        _admit(limits.messages, f"{address}|{visitor_id}", "messages")
    else:
        _admit(limits.polls, f"{address}|{visitor_id}", "requests for replies")


def visitor_key(visitor_id: str) -> str:
    """The visitor's handle and thread as stored: a hash, so the stored value (which helpdesks
    see) never reads the visitor's replies."""
    return "widget:" + hashlib.sha256(visitor_id.encode()).hexdigest()[:40]


_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        **error_responses(429)[429],
        "description": "Too many calls from this visitor or address; `Retry-After` says when "
        "to try again.",
    },
    404: {**error_responses(404)[404], "description": "The widget is off for this store."},
}


# --- the endpoint ------------------------------------------------------------------------------
def visitor_answer(result: Resolution) -> WidgetAnswer:
    """The turn as the visitor may see it: a held reply is not theirs until it is approved."""
    response = result.response
    reply = response.reply
    shown = None
    if reply is not None and reply.text and response.outcome != "held_for_review":
        shown = WidgetReply(text=reply.text, parts=reply.parts or [reply.text])
    note = None
    if response.outcome == "held_for_review":
        note = HELD_NOTE
    elif response.outcome == "escalated" and shown is None:
        note = ESCALATED_NOTE
    return WidgetAnswer(outcome=response.outcome, reply=shown, note=note)


@router.post(
    "/widget/messages",
    response_model=WidgetAnswer,
    responses={**error_responses(400, 409, 413, 422, 503), **_LIMITED},
)
async def post_widget_message(body: WidgetMessageIn, request: Request) -> WidgetAnswer:
    """A visitor's message from the chat widget (public: no API key). The same `message_id`
    again gets the same answer and nothing is done twice."""
    admit(request, body.visitor_id, "messages")
    resolver = get_resolver(request)
    key = visitor_key(body.visitor_id)
    inbound = InboundRequest(
        channel=Channel.chat.value,
        external_id=f"{key}:{body.message_id}",
        text=body.text,
        email=body.email,
        name=body.name,
        handle=key,
        thread_id=key,
    )
    try:
        result = await run_in_threadpool(resolver.handle, inbound)
    except InvalidSender as exc:
        raise ApiError(422, "invalid_sender", str(exc)) from exc
    except MessageInFlight as exc:
        raise ApiError(
            409,
            "in_progress",
            "this message is still being answered; retry shortly",
            headers={"Retry-After": "2"},
        ) from exc
    return visitor_answer(result)


def later_replies(session: Session, thread: str, after: str | None) -> list[MessageRow]:
    """Replies on the visitor's conversations that the answer to their message did not carry:
    a teammate's, and AI replies sent after a reviewer approved them."""
    conversations = select(MessageRow.conversation_id).where(
        MessageRow.channel == Channel.chat,
        MessageRow.direction == Direction.inbound,
        MessageRow.thread_id == thread,
    )
    rows = session.exec(
        select(MessageRow)
        .where(
            col(MessageRow.conversation_id).in_(conversations),
            MessageRow.channel == Channel.chat,
            MessageRow.direction == Direction.outbound,
        )
        .order_by(col(MessageRow.sent_at), col(MessageRow.id))
    ).all()
    later = [row for row in rows if row.author == Author.human or (row.meta or {}).get("review")]
    if after is not None:
        seen = [index for index, row in enumerate(later) if row.id == after]
        if not seen:
            raise ApiError(400, "invalid_cursor", "`after` is not a reply this visitor got")
        later = later[seen[0] + 1 :]
    return later[:50]


@router.get(
    "/widget/messages",
    response_model=WidgetLaterReplies,
    responses={**error_responses(400, 422), **_LIMITED},
)
def get_later_replies(
    request: Request,
    session: SessionDep,
    visitor_id: Annotated[
        str,
        Header(
            alias=VISITOR_HEADER,
            min_length=22,
            max_length=64,
            pattern=VISITOR_PATTERN,
            description="The visitor's id, as in their messages (a header: ids stay out of URLs "
            "and logs).",
        ),
    ],
    after: Annotated[
        str | None,
        Query(max_length=64, description="The last reply's `id` the widget has."),
    ] = None,
) -> WidgetLaterReplies:
    """Replies that reach the visitor after their message was answered: a teammate's, or one a
    reviewer approved. The widget asks every few seconds (public: the visitor id is the proof)."""
    admit(request, visitor_id, "polls")
    rows = later_replies(session, visitor_key(visitor_id), after)
    return WidgetLaterReplies(
        replies=[
            WidgetLaterReply(
                id=row.id,
                text=row.text,
                author="human" if row.author == Author.human else "ai",
                sent_at=row.sent_at,
            )
            for row in rows
        ]
    )


@router.options("/widget/messages", include_in_schema=False)
def widget_preflight(request: Request) -> Response:
    """CORS preflight: allowed only for the configured origins (same-origin pages need none)."""
    origin = request.headers.get("origin")
    if origin is not None and allowed_origin(request.scope) is None:
        raise ApiError(
            403, "forbidden", "this origin may not embed the widget (THREADLINE_WIDGET_ORIGINS)"
        )
    return Response(
        status_code=204,
        headers={
            "Allow": "GET, POST, OPTIONS",
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": f"Content-Type, {VISITOR_HEADER}",
            "Access-Control-Max-Age": "600",
        },
    )


# --- the script, its style, the demo page ----------------------------------------------------
_FOLDER = resources.files("api") / "static" / "widget"
_MEDIA_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
_ASSETS: dict[str, tuple[bytes, str]] = {
    asset.name: (asset.read_bytes(), _MEDIA_TYPES[asset.name.rpartition(".")[2]])
    for asset in _FOLDER.iterdir()
    if asset.name.rpartition(".")[2] in _MEDIA_TYPES
}
"""The script and the style sheets, by file name, read once."""
_ASSET_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",  # stores load them from their own pages
    "Cache-Control": "public, max-age=300",
}
_PAGE = Template((_FOLDER / "demo.html").read_text(encoding="utf-8"))
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
SUGGESTIONS = (
    "What is your return policy?",
    "How long does shipping take?",
    "Can I change the address on my order?",
    "Where is my order?",
)
"""Questions any store answers; the demo page offers them as one-click starts."""


def _buttons(questions: Iterable[str]) -> str:
    return "".join(
        f'<li><button type="button" class="ask" data-threadline-ask="{escape(q)}">'
        f"{escape(q)}</button></li>"
        for q in questions
    )


def demo_html(request: Request) -> str:
    """The demo page for the served store, named as its policy names it."""
    runtime: Any = request.app.state.store
    policy = runtime.services.policy if runtime is not None else None
    name = policy.store.name if policy is not None else "Our store"
    email = policy.store.support_email if policy is not None else None
    settings: Settings = request.app.state.settings
    base = (settings.public_url or str(request.base_url)).rstrip("/")
    snippet = (
        f'<script src="{base}/widget/widget.js" data-threadline-url="{base}" '
        f'data-title="{escape(name)}" defer></script>'
    )
    return _PAGE.substitute(
        store_name=escape(name),
        initials=escape("".join(word[:1] for word in name.split()[:2]).upper() or "S"),
        support_email=escape(email or "our support team"),
        suggestions=_buttons(SUGGESTIONS),
        snippet=escape(snippet),
    )


@router.get("/demo", include_in_schema=False)
def demo_page(request: Request) -> HTMLResponse:
    """A storefront-like page for the served store with the widget on it."""
    return HTMLResponse(demo_html(request), headers=_PAGE_HEADERS)


@router.get("/widget/{name}", include_in_schema=False)
def widget_asset(name: str) -> Response:
    """`widget.js` (what a store pastes), its style sheet and the demo page's."""
    if name not in _ASSETS:
        raise ApiError(404, "not_found", "no such asset")
    body, media_type = _ASSETS[name]
    return Response(body, media_type=media_type, headers=_ASSET_HEADERS)
