"""The one retry policy for a dependency that may be away: the store, the Kafka broker.

A failure that `transient` says a retry may cure is logged on the policy's `OutageLog` (a line
when the outage starts, a few while it lasts, one when it ends) and retried after a wait that
doubles from `Backoff.first` to `Backoff.most`. With a budget, counted from the first failure,
the last failure is raised once the budget is spent; without one, the operation is retried until
it succeeds (a broker restart delays replies, it does not lose them). Any other error is raised
at once, as it is. Each use chooses its backoff, its budget and what is transient; the loop is
this one.

`StoreRetry` is the policy as the store runs it, its library's errors translated into the error
tree: a transient failure past the budget is a 503, any other error of the library a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from customer_async.errors import InternalError, StoreUnavailable
from customer_async.log_limits import OutageLog
from customer_async.protocol.clock import SYSTEM_CLOCK, Clock

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Backoff:
    """The waits between attempts: `first` seconds, each further one doubled, up to `most`."""

    first: float
    most: float


STORE_BACKOFF: Final = Backoff(0.1, 2.0)
"""Short waits: a request waits for the store within a budget of seconds (30 by default)."""
BROKER_BACKOFF: Final = Backoff(0.2, 5.0)
"""Longer waits: a broker is waited for as long as it takes, and its clients reconnect anyway."""


def _not_counted(what: str) -> None:
    del what


class RetryPolicy:
    """Runs operations on one dependency, retrying their transient failures with backoff."""

    def __init__(
        self,
        outage: OutageLog,
        transient: Callable[[Exception], bool],
        backoff: Backoff,
        *,
        budget: float | None = None,
        retried: Callable[[str], None] = _not_counted,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.outage = outage
        self.backoff = backoff
        self.budget = budget
        """Seconds of failures, from the first, before giving up; None: never give up."""
        self._transient = transient
        self._retried = retried
        self._clock = clock

    async def run(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        """`operation`'s result, retried while it fails transiently and the budget lasts.

        The budget counts from the first failure: time spent working before it (a lease waited
        for, a long list) is not an outage. `what` names the operation to `retried`.
        """
        deadline: float | None = None
        delay = self.backoff.first
        while True:
            try:
                result = await operation()
            except Exception as exc:
                if not self._transient(exc):
                    raise
                self.outage.failed(exc)
                if self.budget is not None:
                    if deadline is None:
                        deadline = self._clock.monotonic() + self.budget
                    if self._clock.monotonic() >= deadline:
                        raise
                self._retried(what)
                await self._clock.sleep(delay)
                delay = min(delay * 2, self.backoff.most)
            else:
                self.outage.recovered()
                return result


class StoreRetry:
    """Runs store commands through a `RetryPolicy` with `budget` seconds and `STORE_BACKOFF`.

    `transient` says which of the store library's errors are worth a retry
    (store.errors.is_transient for PyMongo's); once the budget is spent, such a failure is a
    `StoreUnavailable` (503). Any other error of the library (`library_error`) is a bug in what
    was sent, an `InternalError` (500); an error from elsewhere passes as it is.
    """

    def __init__(
        self,
        budget: float,
        transient: Callable[[BaseException], bool],
        library_error: type[BaseException],
        *,
        outage: OutageLog | None = None,
        retried: Callable[[str], None] = _not_counted,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.budget = budget
        self._transient = transient
        self._library_error = library_error
        self.policy = RetryPolicy(
            outage or OutageLog("store", logging.getLogger(__name__)),
            lambda exc: isinstance(exc, library_error) and transient(exc),
            STORE_BACKOFF,
            budget=budget,
            retried=retried,
            clock=clock,
        )

    @property
    def outage(self) -> OutageLog:
        """The store's outage log: failures since the last command that succeeded."""
        return self.policy.outage

    @property
    def retry_after(self) -> int:
        """Seconds a 503 tells the caller to wait before resending."""
        return max(1, round(self.budget))

    def unavailable(self, what: str) -> StoreUnavailable:
        """The 503 for a command that found the store away for the whole budget."""
        return StoreUnavailable(f"the store did not answer ({what})", retry_after=self.retry_after)

    async def run(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        """`operation`'s result, retried while it fails transiently and the budget lasts."""
        try:
            return await self.policy.run(what, operation)
        except self._library_error as exc:
            if self._transient(exc):
                raise self.unavailable(what) from exc
            raise InternalError(f"store operation failed ({what})") from exc
