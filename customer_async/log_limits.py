"""Logs that stay readable during an outage: repeats are counted, not written.

While a broker or store is away, aiokafka's reconnect loop and our own retry loops log the same
few lines thousands of times a second. `install_log_limits` gives each handler of the root logger
a `RepeatFilter`: the first record of a kind passes, repeats within the window are only counted,
and when the window ends one summary line says how many there were. `OutageLog` is for our own
retry loops: one warning when a dependency fails, a progress line per window while it stays
down, and one line when it is back.

A record's kind is its logger, its level and its message *template* (`record.msg`, with digit
and long hex runs masked). The template, not the formatted text, because what changes between
repeats is the arguments (addresses, node ids, attempt counts, correlation ids); the masking
catches the messages that were formatted before logging. And the template costs nothing to
read, so a suppressed record is never formatted.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

Clock = Callable[[], float]

DEFAULT_WINDOW_SECONDS: Final = 10.0

# A record carrying this attribute is already rate-limited at its source (a summary, an
# OutageLog line) and always passes.
EXEMPT_ATTRIBUTE: Final = "log_limits_exempt"
_EXEMPT: Final = {EXEMPT_ATTRIBUTE: True}

_VOLATILE = re.compile(r"0x[0-9a-f]+|[0-9a-f]{8,}(?:-[0-9a-f]+)*|\d+", re.IGNORECASE)


def record_kind(record: logging.LogRecord) -> tuple[str, int, str]:
    """What makes two records repeats of each other: logger, level and masked template."""
    return record.name, record.levelno, _VOLATILE.sub("#", str(record.msg))


@dataclass
class _Window:
    """One kind's current window: when it opened and what it has held back since."""

    opened: float
    suppressed: int = 0
    last: logging.LogRecord | None = None


class RepeatFilter(logging.Filter):
    """A handler's filter: the first record of a kind passes, repeats for `window_seconds` are
    counted, and when the window ends with repeats one summary line goes to `handler`.

    A kind still repeating at the end of its window gets its summary and a new window at once,
    so a flood costs one line per kind per window; a kind that went quiet is forgotten, and its
    next record passes again. Summaries fall due lazily (on the next record) and on `flush()`,
    which `install_log_limits` calls about once a second, so a summary is never long late.
    """

    def __init__(
        self,
        handler: logging.Handler,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, not {window_seconds}")
        super().__init__()
        self.handler = handler
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[tuple[str, int, str], _Window] = {}
        self._next_due = float("inf")
        self._lock = threading.Lock()  # records come from any thread, flush() from the ticker

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, EXEMPT_ATTRIBUTE, False):
            return True
        kind = record_kind(record)
        with self._lock:
            now = self._clock()
            summaries = self._close_due_windows(now) if now >= self._next_due else []
            window = self._windows.get(kind)
            if window is None:
                self._open(kind, now)
                admitted = True
            else:
                window.suppressed += 1
                window.last = record
                admitted = False
        self._emit(summaries)
        return admitted

    def flush(self, *, everything: bool = False) -> None:
        """Write the summaries that are due; with `everything`, also those of open windows."""
        with self._lock:
            now = self._clock()
            summaries = self._close_due_windows(now, everything=everything)
        self._emit(summaries)

    def _open(self, kind: tuple[str, int, str], now: float) -> None:
        self._windows[kind] = _Window(opened=now)
        self._next_due = min(self._next_due, now + self.window_seconds)

    def _close_due_windows(
        self, now: float, *, everything: bool = False
    ) -> list[logging.LogRecord]:
        summaries = []
        next_due = float("inf")
        for kind, window in list(self._windows.items()):
            if not everything and now < window.opened + self.window_seconds:
                next_due = min(next_due, window.opened + self.window_seconds)
                continue
            del self._windows[kind]
            if window.suppressed and window.last is not None:
                summaries.append(self._summary(window, now))
                if not everything:  # still repeating: its next window starts now
                    self._windows[kind] = _Window(opened=now)
                    next_due = min(next_due, now + self.window_seconds)
        self._next_due = next_due
        return summaries

    def _summary(self, window: _Window, now: float) -> logging.LogRecord:
        last = window.last
        assert last is not None
        summary = logging.LogRecord(
            name=last.name,
            level=last.levelno,
            pathname=last.pathname,
            lineno=last.lineno,
            msg="%s (repeated %d times in the last %s s)",
            args=(_message(last), window.suppressed, _seconds(now - window.opened)),
            exc_info=None,
        )
        summary.__dict__.update(_EXEMPT)
        return summary

    def _emit(self, summaries: list[logging.LogRecord]) -> None:
        for summary in summaries:
            self.handler.handle(summary)


def _message(record: logging.LogRecord) -> str:
    """The record's text; its bare template when its arguments do not fit (never raises here,
    where a raise would reach the code that logged)."""
    try:
        return record.getMessage()
    except Exception:  # any formatting error: logging itself reports those when it writes
        return str(record.msg)


