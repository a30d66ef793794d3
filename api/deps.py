"""Dependencies shared by the routers, as `Annotated` aliases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlmodel import Session

from api.errors import ApiError
from api.settings import Settings
from inbox.keys import authenticate
from inbox.models import ApiKey, Role
from inbox.outbound_events import EventSink

_bearer = HTTPBearer(auto_error=False, description="An API key from `threadline keys create`.")


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(engine: Annotated[Engine, Depends(get_engine)]) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def get_events(request: Request) -> EventSink:
    events: EventSink = request.app.state.events
    return events


EngineDep = Annotated[Engine, Depends(get_engine)]
EventsDep = Annotated[EventSink, Depends(get_events)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_roles(*roles: Role) -> Callable[..., ApiKey]:
    """A dependency that admits a live key with one of `roles`; admin keys pass everywhere."""
    allowed = {*roles, Role.admin}

    def _check(
        request: Request,
        engine: EngineDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise ApiError(
                401,
                "unauthorized",
                "an API key is required: Authorization: Bearer <key>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        # A session of its own, closed at once: the request may wait a long time afterwards
        # (for the customer's turn), and must not hold a pooled connection while it does.
        with Session(engine, expire_on_commit=False) as session:
            key = authenticate(session, credentials.credentials)
        if key is None:
            raise ApiError(
                401,
                "unauthorized",
                "the API key is unknown or revoked",
                headers={"WWW-Authenticate": "Bearer"},
            )
        # Counted before the role check: a key probing routes it may not use is limited too.
        wait: int = request.app.state.rate_limiter.acquire(key.id)
        if wait:
            raise ApiError(
                429,
                "rate_limited",
                f"this API key made too many requests; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        if key.role not in allowed:
            raise ApiError(
                403, "forbidden", f"this route needs one of the roles: {_names(allowed)}"
            )
        return key

    return _check


def _names(roles: set[Role]) -> str:
    return ", ".join(sorted(role.value for role in roles))


ReaderKey = Annotated[ApiKey, Depends(require_roles(Role.helpdesk, Role.reviewer))]
"""Anyone who works cases: helpdesks and reviewers (and admins)."""
HelpdeskKey = Annotated[ApiKey, Depends(require_roles(Role.helpdesk))]
AdminKey = Annotated[ApiKey, Depends(require_roles())]
ReviewerKey = Annotated[ApiKey, Depends(require_roles(Role.reviewer))]
"""Reviewers (and admins): the review queue and the gate."""
