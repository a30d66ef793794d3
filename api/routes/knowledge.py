"""Admin: re-ingest the store's knowledge directory (the same as `threadline knowledge ingest`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from api.deps import AdminKey
from api.errors import KEYED, ApiError, error_responses

router = APIRouter(
    prefix="/v1/knowledge", tags=["knowledge"], responses=error_responses(*KEYED, 403, 409)
)


@router.post("/ingest")
async def ingest_store_knowledge(request: Request, _key: AdminKey) -> dict[str, Any]:
    """Bring the index in line with the store's `knowledge/` files; unchanged files cost nothing."""
    runtime = getattr(request.app.state, "store", None)
    if runtime is None or runtime.knowledge is None:
        raise ApiError(409, "no_knowledge", "this store has no knowledge/ directory")
    report = await run_in_threadpool(runtime.knowledge.ingest, runtime.store_dir / "knowledge")
    return dataclasses.asdict(report) | {"changed": report.changed}