def _seconds(duration: float) -> str:
    """`10`, `2.5`: a duration as a person would write it."""
    return f"{round(duration, 1):g}"


class OutageLog:
    """What a retry loop logs about one dependency: `failed` on every failed attempt, `recovered`
    on every success.

    The first failure is one WARNING; while the failures go on, one WARNING per window says for
    how long and how many; the first success after failures is one INFO line
    ("kafka consumer recovered after 12.3 s, 456 failures"). A success without failures logs
    nothing, so `recovered()` may be called after every attempt. These lines are rate-limited
    here and pass a `RepeatFilter` untouched.
    """

    def __init__(
        self,
        what: str,
        logger: logging.Logger | None = None,
        *,
        window_seconds: float | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.what = what
        self._log = logger if logger is not None else logging.getLogger(__name__)
        self._window_seconds = window_seconds
        self._clock = clock
        self._failures = 0
        self._since = 0.0
        self._last_line = 0.0

    @property
    def failures(self) -> int:
        """Failed attempts since the last success."""
        return self._failures

    @property
    def window_seconds(self) -> float:
        """How often a continuing outage is reported: as given, else the installed window."""
        return self._window_seconds if self._window_seconds is not None else _installed_window()

    def failed(self, exc: BaseException) -> None:
        """One failed attempt, because of `exc`."""
        now = self._clock()
        self._failures += 1
        if self._failures == 1:
            self._since = self._last_line = now
            self._log.warning("%s failed, retrying: %s", self.what, _describe(exc), extra=_EXEMPT)
        elif now - self._last_line >= self.window_seconds:
            self._last_line = now
            self._log.warning(
                "%s still failing after %s s, %d failures: %s",
                self.what,
                _seconds(now - self._since),
                self._failures,
                _describe(exc),
                extra=_EXEMPT,
            )

    def recovered(self) -> None:
        """An attempt succeeded: says so once if there were failures, then starts afresh."""
        if not self._failures:
            return
        self._log.info(
            "%s recovered after %s s, %d failures",
            self.what,
            _seconds(self._clock() - self._since),
            self._failures,
            extra=_EXEMPT,
        )
        self._failures = 0


def _describe(exc: BaseException) -> str:
    """The exception in one line (its type when it has no message)."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class _Installation:
    """The filters `install_log_limits` attached, and the thread that flushes their summaries."""

    def __init__(self, window_seconds: float, clock: Clock) -> None:
        self.window_seconds = window_seconds
        self.clock = clock
        self.filters: list[RepeatFilter] = []
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="log-limits", daemon=True)

    def attach(self, root: logging.Logger) -> None:
        """Give every root handler without one a filter (handlers added since a first call)."""
        for handler in root.handlers:
            if not any(isinstance(f, RepeatFilter) for f in handler.filters):
                repeat_filter = RepeatFilter(handler, self.window_seconds, clock=self.clock)
                handler.addFilter(repeat_filter)
                self.filters.append(repeat_filter)

    def start(self) -> None:
        self._ticker.start()
        atexit.register(remove_log_limits)  # the last window's summaries are not lost at exit

    def stop(self) -> None:
        atexit.unregister(remove_log_limits)
        self._stop.set()
        if self._ticker.is_alive() and self._ticker is not threading.current_thread():
            self._ticker.join()
        for repeat_filter in self.filters:
            repeat_filter.flush(everything=True)
            repeat_filter.handler.removeFilter(repeat_filter)

    def _tick(self) -> None:
        interval = min(1.0, self.window_seconds / 4)
        while not self._stop.wait(interval):
            for repeat_filter in list(self.filters):
                repeat_filter.flush()


_installation: _Installation | None = None
_installation_lock = threading.Lock()


def _installed_window() -> float:
    installation = _installation
    return installation.window_seconds if installation else DEFAULT_WINDOW_SECONDS


def install_log_limits(window_seconds: float, *, clock: Clock = time.monotonic) -> None:
    """Limit repeated records on every handler of the root logger (call it after configuring
    logging, e.g. after `logging.basicConfig`).

    Idempotent: a second call adds filters only to root handlers added since, and keeps the
    first call's window. `remove_log_limits` undoes it.
    """
    global _installation  # noqa: PLW0603 - logging's own configuration is process-wide too
    if window_seconds <= 0:
        raise ValueError(f"window_seconds must be positive, not {window_seconds}")
    with _installation_lock:
        if _installation is None:
            _installation = _Installation(window_seconds, clock)
            _installation.attach(logging.getLogger())
            _installation.start()
        else:
            _installation.attach(logging.getLogger())


def remove_log_limits() -> None:
    """Write the pending summaries and take the filters off again (for tests, and at exit)."""
    global _installation  # see install_log_limits
    with _installation_lock:
        installation, _installation = _installation, None
    if installation is not None:
        installation.stop()


def installed_filters() -> list[RepeatFilter]:
    """The filters `install_log_limits` attached (none when it was not called)."""
    installation = _installation
    return list(installation.filters) if installation else []
