"""Writer leases on the MongoDB side: the `customer_lease` collection, and which servers need it.

The lease protocol itself (who takes, waits, renews, reaps) is `protocol/lease.py`; this module
only keeps its table in a collection whose unique `_id` is the customer id (an insert of a taken
id fails atomically, on FerretDB too), and decides per server whether writers need leases at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection

from customer_async.batching import Batched
from customer_async.protocol.lease import CustomerLease, LeaseEntry, NoLease, Writers
from customer_async.protocol.retry import StoreRetry
from customer_async.store.inserts import insert_each
from customer_async.store.mapping import Stored
from customer_async.types import Document


def writers_for(
    ferretdb: bool,
    leases: AsyncCollection[Stored],
    retry: StoreRetry,
    *,
    holder: str,
    stable: bool,
    ttl: float,
) -> Writers:
    """How writers of one customer are kept apart: a lease per customer on FerretDB (its
    updates are not isolated), nothing on MongoDB."""
    if ferretdb:
        return CustomerLease(MongoLeases(leases), retry, holder=holder, stable=stable, ttl=ttl)
    return NoLease()


LEASE_BATCH = 64
"""Single leases taken (or given back) by one command at most."""
LEASE_BATCHES = 2
"""Lease commands of each kind out at once."""


class MongoLeases:
    """The `customer_lease` collection as a `LeaseTable` (unique `_id`: the customer id).

    The single leases of concurrent writers (a poll's patches and deletes of different customers)
    are taken in one `insert_many` and given back in one `delete_many` (`batching.Batched`): on
    FerretDB each command costs a PostgreSQL transaction, and a write held one of each.
    """

    def __init__(self, leases: AsyncCollection[Stored]) -> None:
        self._leases = leases
        self._taking: Batched[LeaseEntry, bool] = Batched(
            self._take, max_batch=LEASE_BATCH, in_flight=LEASE_BATCHES
        )
        self._giving_back: Batched[str, None] = Batched(
            self._give_back, max_batch=LEASE_BATCH, in_flight=LEASE_BATCHES
        )

    async def insert(self, leases: Sequence[LeaseEntry]) -> set[str]:
        if len(leases) == 1:
            return {leases[0].customer_id} if await self._taking(leases[0]) else set()
        taken = await self._take(leases)
        for outcome in taken:
            if isinstance(outcome, BaseException):
                raise outcome
        return {lease.customer_id for lease, was in zip(leases, taken, strict=True) if was}

    async def _take(self, leases: Sequence[LeaseEntry]) -> list[bool | BaseException]:
        """Inserts the leases; for each, whether its customer's lease was taken already (or the
        error its insert alone met)."""
        documents = [
            {"_id": e.customer_id, "token": e.token, "holder": e.holder, "expires": e.expires}
            for e in leases
        ]
        inserted = await insert_each(self._leases, documents)
        return [not outcome if isinstance(outcome, bool) else outcome for outcome in inserted]

    async def remove(self, customer_ids: Sequence[str], token: str) -> None:
        if len(customer_ids) == 1:
            # A single lease's token is its own (protocol/lease.py): the token names it.
            await self._giving_back(token)
        else:
            await self._leases.delete_many({"_id": {"$in": list(customer_ids)}, "token": token})

    async def _give_back(self, tokens: Sequence[str]) -> list[BaseException | None]:
        if len(tokens) == 1:
            await self._leases.delete_one({"token": tokens[0]})
        else:
            await self._leases.delete_many({"token": {"$in": list(tokens)}})
        return [None] * len(tokens)

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
