"""The store's retry budget counts from the first failure, not from when an operation began."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import AutoReconnect

from customer_async.errors import StoreUnavailable
from customer_async.store import CustomerStore


def _store(budget: float) -> CustomerStore:
    # Never connects: the operations below are the test's own.
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(connect=False)
    return CustomerStore(client, "unused", retry_seconds=budget)


async def test_time_spent_working_before_a_failure_is_not_counted_as_an_outage() -> None:
    calls = 0

    async def slow_then_one_failure() -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(0.3)  # longer than the whole budget, but the store answered
            raise AutoReconnect("connection reset")
        return "done"

    assert await _store(budget=0.2)._retrying("work", slow_then_one_failure) == "done"
    assert calls == 2


async def test_failures_for_longer_than_the_budget_are_a_503() -> None:
    async def down() -> str:
        raise AutoReconnect("no store")

    with pytest.raises(StoreUnavailable) as raised:
        await _store(budget=0.2)._retrying("work", down)
    assert raised.value.status == 503
