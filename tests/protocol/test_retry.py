"""One retry policy: transient failures are waited out with a doubling backoff, within a budget
counted from the first failure or for as long as it takes; anything else is raised at once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest

from customer_async.errors import InternalError, StoreUnavailable
from customer_async.log_limits import OutageLog
from customer_async.protocol.retry import Backoff, RetryPolicy, StoreRetry
from tests.protocol.memory import VirtualClock


class Away(Exception):
    """Stands in for a dependency's transient failure."""


class Refused(Exception):
    """Stands in for a failure no retry cures."""


class RecordingClock(VirtualClock):
    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await super().sleep(seconds)


def failing(times: int, error: Exception) -> tuple[list[int], Callable[[], Awaitable[str]]]:
    """An operation that raises `error` `times` times, then succeeds; and its calls."""
    calls: list[int] = []

    async def operation() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "done"

    return calls, operation


def policy(clock: RecordingClock, *, budget: float | None = None) -> RetryPolicy:
    return RetryPolicy(
        OutageLog("dependency", logging.getLogger("test")),
        lambda exc: isinstance(exc, Away),
        Backoff(0.2, 1.0),
        budget=budget,
        clock=clock,
    )


async def test_without_a_budget_failures_are_waited_out_with_a_doubling_backoff() -> None:
    clock = RecordingClock()
    retry = policy(clock)
    calls, operation = failing(6, Away("down"))
    assert await retry.run("work", operation) == "done"
    assert len(calls) == 7
    assert clock.slept == [0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    assert retry.outage.failures == 0  # recovered


async def test_the_budget_counts_from_the_first_failure_then_the_failure_is_raised() -> None:
    clock = RecordingClock()
    clock.seconds = 100.0  # the first failure comes late: the budget starts there
    calls, operation = failing(1000, Away("down"))
    with pytest.raises(Away):
        await policy(clock, budget=2.0).run("work", operation)
    assert clock.slept == [0.2, 0.4, 0.8, 1.0]  # 2.4 s waited: past the 2 s budget
    assert len(calls) == 5


async def test_a_failure_no_retry_cures_is_raised_at_once() -> None:
    clock = RecordingClock()
    calls, operation = failing(1, Refused("no"))
    with pytest.raises(Refused):
        await policy(clock).run("work", operation)
    assert (len(calls), clock.slept) == (1, [])


async def test_each_retry_is_reported_by_name() -> None:
    retried: list[str] = []
    retry = RetryPolicy(
        OutageLog("dependency"),
        lambda exc: isinstance(exc, Away),
        Backoff(0.1, 0.1),
        retried=retried.append,
        clock=RecordingClock(),
    )
    _, operation = failing(2, Away("down"))
    await retry.run("insert", operation)
    assert retried == ["insert", "insert"]


def store_retry(clock: RecordingClock) -> StoreRetry:
    return StoreRetry(30.0, lambda exc: isinstance(exc, Away), Exception, clock=clock)


async def test_a_spent_store_budget_is_a_503_saying_when_to_resend() -> None:
    clock = RecordingClock()
    _, operation = failing(1000, Away("down"))
    with pytest.raises(StoreUnavailable) as raised:
        await store_retry(clock).run("insert", operation)
    assert raised.value.retry_after == 30
    assert clock.slept[:6] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0]  # the store's backoff
    assert isinstance(raised.value.__cause__, Away)


async def test_any_other_store_library_error_is_a_500() -> None:
    _, operation = failing(1, Refused("bad command"))
    with pytest.raises(InternalError, match=r"store operation failed \(insert\)"):
        await store_retry(RecordingClock()).run("insert", operation)
