"""Repeated log records are counted, not written; outages are logged once, then summarised."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest

from customer_async.log_limits import (
    OutageLog,
    RepeatFilter,
    install_log_limits,
    installed_filters,
    remove_log_limits,
)
from harness.repository import REPO


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Lines(logging.Handler):
    """Keeps what it would have written, one formatted line a record."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []
        self.arrived = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.arrived.set()


@pytest.fixture(autouse=True)
def no_installed_limits() -> Iterator[None]:
    """Each test leaves the root logger's handlers without limits."""
    yield
    remove_log_limits()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def logger() -> logging.Logger:
    """A logger of this test's own that writes only to the test's handlers."""
    own = logging.getLogger(f"tests.log_limits.{uuid.uuid4().hex[:8]}")
    own.propagate = False
    own.setLevel(logging.DEBUG)
    return own


@pytest.fixture
def lines(logger: logging.Logger, clock: FakeClock) -> Iterator[Lines]:
    """The test logger's output, through a 10-second repeat filter."""
    handler = Lines()
    handler.addFilter(RepeatFilter(handler, 10.0, clock=clock))
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_repeats_within_the_window_are_suppressed(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    """Same logger, level and template: only the first passes, whatever the arguments."""
    for port in range(5):
        logger.error("Unable connect to node %s: connection refused", f"127.0.0.1:{port}")
        clock.advance(1)
    assert lines.lines == [
        f"ERROR {logger.name} Unable connect to node 127.0.0.1:0: connection refused"
    ]


def only_filter(handler: logging.Handler) -> RepeatFilter:
    [repeat_filter] = [f for f in handler.filters if isinstance(f, RepeatFilter)]
    return repeat_filter


def test_summary_counts_the_repeats_when_the_window_ends(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    """The summary names the last repeat, how many there were and over how long."""
    logger.warning("consumer poll failed, retrying: %s", "attempt 0")
    for attempt in range(1, 1235):
        clock.advance(1 / 256)  # exact in binary: the window ends exactly at 10 s
        logger.warning("consumer poll failed, retrying: %s", f"attempt {attempt}")
    clock.advance(9.5 - 1234 / 256)
    only_filter(lines).flush()
    assert len(lines.lines) == 1, "no summary before the window ends"
    clock.advance(0.5)
    only_filter(lines).flush()
    assert lines.lines == [
        f"WARNING {logger.name} consumer poll failed, retrying: attempt 0",
        f"WARNING {logger.name} consumer poll failed, retrying: attempt 1234 "
        "(repeated 1234 times in the last 10 s)",
    ]


def test_a_record_after_the_window_brings_the_summary_without_a_flush(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    """Summaries fall due on the next record of any kind, and come before it."""
    logger.error("Unable to update metadata from %s", [1])
    logger.error("Unable to update metadata from %s", [2])
    logger.error("Unable to update metadata from %s", [3])
    clock.advance(10)
    logger.info("Discovered coordinator %s", 1)
    assert lines.lines == [
        f"ERROR {logger.name} Unable to update metadata from [1]",
        f"ERROR {logger.name} Unable to update metadata from [3] "
        "(repeated 2 times in the last 10 s)",
        f"INFO {logger.name} Discovered coordinator 1",
    ]


def test_distinct_records_pass(logger: logging.Logger, lines: Lines) -> None:
    """Another template, another level or another logger is another kind of record."""
    other = logging.getLogger(f"{logger.name}.store")
    logger.error("store unavailable during %s, retrying", "insert")
    logger.error("consumer poll failed, retrying: %s", "refused")
    logger.warning("store unavailable during %s, retrying", "insert")
    other.error("store unavailable during %s, retrying", "insert")
    assert lines.lines == [
        f"ERROR {logger.name} store unavailable during insert, retrying",
        f"ERROR {logger.name} consumer poll failed, retrying: refused",
        f"WARNING {logger.name} store unavailable during insert, retrying",
        f"ERROR {other.name} store unavailable during insert, retrying",
    ]


def test_numbers_in_preformatted_messages_do_not_make_them_distinct(
    logger: logging.Logger, lines: Lines
) -> None:
    """A message formatted before logging: addresses, counts and hex ids are masked."""
    for attempt in range(3):
        logger.error(
            f"connect to 10.0.0.{attempt}:9092 failed (attempt {attempt}, id 0xbeef{attempt})"
        )
    assert lines.lines == [
        f"ERROR {logger.name} connect to 10.0.0.0:9092 failed (attempt 0, id 0xbeef0)"
    ]


def test_a_flood_costs_one_line_per_window_and_a_quiet_kind_passes_again(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    for _ in range(30):  # 30 s of one record a second
        logger.error("Heartbeat failed: %r", "NodeNotReady")
        clock.advance(1)
    only_filter(lines).flush()
    clock.advance(10)
    only_filter(lines).flush()  # the last window held nothing: the kind is forgotten
    logger.error("Heartbeat failed: %r", "NodeNotReady")
    first = f"ERROR {logger.name} Heartbeat failed: 'NodeNotReady'"
    assert lines.lines == [
        first,
        f"{first} (repeated 9 times in the last 10 s)",
        f"{first} (repeated 10 times in the last 10 s)",
        f"{first} (repeated 10 times in the last 10 s)",
        first,
    ]


def test_flushing_everything_writes_the_open_windows(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    """What `remove_log_limits` and the exit do: no count is lost with a half-full window."""
    for _ in range(4):
        logger.warning("commit failed; records will be redelivered: %s", "timeout")
        clock.advance(0.5)
    only_filter(lines).flush(everything=True)
    assert lines.lines[1:] == [
        f"WARNING {logger.name} commit failed; records will be redelivered: timeout "
        "(repeated 3 times in the last 2 s)"
    ]


def test_a_hundred_thousand_identical_errors_make_a_handful_of_lines(clock: FakeClock) -> None:
    """The broker-restart flood (100,000 errors in 10 s), written by a real stream handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RepeatFilter(handler, 10.0, clock=clock))
    flooded = logging.getLogger(f"tests.log_limits.flood.{uuid.uuid4().hex[:8]}")
    flooded.propagate = False
    flooded.addHandler(handler)
    try:
        for attempt in range(100_000):
            flooded.error('Unable connect to "%s:%s": %s', "127.0.0.1", 9092, attempt)
            clock.advance(0.0001)
        only_filter(handler).flush(everything=True)
    finally:
        flooded.removeHandler(handler)
    written = stream.getvalue().splitlines()
    assert written == [
        'Unable connect to "127.0.0.1:9092": 0',
        'Unable connect to "127.0.0.1:9092": 99999 (repeated 99999 times in the last 10 s)',
    ]


def test_an_exception_is_logged_once_and_its_repeats_without_traceback(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    for _ in range(3):
        try:
            raise ConnectionError("refused")
        except ConnectionError:
            logger.exception("request %s failed", "t/0@1")
    clock.advance(10)
    only_filter(lines).flush()
    assert lines.lines[0].startswith(f"ERROR {logger.name} request t/0@1 failed\nTraceback")
    assert lines.lines[1:] == [
        f"ERROR {logger.name} request t/0@1 failed (repeated 2 times in the last 10 s)"
    ]


def test_a_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RepeatFilter(logging.NullHandler(), 0)
    with pytest.raises(ValueError, match="positive"):
        install_log_limits(-1)


def test_outage_is_logged_when_it_starts_per_window_while_it_lasts_and_once_when_over(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    outage = OutageLog("kafka consumer poll", logger, window_seconds=10, clock=clock)
    outage.recovered()  # no failure yet: nothing to say
    for _ in range(456):
        outage.failed(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 9092)"))
        clock.advance(0.027)
    outage.recovered()
    outage.recovered()
    assert outage.failures == 0
    assert lines.lines == [
        f"WARNING {logger.name} kafka consumer poll failed, retrying: "
        "[Errno 111] Connect call failed ('127.0.0.1', 9092)",
        f"WARNING {logger.name} kafka consumer poll still failing after 10 s, 372 failures: "
        "[Errno 111] Connect call failed ('127.0.0.1', 9092)",
        f"INFO {logger.name} kafka consumer poll recovered after 12.3 s, 456 failures",
    ]


def test_a_second_outage_is_reported_afresh(
    logger: logging.Logger, lines: Lines, clock: FakeClock
) -> None:
    """The lines pass the repeat filter: they are rate-limited where they are made."""
    outage = OutageLog("store", logger, window_seconds=10, clock=clock)
    for _ in range(2):
        outage.failed(TimeoutError())
        clock.advance(1.5)
        outage.recovered()
    assert lines.lines == [
        f"WARNING {logger.name} store failed, retrying: TimeoutError",
        f"INFO {logger.name} store recovered after 1.5 s, 1 failures",
        f"WARNING {logger.name} store failed, retrying: TimeoutError",
        f"INFO {logger.name} store recovered after 1.5 s, 1 failures",
    ]


@pytest.fixture
def root_handler() -> Iterator[Lines]:
    """A handler on the root logger, as `logging.basicConfig` leaves one."""
    root = logging.getLogger()
    handler = Lines()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)


def test_install_filters_what_reaches_the_root_handlers_once_however_often_called(
    root_handler: Lines, clock: FakeClock
) -> None:
    install_log_limits(10, clock=clock)
    install_log_limits(10, clock=clock)
    assert len([f for f in root_handler.filters if isinstance(f, RepeatFilter)]) == 1
    assert only_filter(root_handler) in installed_filters()
    aiokafka = logging.getLogger("tests.log_limits.aiokafka.conn")
    for node in range(50):
        aiokafka.error("Unable connect to node with id %s: %s", node, "refused")
    remove_log_limits()
    aiokafka.error("Unable connect to node with id %s: %s", 50, "refused")
    assert root_handler.filters == []
    assert installed_filters() == []
    assert root_handler.lines == [
        "ERROR tests.log_limits.aiokafka.conn Unable connect to node with id 0: refused",
        "ERROR tests.log_limits.aiokafka.conn Unable connect to node with id 49: refused "
        "(repeated 49 times in the last 0 s)",
        "ERROR tests.log_limits.aiokafka.conn Unable connect to node with id 50: refused",
    ]


def test_install_reaches_root_handlers_added_since_and_outage_logs_use_its_window(
    root_handler: Lines, clock: FakeClock
) -> None:
    install_log_limits(30, clock=clock)
    later = Lines()
    logging.getLogger().addHandler(later)
    try:
        install_log_limits(5, clock=clock)  # the first call's window stays
        assert [f.window_seconds for f in (only_filter(root_handler), only_filter(later))] == [
            30,
            30,
        ]
        assert OutageLog("kafka").window_seconds == 30
    finally:
        logging.getLogger().removeHandler(later)
        later.filters.clear()


def test_summaries_come_while_the_log_is_quiet(root_handler: Lines, clock: FakeClock) -> None:
    """After an outage nothing may be logged for hours: the summary must not wait for that."""
    install_log_limits(0.04, clock=clock)  # the summary thread looks every 0.01 s
    quiet = logging.getLogger("tests.log_limits.quiet")
    quiet.warning("retrying %s", 1)
    quiet.warning("retrying %s", 2)
    root_handler.arrived.clear()
    clock.advance(1)
    assert root_handler.arrived.wait(timeout=10), "no summary without a further record"
    assert root_handler.lines[-1] == (
        "WARNING tests.log_limits.quiet retrying 2 (repeated 1 times in the last 1 s)"
    )


def test_after_basic_config_a_flood_is_a_few_lines_even_at_exit() -> None:
    """A process configured the way `customer-async serve` is: logging.basicConfig, then
    install; the pending summary is written when the process exits."""
    program = """
import logging
from customer_async.log_limits import install_log_limits
logging.basicConfig(level="INFO", format="%(levelname)s %(name)s %(message)s")
install_log_limits(10.0)
conn = logging.getLogger("aiokafka.conn")
for attempt in range(100_000):
    conn.error("Unable connect to node with id %s: %s", attempt % 3, "Connect call failed")
"""
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    written = done.stderr.splitlines()
    assert len(written) == 2, written
    assert written[0] == "ERROR aiokafka.conn Unable connect to node with id 0: Connect call failed"
    assert written[1].startswith(
        "ERROR aiokafka.conn Unable connect to node with id 0: Connect call failed "
        "(repeated 99999 times in the last "
    )
