"""`CustomerStore`: the one client and retry policy, the writes, and the parts composed around them.

A write is one read and one conditional write of the customer's one document (mapping.py), made
while no other instance writes it (leases.py, on FerretDB); what it publishes is recorded in its
run's ledger (ledgers.py), not in the customer. Reads for clients are queries.py's, through the
same retry policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from pymongo import ASCENDING, AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from customer_async.batching import Batched
from customer_async.errors import InternalError, StoreUnavailable
from customer_async.interfaces import NO_METRICS, Metrics
from customer_async.log_limits import OutageLog
from customer_async.protocol.lease import Writers
from customer_async.protocol.ledger import Ledger, outbox_published
from customer_async.protocol.record import CustomerRecord, Stamp
from customer_async.protocol.retry import StoreRetry
from customer_async.settings import Settings
from customer_async.store.errors import is_transient
from customer_async.store.indexes import FILTER_INDEXES
from customer_async.store.inserts import insert_each
from customer_async.store.leases import writers_for
from customer_async.store.ledgers import MongoLedgers
from customer_async.store.mapping import TOMBSTONE, Stored, bookkeeping, to_document, to_record
from customer_async.store.queries import CustomerQueries, Page
from customer_async.store.recent import RecentWrites
from customer_async.types import Document

log = logging.getLogger("customer_async.store")  # the package's: one logger for the whole store

T = TypeVar("T")

INSERT_BATCH = 16
"""Creates inserted by one command at most: the concurrent creates of a poll share their inserts
(batching.py has the measurements)."""
INSERT_BATCHES = 4
"""Insert commands out at once: the store works on a few batches in parallel best, and each
holds one of FerretDB's PostgreSQL connections."""
_SETTLES_PER_COMMAND = 8
"""FerretDB v1 holds one PostgreSQL connection per statement of an update command until the
whole command ends (its pool has 50 by default): a bulk write larger than the pool deadlocks the
server, so settles go in commands of this many statements."""
_SETTLE_COMMANDS = 4
"""Settle commands out at once: the store works on a few in parallel best. On FerretDB they
hold up to `_SETTLE_COMMANDS * _SETTLES_PER_COMMAND` (32) of its PostgreSQL connections: with
the local stack's pool of 150, four instances settling at once leave room for their other work."""
_STAMP_LOOKUPS = 8
"""Stamps looked up at once on FerretDB (one pushed-down equality each: it pushes no `$in`)."""
_STAMPS_PER_FIND = 1000
"""Stamps per `$in` on MongoDB."""
_PURGE_BATCH = 500
_PURGE_BATCHES = 20
"""Tombstones go in deletes of this many, at most this many deletes per sweep."""


