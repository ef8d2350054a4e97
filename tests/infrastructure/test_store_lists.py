"""List queries go to the store at most `max_concurrent_lists` at a time per instance.

A list scans its matches (FerretDB reads each whole): a burst of them sent at once makes every
one slower, past the store's timeout. The proxy in front of the real store counts the list
commands it was relaying at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from customer_async.errors import StoreUnavailable
from customer_async.store import CustomerStore
from tests.support.store_faults import StoreFaults

pytestmark = pytest.mark.e2e

LISTS = 8
LIST_COMMANDS = ("find", "aggregate", "count")


async def _burst_of_lists(faults: StoreFaults, database: str, concurrent_lists: int) -> int:
    """The most list commands the store worked on at once during `LISTS` lists sent together."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(faults.uri)
    try:
        store = CustomerStore(client, database, 5.0, concurrent_lists=concurrent_lists)
        faults.most_in_flight.clear()
        pages = await asyncio.gather(
            *(store.find({"name": "club"}, [("name", 1)], 0, 10) for _ in range(LISTS))
        )
        assert all(page.total == 60 and len(page.items) == 10 for page in pages)
        return max(faults.most_in_flight.get(name, 0) for name in LIST_COMMANDS)
    finally:
        await client.close()


async def test_a_burst_of_lists_reaches_the_store_a_few_at_a_time(
    faults: StoreFaults, mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    customers = mongo[unique_name]["customer"]
    await customers.insert_many(
        [{"_id": f"c{n}", "id": f"c{n}", "name": "club", "_deletedAt": None} for n in range(60)]
    )
    try:
        assert await _burst_of_lists(faults, unique_name, concurrent_lists=2) <= 2
        # The same burst without the bulkhead does reach the store all at once.
        assert await _burst_of_lists(faults, unique_name, concurrent_lists=LISTS) > 2
    finally:
        await mongo.drop_database(unique_name)


async def test_a_list_past_its_deadline_is_a_503_and_is_not_run_again(
    faults: StoreFaults, mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    customers = mongo[unique_name]["customer"]
    await customers.insert_many(
        [{"_id": f"c{n}", "id": f"c{n}", "name": "club", "_deletedAt": None} for n in range(500)]
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(faults.uri)
    try:
        store = CustomerStore(client, unique_name, 30.0, list_timeout_seconds=0.002)
        faults.forget()
        with pytest.raises(StoreUnavailable, match="did not finish the list") as raised:
            await store.find({"name": "club"}, [("name", 1)], 0, 10)
        assert raised.value.status == 503
        # Given up at once, although the retry budget (30 s) would allow retrying an outage.
        assert sum(command.name == "find" for command in faults.seen) <= 1
    finally:
        await client.close()
        await mongo.drop_database(unique_name)
