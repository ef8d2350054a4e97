"""JSON log lines: their fields, the request they belong to, and the repeat filter on them."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator

import pytest

from customer_async.log_limits import EXEMPT_ATTRIBUTE, install_log_limits, remove_log_limits
from customer_async.ops.json_logs import (
    REQUEST_LOGGER,
    JsonFormatter,
    configure_logging,
    request_fields,
)


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord(
        "customer_async.store", logging.WARNING, __file__, 1, message, args, None
    )
    made.__dict__.update(extra)
    made.created = 1767225600.25  # 2026-01-01T00:00:00.250Z
    return made


def test_a_line_is_one_json_object_with_time_level_logger_message() -> None:
    line = JsonFormatter().format(record("store %s failed: %s", "load", "no answer\nat all"))
    assert "\n" not in line
    assert json.loads(line) == {
        "time": "2026-01-01T00:00:00.250Z",
        "level": "WARNING",
        "logger": "customer_async.store",
        "message": "store load failed: no answer\nat all",
    }


def test_a_line_logged_while_handling_a_request_names_it() -> None:
    formatter = JsonFormatter()
    with request_fields("corr-1", "patch"):
        inside = json.loads(formatter.format(record("retrying")))
    outside = json.loads(formatter.format(record("retrying")))
    assert (inside["correlation_id"], inside["operation"]) == ("corr-1", "patch")
    assert "correlation_id" not in outside
    assert "operation" not in outside


def test_request_fields_given_with_the_record_are_shown_and_others_are_not() -> None:
    line = json.loads(
        JsonFormatter().format(
            record(
                "answered",
                correlation_id="c-9",
                operation="create",
                status=201,
                duration_ms=12.5,
                **{EXEMPT_ATTRIBUTE: True},
            )
        )
    )
    assert line["correlation_id"] == "c-9"
    assert line["operation"] == "create"
    assert line["status"] == 201
    assert line["duration_ms"] == 12.5
    assert EXEMPT_ATTRIBUTE not in line


def test_an_exception_is_one_field_and_non_ascii_stays_readable() -> None:
    try:
        raise ValueError("Café")
    except ValueError:
        failed = record("naïve failure")
        failed.exc_info = sys.exc_info()
    line = JsonFormatter().format(failed)
    parsed = json.loads(line)
    assert "\n" not in line
    assert "naïve failure" in line
    assert parsed["exception"].startswith("Traceback")
    assert parsed["exception"].endswith("ValueError: Café")


@pytest.fixture
def root_restored() -> Iterator[None]:
    """The root logger and the request logger as they were; no log limits left installed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    requests = logging.getLogger(REQUEST_LOGGER)
    requests_level = requests.level
    yield
    remove_log_limits()
    root.handlers[:] = handlers
    root.setLevel(level)
    requests.setLevel(requests_level)


@pytest.mark.usefixtures("root_restored")
@pytest.mark.parametrize(
    ("log_format", "level", "traffic"),
    [("json", "INFO", True), ("text", "INFO", False), ("text", "DEBUG", True)],
)
def test_request_lines_are_logged_in_json_or_at_debug_only(
    log_format: str, level: str, traffic: bool
) -> None:
    configure_logging(log_format, level)
    assert logging.getLogger(REQUEST_LOGGER).isEnabledFor(logging.INFO) is traffic


@pytest.mark.usefixtures("root_restored")
def test_json_mode_formats_the_root_handler_and_the_repeat_filter_still_applies() -> None:
    now = [100.0]
    handler = configure_logging("json", "INFO")
    stream = io.StringIO()
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    install_log_limits(10.0, clock=lambda: now[0])
    store = logging.getLogger("customer_async.store")
    requests = logging.getLogger(REQUEST_LOGGER)
    for attempt in range(5):
        store.warning("store failed, attempt %d", attempt)
    for number in range(3):  # one line per request: never held back as repeats
        requests.info("answered %d", number, extra={EXEMPT_ATTRIBUTE: True, "status": 200})
    now[0] += 11
    store.warning("store failed, attempt %d", 5)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "store failed, attempt 0",
        "answered 0",
        "answered 1",
        "answered 2",
        "store failed, attempt 4 (repeated 4 times in the last 11 s)",
    ]
    assert {line["logger"] for line in lines[1:4]} == {REQUEST_LOGGER}
    assert lines[1]["status"] == 200