class CustomerStore:
    """Reads and writes customers with their bookkeeping (see protocol/record.py)."""

    def __init__(
        self,
        client: AsyncMongoClient[Stored],
        database: str,
        retry_seconds: float,
        metrics: Metrics = NO_METRICS,
        *,
        concurrent_lists: int = 4,
        list_timeout_seconds: float = 60.0,
        instance_id: str | None = None,
        lease_ttl_seconds: float = 30.0,
        total_count_limit: int = 100,
        attribute_types: Mapping[str, str] | None = None,
    ):
        self._holder = instance_id or f"run-{uuid.uuid4().hex}"
        self._stable_holder = instance_id is not None
        self._lease_ttl = lease_ttl_seconds
        self._client = client
        self._customers: AsyncCollection[Stored] = client[database]["customer"]
        self._leases: AsyncCollection[Stored] = client[database]["customer_lease"]
        self._ledgers: AsyncCollection[Stored] = client[database]["customer_ledger"]
        # A run of the service: a stable instance id names each of its runs apart.
        self._run = f"{self._holder}/{uuid.uuid4().hex[:12]}" if instance_id else self._holder
        self._retry = StoreRetry(
            retry_seconds,
            is_transient,
            PyMongoError,
            outage=OutageLog("store", log),
            retried=metrics.store_retried,
        )
        self._writers: Writers | None = None
        self._recent = RecentWrites()
        self._metrics = metrics
        self._inserts: Batched[Document, bool] = Batched(
            self._insert_many, max_batch=INSERT_BATCH, in_flight=INSERT_BATCHES
        )
        self._queries = CustomerQueries(
            client,
            self._customers,
            self._retry,
            concurrent_lists=concurrent_lists,
            list_timeout_seconds=list_timeout_seconds,
            total_count_limit=total_count_limit,
            attribute_types=attribute_types,
        )

    @classmethod
    def from_settings(cls, settings: Settings, metrics: Metrics = NO_METRICS) -> CustomerStore:
        """A store for the configured database (connects lazily, on first use)."""
        client: AsyncMongoClient[Stored] = AsyncMongoClient(
            settings.mongodb_uri,
            serverSelectionTimeoutMS=settings.store_timeout_ms,
            connectTimeoutMS=settings.store_timeout_ms,
            socketTimeoutMS=settings.store_timeout_ms * 2,
            maxPoolSize=settings.mongodb_max_pool_size,
            tz_aware=True,
            # What the Delivery promises need of a replica set: a write is acknowledged once a
            # majority has it (an election cannot roll it back), within the store timeout on
            # the server's side too, and reads see only such writes, so the version a
            # conditional write matches is one no rolled-back write can reach again.
            w="majority",
            wTimeoutMS=settings.store_timeout_ms,
            readConcernLevel="majority",
            **settings.mongodb_client_options(),
        )
        return cls(
            client,
            settings.mongodb_database,
            settings.store_retry_seconds,
            metrics,
            concurrent_lists=settings.max_concurrent_lists,
            list_timeout_seconds=settings.store_list_timeout_ms / 1000,
            instance_id=settings.group_instance_id,
            lease_ttl_seconds=settings.session_timeout_ms / 1000,
            total_count_limit=settings.total_count_limit,
        )

    @property
    def retry_seconds(self) -> float:
        """How long an outage is retried before a command gives up (StoreUnavailable)."""
        return self._retry.budget

    async def close(self) -> None:
        """Closes the client's connections."""
        await self._client.close()

    @property
    def unavailable(self) -> bool:
        """Whether the store's latest command failed to reach it (an outage under way)."""
        return self._retry.outage.failures > 0

    async def ping(self) -> None:
        """One `ping` command, never retried: readiness wants to know about now."""
        try:
            await self._client.admin.command("ping")
        except PyMongoError as exc:
            raise StoreUnavailable(f"no answer to a ping ({type(exc).__name__})") from exc
        self._retry.outage.recovered()

    async def _retrying(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        return await self._retry.run(what, operation)

    async def _writer_lease(self) -> Writers:
        """How writers of one customer are kept apart on this server (asked once)."""
        if self._writers is None:
            ferretdb = await self._queries.on_ferretdb()  # the server is asked once, for both
            if self._writers is None:  # the first of concurrent first callers decides, for all
                self._writers = writers_for(
                    ferretdb,
                    self._leases,
                    self._retry,
                    holder=self._holder,
                    stable=self._stable_holder,
                    ttl=self._lease_ttl,
                )
        return self._writers

    def ledger(self) -> Ledger:
        """This run's ledger (protocol/ledger.py), kept in `customer_ledger`; its heartbeat
        lapses after the lease time, as a silent holder's leases do."""
        return Ledger(MongoLedgers(self._ledgers), self._retry, run=self._run, ttl=self._lease_ttl)

    async def release_stranded_leases(self) -> int:
        """At start-up: the leases this instance (by its stable id) held when it last stopped
        without giving them back, released at once instead of blocking those customers until
        the leases expire. Returns how many."""
        return await (await self._writer_lease()).release_predecessors()

    async def reap_leases(self) -> int:
        """Removes every expired lease: its holder is gone (or lost the store for the lease's
        whole time), and nothing may wait for it."""
        return await (await self._writer_lease()).reap()

    async def renew_leases(self) -> None:
        """Extends the leases this instance has held for a while (a write retried through an
        outage), so that only a holder that is gone loses its lease."""
        await (await self._writer_lease()).renew()

    async def ensure_indexes(self, extra: Sequence[str] = FILTER_INDEXES) -> None:
        """Creates the indexes the service's queries use (idempotent): the sweep's, and those
        of `extra` for lists, each for the server's way of using it (see store/indexes.py)."""
        await self._queries.ensure_indexes(extra)

    async def get(self, customer_id: str) -> Document | None:
        """The live (not deleted) customer's resource, without its bookkeeping."""
        return await self._queries.get(customer_id)

    async def load(self, customer_id: str) -> CustomerRecord | None:
        """The customer with its bookkeeping, a tombstone included: what a write starts from."""
        found = await self._retrying("load", lambda: self._customers.find_one({"_id": customer_id}))
        return None if found is None else to_record(found)

    async def find(
        self,
        query: Document,
        sort: Sequence[tuple[str, int]],
        offset: int,
        limit: int,
        projection: Document | None = None,
    ) -> Page:
        """One page of live customers matching `query`, and their count up to a bound (exact
        up to `total_count_limit` or the page's end; see `CustomerQueries.find`)."""
        return await self._queries.find(query, sort, offset, limit, projection)

    async def insert(self, record: CustomerRecord, shadow: Document) -> bool:
        """Stores a new customer; False when its id is taken (the create was applied before).

        A create's id derives from its request identity, so a create sent twice makes one
        customer however the copies are spread.
        """
        document = to_document(record, shadow)
        inserted = await self._retrying("insert", lambda: self._inserts(document))
        if inserted:
            self._recent.wrote(record)
        return inserted

    async def _insert_many(self, documents: Sequence[Document]) -> list[bool | BaseException]:
        """Inserts the documents of concurrent creates in one command: for each, whether it is
        new (False: its id was taken, the create was applied before), or the error it alone met.
        A command that fails whole fails every create of the batch; each retries on its own."""
        return await insert_each(self._customers, documents)

    @contextlib.asynccontextmanager
    async def writing(self, customer_id: str) -> AsyncIterator[CustomerWriter]:
        """The one way to write an existing customer: read it and write it conditionally,
        while no other instance writes it.

        On MongoDB nothing is held (an update is atomic, the version condition decides); on a
        server without isolated updates (FerretDB) the customer's lease is held for the block,
        so a read and the write it decides are never interleaved with another writer's.
        """
        writers = await self._writer_lease()
        async with writers.holding(customer_id):
            yield CustomerWriter(self, customer_id)

    async def _write(self, before: CustomerRecord, after: CustomerRecord, shadow: Document) -> bool:
        update: Document = {"$set": {**after.resource, **bookkeeping(after, shadow)}}
        removed = before.resource.keys() - after.resource.keys()
        if removed:
            update["$unset"] = dict.fromkeys(removed, "")
        query = {"_id": before.customer_id, "_version": before.version}

        async def run() -> bool:
            result = await self._customers.update_one(query, update)
            return result.modified_count == 1

        self._recent.forget([before.customer_id])  # until the write is known to have landed
        written = await self._retrying("write", run)
        if written:
            self._recent.wrote(after)
        return written

    async def settle(self, published: Mapping[str, int]) -> list[str]:
        """Empties the outbox of each customer still at the version given (bulk writes).

        A customer written again since keeps its outbox: the newer write carried what it found
        unpublished, under its own stamp. Returns the customers dealt with; the others (another
        writer held them) are to be settled later. Only the recovery of a gone run settles.
        """
        if not published:
            return []
        self._recent.forget(published)
        writers = await self._writer_lease()

        async with writers.hold_many(list(published)) as held:
            settles = [
                UpdateOne(
                    {"_id": c, "_version": published[c]},
                    {"$set": {"_outbox": [], "_pending": False}},
                )
                for c in held
            ]

            async def run() -> None:
                chunks = [
                    settles[start : start + _SETTLES_PER_COMMAND]
                    for start in range(0, len(settles), _SETTLES_PER_COMMAND)
                ]
                for first in range(0, len(chunks), _SETTLE_COMMANDS):
                    # Every command of the round ends before a failure is retried: a retry
                    # never runs beside the commands it repeats.
                    outcomes = await asyncio.gather(
                        *(
                            self._customers.bulk_write(chunk, ordered=False)
                            for chunk in chunks[first : first + _SETTLE_COMMANDS]
                        ),
                        return_exceptions=True,
                    )
                    for outcome in outcomes:
                        if isinstance(outcome, BaseException):
                            raise outcome

            await self._retrying("settle", run)
        return list(held)

    async def stamped(self, stamps: Sequence[Stamp]) -> list[CustomerRecord]:
        """The customers whose outbox carries one of these stamps, by the indexed `_stamp`: one
        `$in` a thousand at a time on MongoDB, one pushed-down equality each on FerretDB (a
        gone run leaves about a block of them)."""
        keys = [str(stamp) for stamp in stamps]
        found: list[Stored] = []
        if await self._queries.on_ferretdb():
            for start in range(0, len(keys), _STAMP_LOOKUPS):
                chunk = keys[start : start + _STAMP_LOOKUPS]

                async def lookups(chunk: list[str] = chunk) -> list[Stored | None]:
                    finds = (self._customers.find_one({"_stamp": key}) for key in chunk)
                    return list(await asyncio.gather(*finds))

                lookup = await self._retrying("stamp lookup", lookups)
                found.extend(doc for doc in lookup if doc is not None)
        else:
            for start in range(0, len(keys), _STAMPS_PER_FIND):
                part = keys[start : start + _STAMPS_PER_FIND]

                async def find(part: list[str] = part) -> list[Stored]:
                    return await self._customers.find({"_stamp": {"$in": part}}).to_list()

                found.extend(await self._retrying("stamp lookup", find))
        return [to_record(doc) for doc in found]

    async def unstamped(self, written_before: datetime, limit: int = 1000) -> list[CustomerRecord]:
        """Customers with outbox entries written before the given time and no stamp (stored by
        a version before stamps): found by their `_pending` mark, an indexed equality."""

        async def run() -> list[Stored]:
            cursor = self._customers.find({"_pending": True}, sort=[("_id", ASCENDING)])
            return await cursor.to_list(limit)

        found = [to_record(doc) for doc in await self._retrying("unstamped scan", run)]
        return [r for r in found if any(p.written_at < written_before for p in r.outbox)]

    async def purge_tombstones(
        self, deleted_before: datetime, published: Mapping[str, int], *, unmarked: bool = False
    ) -> int:
        """Removes deleted customers whose retention ended and whose outbox is published (by
        the runs' `published` numbers given), in batches of `_PURGE_BATCH` (one unbounded
        multi-delete could hold the store for minutes after a mass delete); at most
        `_PURGE_BATCHES` per call, the rest at the next.

        On MongoDB the `tombstones` index serves the range on `_deletedAt`. FerretDB pushes no
        range down: it would read every customer, so there tombstones are found by their mark
        (`_tombstone`, an indexed equality) and only those stored before the mark was written
        are looked for among all customers, when `unmarked` (the sweep asks once a run)."""
        expired: Document = {"_deletedAt": {"$lt": deleted_before}}
        if not unmarked and await self._queries.on_ferretdb():
            expired = {TOMBSTONE: True, **expired}
        seen: set[str] = set()

        async def batch() -> tuple[int, int]:
            cursor = self._customers.find(
                {**expired, "_id": {"$nin": sorted(seen)}} if seen else expired,
                projection={"_outbox": 1, "_stamp": 1, "_version": 1},
                limit=_PURGE_BATCH,
            )
            documents = await cursor.to_list()
            ids = [doc["_id"] for doc in documents if outbox_published(to_record(doc), published)]
            seen.update(doc["_id"] for doc in documents if doc["_id"] not in ids)
            if not ids:
                return len(documents), 0
            self._recent.forget(ids)
            result = await self._customers.delete_many({"_id": {"$in": ids}, **expired})
            return len(documents), result.deleted_count

        purged = 0
        for _ in range(_PURGE_BATCHES):
            read, deleted = await self._retrying("purge tombstones", batch)
            purged += deleted
            if read < _PURGE_BATCH:
                break
        return purged


class CustomerWriter:
    """Reads and writes one customer inside `CustomerStore.writing`."""

    def __init__(self, store: CustomerStore, customer_id: str) -> None:
        self._store = store
        self.customer_id = customer_id

    async def load(self) -> CustomerRecord | None:
        """The customer with its bookkeeping, a tombstone included: as this instance wrote it
        last, if it did and still keeps it (recent.py), else read from the store."""
        recent = self._store._recent.get(self.customer_id)
        return recent if recent is not None else await self._store.load(self.customer_id)

    async def write(self, before: CustomerRecord, after: CustomerRecord, shadow: Document) -> bool:
        """Writes `after` if the customer is still at `before.version`: one conditional update.

        False when another write came first, or when this very write landed already (an
        acknowledgement lost in a retried command): the caller reads again to tell which.
        """
        if before.customer_id != self.customer_id:
            raise InternalError(f"a writer of {self.customer_id!r} cannot write another customer")
        return await self._store._write(before, after, shadow)
