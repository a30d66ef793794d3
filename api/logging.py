"""Structured logs with a request id on every line, and nothing private in them.

Package code logs facts (ids, counts, timings), never message bodies or keys. As a second line of
defence the filter masks anything shaped like an API key, an email address or a phone number,
and tracebacks never print a database error's text: SQLAlchemy hides statement parameters
(`hide_parameters`), but PostgreSQL's own message repeats the offending values ("Key (email)=(…)
already exists"), so those messages are replaced by their class and SQLSTATE.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

_MASKS = (
    (re.compile(r"tl_[A-Za-z0-9_\-]{8,}"), "tl_[redacted]"),
    (re.compile(r"(?i)bearer\s+\S+"), "Bearer [redacted]"),
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"), "[email]"),
    (
        re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s\-]?)?\(?\d{3}\)?[\s\-]?\d{3}[\s\-]?\d{4}(?![\w.])"),
        "[phone]",
    ),
    (re.compile(r"(?<![\w.])\+\d[\d\s\-]{7,16}\d(?![\w.])"), "[phone]"),
)
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


def redact(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    """Stamps the request id on each record and masks private data in its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.msg = redact(record.getMessage())
        record.args = None
        return True


def _hides_text(exc: BaseException) -> bool:
    """Errors raised by a database driver, whose text may repeat the values sent."""
    from sqlalchemy.exc import DBAPIError

    driver_errors: tuple[type[BaseException], ...] = (DBAPIError, sqlite3.Error)
    try:
        import psycopg

        driver_errors += (psycopg.Error,)
    except ImportError:  # PostgreSQL support not installed
        pass
    return isinstance(exc, driver_errors)


def format_exception_safely(exc: BaseException) -> str:
    """A traceback (causes first, as Python prints it) without database error texts."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    parts = []
    for error in reversed(chain):
        stack = "".join(traceback.format_tb(error.__traceback__))
        if _hides_text(error):
            original = getattr(error, "orig", None)
            state = getattr(original, "sqlstate", None) or getattr(error, "code", None)
            message = f"database error text hidden (SQLSTATE {state})" if state else "text hidden"
        else:
            message = str(error)
        parts.append(
            f"Traceback (most recent call last):\n{stack}{type(error).__name__}: {message}"
        )
    return "\n\nDuring handling of the above exception, another one happened:\n\n".join(parts)


class SafeExceptionsFormatter(logging.Formatter):
    def formatException(self, ei: object) -> str:
        exc = ei[1] if isinstance(ei, tuple) and len(ei) == 3 else None
        if isinstance(exc, BaseException):
            return format_exception_safely(exc)
        return super().formatException(ei)  # type: ignore[arg-type]


class JsonFormatter(SafeExceptionsFormatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool) else redact(str(value))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route every logger (ours, uvicorn's, the libraries') and every warning through one
    handler with the context filter, so with `json` each line on stderr is one JSON object.

    The handler itself drops records under `level`: some libraries set their own loggers to
    DEBUG (bm25s does at import), which would otherwise print below the level asked for."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            SafeExceptionsFormatter(
                "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # `warnings.warn` goes to the "py.warnings" logger
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Our access log replaces uvicorn's, which would print query strings.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
