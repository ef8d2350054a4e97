"""The store ceiling: raw PyMongo async `insert_one`, `find_one` and `update_one` by `_id`.

Documents are the seed's Customer as the service stores it (stored_customers.py); the same number
of operations and the same in-flight window as the Kafka phases. `update_one` is patch-like: a
`$set` of the merge patch's few attributes and the version on an existing customer. No service
does fewer store round trips than one per request, so these rates bound what the store allows
for create (insert), retrieve (find) and patch (update).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from benchmarks.driver import Done, ignore
from benchmarks.machine_cpu import CpuSplits
from benchmarks.payloads import customer_merge_patch
from benchmarks.stats import MISSING, Measurement, Outcome, summarise
from benchmarks.stored_customers import CUSTOMER_COLLECTION, StoredCustomers

Stored = dict[str, Any]


@dataclass(frozen=True, slots=True)
class StoreCeilings:
    """The raw store's single-document operations, measured one after the other."""

    insert: Measurement
    find: Measurement
    update: Measurement


async def create_collections(
    mongodb_uri: str, databases: Sequence[str], documents: StoredCustomers
) -> None:
    """Create the customer collection of each ceiling database now, while nothing else runs.

    FerretDB v1 on PostgreSQL stopped answering altogether (every pooled connection idle, even
    `ping` unanswered) when a collection was created while the service was connected; creating
    them all at the start keeps DDL out of the measured part of the run.
    """
    client: AsyncMongoClient[Stored] = AsyncMongoClient(
        mongodb_uri, serverSelectionTimeoutMS=10_000
    )
    try:
        for database in databases:
            await client[database][CUSTOMER_COLLECTION].insert_one(
                documents.document(str(uuid.uuid4()))
            )
    finally:
        await client.close()


async def measure_store(
    mongodb_uri: str,
    database: str,
    *,
    documents: StoredCustomers,
    count: int,
    window: int,
    deadline: float,
    on_done: Done = ignore,
    splits: CpuSplits | None = None,
) -> StoreCeilings:
    """`count` inserts, then `count` finds and `count` updates of what was inserted, in
    `database`, whose collection `create_collections` made (a one-off cost, not a rate)."""
    client: AsyncMongoClient[Stored] = AsyncMongoClient(
        mongodb_uri, serverSelectionTimeoutMS=10_000
    )
    try:
        customers = client[database][CUSTOMER_COLLECTION]
        ids = [str(uuid.uuid4()) for _ in range(count)]
        limit = asyncio.Semaphore(window)

        async def timed_all(
            operation: Callable[[str], Callable[[], Awaitable[str]]],
        ) -> list[Outcome]:
            return list(
                await asyncio.gather(*(_timed(limit, deadline, operation(i), on_done) for i in ids))
            )

        cpu = splits or CpuSplits()
        with cpu.phase("store insert_one", count):
            inserts = await timed_all(lambda i: _insert(customers, documents, i))
        with cpu.phase("store find_one", count):
            finds = await timed_all(lambda i: _find(customers, i))
        with cpu.phase("store update_one", count):
            updates = await timed_all(lambda i: _update(customers, i))
        return StoreCeilings(
            summarise("store insert_one", inserts),
            summarise("store find_one", finds),
            summarise("store update_one", updates),
        )
    finally:
        await client.close()


async def time_finds(
    customers: AsyncCollection[Stored],
    ids: list[str],
    name: str,
    *,
    window: int,
    send_until: float,
    deadline: float,
    on_done: Done = ignore,
) -> Measurement:
    """Raw `find_one` by `_id` of each id, at most `window` at once; ids whose turn comes after
    `send_until` (event-loop time) are not looked up and not measured."""
    limit = asyncio.Semaphore(window)
    loop = asyncio.get_running_loop()

    async def find_if_in_time(customer_id: str) -> Outcome | None:
        if loop.time() >= send_until:
            on_done()
            return None
        return await _timed(
            contextlib.nullcontext(), deadline, _find(customers, customer_id), on_done
        )

    async def windowed(customer_id: str) -> Outcome | None:
        async with limit:
            return await find_if_in_time(customer_id)

    found = await asyncio.gather(*(windowed(i) for i in ids))
    outcomes = [outcome for outcome in found if outcome is not None]
    return summarise(name, outcomes, unsent=len(ids) - len(outcomes))


def _insert(
    customers: AsyncCollection[Stored], documents: StoredCustomers, customer_id: str
) -> Callable[[], Awaitable[str]]:
    async def insert() -> str:
        await customers.insert_one(documents.document(customer_id))
        return "ok"

    return insert


def _find(customers: AsyncCollection[Stored], customer_id: str) -> Callable[[], Awaitable[str]]:
    async def find() -> str:
        found = await customers.find_one({"_id": customer_id})
        return "ok" if found is not None and found.get("id") == customer_id else "not found"

    return find


def _update(customers: AsyncCollection[Stored], customer_id: str) -> Callable[[], Awaitable[str]]:
    change = {"$set": {**customer_merge_patch(), "_version": 2}}

    async def update() -> str:
        result = await customers.update_one({"_id": customer_id, "_version": 1}, change)
        return "ok" if result.modified_count == 1 else "not updated"

    return update


async def _timed(
    limit: contextlib.AbstractAsyncContextManager[object],
    deadline: float,
    operation: Callable[[], Awaitable[str]],
    on_done: Done,
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
        finally:
            on_done()
        finished = time.perf_counter()
        problem = None if status == "ok" else status
        return Outcome(status, problem is None, started, finished, problem)
