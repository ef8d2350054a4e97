"""The retry policy for a store that may be away: retry what is transient until a budget counted
from the first failure is spent, then give up with a 503; anything else is a bug (500)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from customer_async.errors import InternalError, StoreUnavailable
from customer_async.log_limits import OutageLog
from customer_async.protocol.clock import SYSTEM_CLOCK, Clock

T = TypeVar("T")

FIRST_DELAY = 0.1
"""Seconds before the first retry; each further wait doubles, up to `MAX_DELAY`."""
MAX_DELAY = 2.0


class StoreRetry:
    """Runs store commands, retrying transient failures within `budget` seconds.

    The budget counts from the first failure of a command: time spent working before it (a lease
    waited for, a long list) is not an outage. `transient` says which errors are worth a retry
    (store_errors.is_transient for PyMongo's); any other error of the store's library
    (`library_error`) is a bug in what was sent, answered 500.
    """

    def __init__(
        self,
        budget: float,
        transient: Callable[[BaseException], bool],
        library_error: type[BaseException],
        *,
        outage: OutageLog | None = None,
        retried: Callable[[str], None] = lambda what: None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.budget = budget
        self._transient = transient
        self._library_error = library_error
        self.outage = outage or OutageLog("store", logging.getLogger(__name__))
        self._retried = retried
        self._clock = clock

    @property
    def retry_after(self) -> int:
        """Seconds a 503 tells the caller to wait before resending."""
        return max(1, round(self.budget))

    def unavailable(self, what: str) -> StoreUnavailable:
        """The 503 for a command that found the store away for the whole budget."""
        return StoreUnavailable(f"the store did not answer ({what})", retry_after=self.retry_after)

    async def run(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        """`operation`'s result, retried while it fails transiently and the budget lasts."""
        deadline: float | None = None
        delay = FIRST_DELAY
        while True:
            try:
                result = await operation()
            except self._library_error as exc:
                if not self._transient(exc):
                    raise InternalError(f"store operation failed ({what})") from exc
                self.outage.failed(exc)
                if deadline is None:
                    deadline = self._clock.monotonic() + self.budget
                if self._clock.monotonic() >= deadline:
                    raise self.unavailable(what) from exc
                self._retried(what)
                await self._clock.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)
            else:
                self.outage.recovered()
                return result
