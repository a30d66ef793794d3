"""Liveness and readiness, for load balancers and orchestrators (no key needed)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
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
def readyz(engine: EngineDep) -> Health | JSONResponse:
    """The process can serve: its database answers."""
    try:
        ping(engine)
    except Exception as exc:
        logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
        body = Health(status="unavailable", checks={"database": "unreachable"})
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ready", checks={"database": "ok"})
