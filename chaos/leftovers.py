"""The store's own bookkeeping after the run, read straight from the database (the service never
shows it): customers whose outbox is not published (harness/outbox.py), and documents left in
`customer_lease`.

Read again until both are empty, at the latest until a deadline (30 s after the last fault): the
service may finish a publish or give a lease back late, but by then nothing may be left over.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from harness.outbox import unpublished_customers

_READ_TIMEOUT_MS = 5000

Stored = dict[str, Any]


@dataclass
class Leftovers:
    """What the last reading of the store found."""

    outbox: list[str] = field(default_factory=list)
    """Customers whose outbox is not published: events written and never published."""
    leases: list[str] = field(default_factory=list)
    """Documents in `customer_lease` (`id held by holder`)."""
    read_at: float | None = None
    """Wall time of the last reading (None: the store was never read)."""
    readings: int = 0
    first_reading: tuple[int, int] | None = None
    """Outbox customers and leases the first reading found (what the service cleaned up late)."""
    error: str = ""
    """Why the last reading failed, if it did."""

    @property
    def clean(self) -> bool:
        return self.read_at is not None and not self.error and not self.outbox and not self.leases


async def read_leftovers(mongodb_uri: str, database: str, deadline: float) -> Leftovers:
    """Read until both are empty, or until `deadline` (wall time) has passed: the last reading."""
    found = Leftovers()
    client: AsyncMongoClient[Stored] = AsyncMongoClient(
        mongodb_uri,
        serverSelectionTimeoutMS=_READ_TIMEOUT_MS,
        connectTimeoutMS=_READ_TIMEOUT_MS,
        socketTimeoutMS=_READ_TIMEOUT_MS * 2,
    )
    try:
        while True:
            await _read_once(client[database], found)
            if found.clean or time.time() >= deadline:
                return found
            await asyncio.sleep(min(2.0, max(0.0, deadline - time.time())))
    finally:
        await client.close()


async def _read_once(store: AsyncDatabase[Stored], found: Leftovers) -> None:
    found.readings += 1
    try:
        outbox = await unpublished_customers(store)
        leases = [
            f"{d['_id']} held by {d.get('holder')} (expires {d.get('expires')})"
            async for d in store["customer_lease"].find({})
        ]
    except PyMongoError as exc:
        found.error = f"{type(exc).__name__}: {exc}"
    else:
        found.outbox, found.leases, found.error = outbox, leases, ""
        found.first_reading = found.first_reading or (len(outbox), len(leases))
    found.read_at = time.time()
