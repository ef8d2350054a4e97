"""Logs as one JSON object a line, for log pipelines; text stays the default, for people.

Every line has `time` (UTC, ISO 8601 with milliseconds), `level`, `logger` and `message`; a
line logged while a request is handled also has its `correlation_id` and `operation` (bound for
the whole handling, so a store warning names the request it happened in); the one line per
handled request adds `status` and `duration_ms`; a line with an exception has `exception`, the
traceback as text.

That line per handled request goes to the `customer_async.requests` logger, which is quiet in
text logs unless the level is DEBUG: people reading text want outages, not traffic.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

REQUEST_LOGGER: Final = "customer_async.requests"
"""Where the line per handled request is logged."""
TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"

_REQUEST_FIELDS: Final = ("correlation_id", "operation", "status", "duration_ms")
"""Fields a record may carry (as `extra=`) that JSON lines show."""

_request: ContextVar[dict[str, str] | None] = ContextVar("customer_async_request", default=None)


@contextlib.contextmanager
def request_fields(correlation_id: str, operation: str) -> Iterator[None]:
    """Within this block (and the tasks it starts), JSON lines name this request."""
    token = _request.set({"correlation_id": correlation_id, "operation": operation})
    try:
        yield
    finally:
        _request.reset(token)


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON (fields in the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_request.get() or {})
        for name in _REQUEST_FIELDS:
            if name in record.__dict__:
                entry[name] = record.__dict__[name]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(log_format: str, level: str) -> logging.Handler:
    """One root handler on stderr in `log_format` ("text" or "json") at `level`; returns it.

    Call before `install_log_limits`, which filters the root handlers it finds.
    """
    handler = logging.StreamHandler()
    text = logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(JsonFormatter() if log_format == "json" else text)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())
    traffic = log_format == "json" or root.level <= logging.DEBUG
    logging.getLogger(REQUEST_LOGGER).setLevel(logging.NOTSET if traffic else logging.WARNING)
    return handler
