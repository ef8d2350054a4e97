"""The store ceiling: raw PyMongo async `insert_one` and `find_one` by `_id` on the same store.

Documents are shaped and sized like the seed's Customer as the service stores it; the same
number of operations and the same in-flight window as the Kafka phases. No service does fewer
store round trips than one per request, so these rates bound what the store allows.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from benchmarks.payloads import stored_customer
from benchmarks.stats import MISSING, Measurement, Outcome, summarise

Stored = dict[str, object]


async def measure_store(
    mongodb_uri: str, database: str, count: int, window: int, deadline: float
) -> tuple[Measurement, Measurement]:
    """Rates and latencies of `count` inserts, then `count` finds of what was inserted."""
    client: AsyncMongoClient[Stored] = AsyncMongoClient(
        mongodb_uri, serverSelectionTimeoutMS=10_000
    )
    try:
        customers = client[database]["customer"]
        # The first write creates the collection; that one-off cost is not a rate.
        await customers.insert_one(stored_customer(str(uuid.uuid4())))
        ids = [str(uuid.uuid4()) for _ in range(count)]
        limit = asyncio.Semaphore(window)
        inserts = await asyncio.gather(
            *(_timed(limit, deadline, _insert(customers, i)) for i in ids)
        )
        finds = await asyncio.gather(*(_timed(limit, deadline, _find(customers, i)) for i in ids))
        return summarise("store insert_one", inserts), summarise("store find_one", finds)
    finally:
        await client.close()


def _insert(customers: AsyncCollection[Stored], customer_id: str) -> Callable[[], Awaitable[str]]:
    async def insert() -> str:
        await customers.insert_one(stored_customer(customer_id))
        return "ok"

    return insert


def _find(customers: AsyncCollection[Stored], customer_id: str) -> Callable[[], Awaitable[str]]:
    async def find() -> str:
        found = await customers.find_one({"_id": customer_id})
        return "ok" if found is not None and found.get("id") == customer_id else "not found"

    return find


async def _timed(
    limit: asyncio.Semaphore, deadline: float, operation: Callable[[], Awaitable[str]]
) -> Outcome:
    async with limit:
        started = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                status = await operation()
        except TimeoutError:
            return Outcome(MISSING, ok=False, started=started, problem="no result before deadline")
        except PyMongoError as exc:
            return Outcome("error", False, started, time.perf_counter(), type(exc).__name__)
        finished = time.perf_counter()
        problem = None if status == "ok" else status
        return Outcome(status, problem is None, started, finished, problem)
