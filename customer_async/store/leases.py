"""Writer leases on the MongoDB side: the `customer_lease` collection, and which servers need it.

The lease protocol itself (who takes, waits, renews, reaps) is `protocol/lease.py`; this module
only keeps its table in a collection whose unique `_id` is the customer id (an insert of a taken
id fails atomically, on FerretDB too), and decides per server whether writers need leases at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from customer_async.protocol.lease import CustomerLease, LeaseEntry, NoLease, Writers
from customer_async.protocol.retry import StoreRetry
from customer_async.store.errors import DUPLICATE_KEY
from customer_async.store.mapping import Stored
from customer_async.types import Document


def writers_for(
    server_info: Mapping[str, Any],
    leases: AsyncCollection[Stored],
    retry: StoreRetry,
    *,
    holder: str,
    stable: bool,
    ttl: float,
) -> Writers:
    """How writers of one customer are kept apart on the server `server_info` describes: a lease
    per customer on FerretDB (its updates are not isolated), nothing on MongoDB."""
    if "ferretdbVersion" in server_info:
        return CustomerLease(MongoLeases(leases), retry, holder=holder, stable=stable, ttl=ttl)
    return NoLease()


class MongoLeases:
    """The `customer_lease` collection as a `LeaseTable` (unique `_id`: the customer id)."""

    def __init__(self, leases: AsyncCollection[Stored]) -> None:
        self._leases = leases

    async def insert(self, leases: Sequence[LeaseEntry]) -> set[str]:
        documents = [
            {"_id": e.customer_id, "token": e.token, "holder": e.holder, "expires": e.expires}
            for e in leases
        ]
        try:
            if len(documents) == 1:
                await self._leases.insert_one(documents[0])
            else:
                await self._leases.insert_many(documents, ordered=False)
        except DuplicateKeyError:
            return {leases[0].customer_id}
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            return {leases[e["index"]].customer_id for e in errors}
        return set()

    async def remove(self, customer_ids: Sequence[str], token: str) -> None:
        if len(customer_ids) == 1:
            await self._leases.delete_one({"_id": customer_ids[0], "token": token})
        else:
            await self._leases.delete_many({"_id": {"$in": list(customer_ids)}, "token": token})

    async def remove_expired(self, now: datetime, customer_ids: Sequence[str] | None) -> int:
        query: Document = {"expires": {"$lt": now}}
        if customer_ids is not None:
            query["_id"] = customer_ids[0] if len(customer_ids) == 1 else {"$in": customer_ids}
        result = await self._leases.delete_many(query)
        return result.deleted_count

    async def remove_held_by(self, holder: str) -> int:
        result = await self._leases.delete_many({"holder": holder})
        return result.deleted_count

    async def extend(self, customer_ids: Sequence[str], holder: str, expires: datetime) -> None:
        await self._leases.update_many(
            {"_id": {"$in": list(customer_ids)}, "holder": holder}, {"$set": {"expires": expires}}
        )
