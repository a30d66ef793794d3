"""One error shape for every failure: `{"error": {"code": ..., "message": ...}}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

logger = logging.getLogger("threadline.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


_DESCRIPTIONS = {
    400: "The body is not JSON, or a value is not one this API gave out (e.g. a cursor).",
    401: "No API key, or one that is unknown or revoked.",
    403: "The key's role may not use this route.",
    404: "No such resource.",
    409: "The request conflicts with the resource's state.",
    413: "The request body is over the configured limit.",
    422: "The request is not valid; `details` names each field and what is wrong with it.",
    429: "The key made too many requests; `Retry-After` says when to try again.",
    503: "The service is at capacity or not set up for this; `Retry-After` when it is busy.",
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable: `not_found`, `validation_error`…")
    message: str = Field(description="A sentence for a person.")
    details: Any = Field(default=None, description="More about the failure, when there is more.")


class ErrorBody(BaseModel):
    """The body of every failure."""

    error: ErrorDetail


RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}
_HEADERS = {429: RETRY_AFTER, 503: RETRY_AFTER, 409: RETRY_AFTER}
"""Answers that say when to retry (409: only a message still being handled, `in_progress`)."""


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for failures a route may answer, all in the one error shape."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in status_codes:
        responses[status] = {"model": ErrorBody, "description": _DESCRIPTIONS[status]}
        if status in _HEADERS:
            responses[status]["headers"] = _HEADERS[status]
    return responses


KEYED = (401, 429, 503)
"""What any route behind an API key may answer: no live key, the key's rate limit, no database
connection free in time."""


class ApiError(Exception):
    """Raised by routes for an expected failure; becomes the stable JSON error body."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"error": error}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.details),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "loc": [str(part) for part in err.get("loc", ())],
                "type": err.get("type"),
                "message": err.get("msg"),
            }
            for err in exc.errors()
        ]
        if any(d["type"] == "json_invalid" for d in details):
            return JSONResponse(
                error_body("invalid_json", "the request body is not valid JSON"), status_code=400
            )
        return JSONResponse(
            error_body("validation_error", "the request is not valid", details), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(
            error_body(code, message), status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(PoolTimeout)
    async def _busy(_: Request, exc: PoolTimeout) -> JSONResponse:
        logger.warning("no database connection free in time: the service is at capacity")
        return JSONResponse(
            error_body("busy", "the service is at capacity; retry shortly"),
            status_code=503,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error: %s", type(exc).__name__)
        return JSONResponse(
            error_body("internal_error", "something went wrong; the request id is in the logs"),
            status_code=500,
        )
