"""Logs an operator can use: one JSON line per request, and a request id on every line.

- Every request gets an id: the caller's `X-Request-Id` when it is a safe token (a proxy's
  id, so its logs and ours join up), else a new random one. It is sent back in the
  `X-Request-Id` header, shown on error pages, and added to every log record written while
  the request is served (`RequestIdFilter`).
- `planning_sv.access` gets one line per request: id, method, path (never the query
  string, which may carry secrets), status, duration and the user id. Never request bodies,
  passwords, tokens or statement contents.
- `LOG_FORMAT=json` (the default) or `text` chooses how the `planning_sv` loggers print.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, Response, g, has_request_context, request

ACCESS_LOGGER = "planning_sv.access"
# What an incoming X-Request-Id may look like: anything else (log injection, huge values)
# is replaced by our own id.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
REQUEST_ID_HEADER = "X-Request-Id"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
# LogRecord attributes that are not extra fields worth printing.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def request_id() -> str:
    """This request's id (made on first use), or "-" outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(8)
    return str(g.request_id)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (the current request's id, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                body[key] = value
        if record.exc_info:
            body["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str, ensure_ascii=False)


def make_handler(stream: IO[str] | None = None, fmt: str = "json") -> logging.Handler:
    """A stream handler printing JSON (or text) lines, each with its request id."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    handler._planning_sv = True  # type: ignore[attr-defined]  # ours: added once only
    return handler


def configure_logging(app: Flask) -> None:
    """Print the `planning_sv` loggers (app, access, store) as LOG_FORMAT lines on stderr.

    Left alone under test when a handler is already set (pytest's capture), and never added
    twice when several apps are built in one process.
    """
    logger = logging.getLogger("planning_sv")
    if app.testing and (logger.handlers or logging.getLogger().handlers):
        return
    if any(getattr(h, "_planning_sv", False) for h in logger.handlers):
        return
    fmt = os.environ.get("LOG_FORMAT", "json").strip().lower()
    logger.addHandler(make_handler(fmt="text" if fmt == "text" else "json"))
    logger.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Request ids, the access log and log configuration. Call before other before_request
    hooks so the clock starts first."""
    configure_logging(app)
    access = logging.getLogger(ACCESS_LOGGER)

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        request_id()

    @app.after_request
    def _access_log(response: Response) -> Response:
        rid = request_id()
        response.headers[REQUEST_ID_HEADER] = rid
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        access.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,  # never the query string
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": _user_id(),
            },
        )
        return response

    app.jinja_env.globals["request_id"] = request_id


def _user_id() -> Any:
    """The id of the user this request was served for, if one was loaded. Read from the
    identity map, not the row: the access log must not query the database (which may be
    what failed, and an error handler's rollback expires loaded rows)."""
    from sqlalchemy import inspect

    for user in (g.get("api_user"), g.get("_login_user")):
        state = inspect(user, raiseerr=False) if user is not None else None
        if state is not None and state.identity:
            return state.identity[0]
    return None
