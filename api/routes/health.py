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
    """The process can serve a message at full speed: its database answers, its store's
    knowledge is readable, and the models are loaded (`models`: `loading` while the start-up
    warm-up runs, then `ok`, or `failed (…)`, in which case messages still get answers but load
    the models themselves)."""
    try:
        ping(engine)
    except Exception as exc:
        logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return _unavailable({"database": "unreachable"})
    checks = {"database": "ok"}
    store = getattr(request.app.state, "store", None)
    if store is None:
        return Health(status="ready", checks=checks)
    if store.services.knowledge_problem:
        return _unavailable(checks | {"knowledge": "unavailable"})
    if store.services.knowledge is not None:
        checks["knowledge"] = "ok"
    checks["models"] = store.warmup.state
    if checks["models"] != "ok":
        return _unavailable(checks)
    return Health(status="ready", checks=checks)


def _unavailable(checks: dict[str, str]) -> JSONResponse:
    body = Health(status="unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=503)
