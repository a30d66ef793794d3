"""Liveness and readiness, for load balancers and orchestrators (no key needed)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import EngineDep
from api.schemas import Health
from inbox.db import ping

router = APIRouter(tags=["health"])
logger = logging.getLogger("threadline.api")


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
def readyz(engine: EngineDep, request: Request) -> Health | JSONResponse:
    """The process can serve: its database answers and its store's knowledge is readable."""
    try:
        ping(engine)
    except Exception as exc:
        logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
        body = Health(status="unavailable", checks={"database": "unreachable"})
        return JSONResponse(body.model_dump(), status_code=503)
    store = getattr(request.app.state, "store", None)
    if store is not None and store.services.knowledge_problem:
        body = Health(status="unavailable", checks={"database": "ok", "knowledge": "unavailable"})
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ready", checks={"database": "ok"})
