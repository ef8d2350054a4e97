"""The customer store on PyMongo's async API; the only module that imports pymongo.

One document per customer: `_id` is the customer id, the resource's attributes sit at the top
level (so filters are plain dotted paths), and bookkeeping lives in `_`-prefixed fields that never
reach a reply or event: `_version`, `_applied`, `_outbox` and `_deletedAt` (see record.py for what
each promises), and `_dt`, the shadow lists compare instead of the resource (query/shadow.py:
date-times as instants, id buckets, flat values of paths into arrays). Everything a write needs
is in that one document: a write is one read and one conditional write, and publishing settles in
one bulk write for many customers at once.

Only single-document atomic writes, unique indexes, findAndModify and simple
find/sort/skip/limit/count are used: what MongoDB and FerretDB both do
(tests/infrastructure/test_store_capabilities.py proves each on the server under test).
FerretDB v1 lacks `$pull` by condition, `$push` with `$slice` and findAndModify with a projection;
none is used (bounded arrays are computed here and `$set` whole).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import pymongo
from pymongo import ASCENDING, AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import (
    BulkWriteError,
    DuplicateKeyError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
)

from customer_async import schemas, store_lists
from customer_async.errors import FilterParseError, InternalError, StoreUnavailable
from customer_async.interfaces import NO_METRICS, Metrics
from customer_async.log_limits import OutageLog
from customer_async.protocol.lease import CustomerLease, LeaseEntry, NoLease, Writers
from customer_async.protocol.record import AppliedRequest, CustomerRecord, Publication
from customer_async.protocol.retry import StoreRetry
from customer_async.query.paths import through_objects
from customer_async.query.shadow import EQUALITY_PATHS, LEVELS, bucket_path, equality_path
from customer_async.settings import Settings
from customer_async.store_errors import is_transient
from customer_async.types import Document, Event, Reply, ReplyAddress

log = logging.getLogger(__name__)

T = TypeVar("T")
Stored = dict[str, Any]

INTERNAL_PREFIX = "_"
_DUPLICATE_KEY = 11000
_NOT_IMPLEMENTED = 238  # FerretDB's answer to an index option it lacks (TTL)
_INVALID_REGEX = 51091  # MongoDB's (and FerretDB's) code for a regular expression it cannot run
_SETTLES_PER_COMMAND = 16
"""FerretDB v1 holds one PostgreSQL connection per statement of an update command until the
whole command ends (its pool has 50 by default): a bulk write larger than the pool deadlocks the
server, so settles go in commands of this many statements."""
_PURGE_BATCH = 500
_PURGE_BATCHES = 20
"""Tombstones go in deletes of this many, at most this many deletes per sweep."""
_NOT_DELETED: Document = {"_deletedAt": None}
_BOOKKEEPING: Document = {"_applied": 0, "_outbox": 0, "_pending": 0, "_dt": 0}
"""Reads of resources leave the bookkeeping on the server."""

FILTER_INDEXES = (
    "name",
    "status",
    "engagedParty.id",
    "relatedParty.partyOrPartyRole.id",
    "contactMedium.emailAddress",
    "_dt.validFor.startDateTime",
)
"""The attributes users filter on most (seed 000: name; ids of the parties involved; status).

Each is indexed for the server's way of using it (`CustomerStore.ensure_indexes`)."""
SHADOW_INDEXES = (
    *(bucket_path(level) for level in range(1, LEVELS + 1)),
    *(equality_path(path) for path in EQUALITY_PATHS),
)
"""The shadow's id buckets and flat values (query/shadow.py), indexed on FerretDB for lists."""


def to_resource(stored: Mapping[str, Any]) -> Document:
    """The TMF resource in a stored document: every bookkeeping field removed."""
    return {k: v for k, v in stored.items() if not k.startswith(INTERNAL_PREFIX)}


@dataclass(frozen=True, slots=True)
class StoredCustomer:
    """A customer as read: its resource, and the version a conditional write must match."""

    resource: Document
    version: int


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list query and the number of all matches: exact, or (`exact` False) a
    lower bound, one more than the count bound (`store_lists.count_bound`)."""

    items: list[Document]
    total: int
    exact: bool = True


class _MongoLeases:
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
            if any(e.get("code") != _DUPLICATE_KEY for e in errors):
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


class CustomerStore:
    """Reads and writes customers with their bookkeeping (see record.py)."""

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
        self._lists = asyncio.Semaphore(concurrent_lists)
        self._list_timeout = list_timeout_seconds
        self._customers: AsyncCollection[Stored] = client[database]["customer"]
        self._leases: AsyncCollection[Stored] = client[database]["customer_lease"]
        self._retry = StoreRetry(
            retry_seconds,
            is_transient,
            PyMongoError,
            outage=OutageLog("store", log),
            retried=metrics.store_retried,
        )
        self._writers: Writers | None = None
        self._metrics = metrics
        self._total_count_limit = total_count_limit
        self._types = attribute_types
        self._ferretdb: bool | None = None
        self._bucketed = False
        self._estimates = store_lists.ListEstimates()

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

    async def _on_ferretdb(self) -> bool:
        """Whether the server is FerretDB (asked once)."""
        if self._ferretdb is None:
            info = await self._retrying("server info", self._client.server_info)
            self._ferretdb = "ferretdbVersion" in info
        return self._ferretdb

    @property
    def _attribute_types(self) -> Mapping[str, str]:
        if self._types is None:
            self._types = schemas.attribute_types()
        return self._types

    async def _writer_lease(self) -> Writers:
        """How writers of one customer are kept apart on this server (asked once)."""
        if self._writers is None:
            info = await self._retrying("server info", self._client.server_info)
            self._writers = (
                CustomerLease(
                    _MongoLeases(self._leases),
                    self._retry,
                    holder=self._holder,
                    stable=self._stable_holder,
                    ttl=self._lease_ttl,
                )
                if "ferretdbVersion" in info
                else NoLease()
            )
        return self._writers

    async def _retrying(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        return await self._retry.run(what, operation)

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
        """Creates the indexes the service's queries use (idempotent).

        The sweep's (`_outbox.at`, `_deletedAt`, `_pending`) on every server; then, for lists:

        - *MongoDB:* `{attribute: 1, _id: 1}` for each of `extra`. Every list sorts last by `_id`,
          so an equality filter on the attribute is served in id order straight from the index
          (no sort; skip and limit walk it), an ascending sort by it too, and a count up to the
          bound stops in the index after that many. A sort by it descending (then `_id`
          ascending) is a top-k sort MongoDB holds `offset + limit` documents for. The
          single-attribute indexes (`by_<attribute>`) of earlier versions are prefixes of these:
          they are dropped, so a write maintains one index per attribute, not two.
        - *FerretDB:* `{attribute: 1}` for each of `extra` that reaches into no array (a btree
          FerretDB never uses; the stack's PostgreSQL gives it the GIN twin its pushed-down
          equalities use, which a compound index would not get; through an array nothing is
          pushed down), and the shadow's id buckets and flat values (`SHADOW_INDEXES`): lists
          in id order read one bucket at a time (store_lists.py), an equality on a path into an
          array reads the flat values. Those are created only on an empty collection (or kept
          once there): then every customer stored has its shadow, which such a list relies on.
          A collection of customers stored before keeps being listed by whole finds (`find`),
          and so does a FerretDB without nested pushdown (the bucket equalities are dotted).
        """
        ferretdb = await self._on_ferretdb()

        async def create() -> None:
            # The sweep looks for old unpublished entries and expired tombstones.
            await self._customers.create_index(
                [("_outbox.at", ASCENDING)], name="outbox_written_at"
            )
            await self._customers.create_index([("_deletedAt", ASCENDING)], name="tombstones")
            await self._customers.create_index([("_pending", ASCENDING)], name="pending")
            if not ferretdb:
                existing = await self._customers.index_information()
                for path in extra:
                    await self._customers.create_index(
                        [(path, ASCENDING), ("_id", ASCENDING)], name=f"by_{path}_id"
                    )
                    if f"by_{path}" in existing:
                        await self._customers.drop_index(f"by_{path}")
                return
            for path in extra:
                if through_objects(path, self._attribute_types):  # else never pushed down
                    await self._customers.create_index([(path, ASCENDING)], name=f"by_{path}")
            empty = await self._customers.find_one({}, projection={"_id": 1}) is None
            if empty or await self._has_shadow_indexes():
                for path in SHADOW_INDEXES:
                    await self._customers.create_index([(path, ASCENDING)], name=f"by_{path}")

        await self._retrying("create indexes", create)

    async def _has_shadow_indexes(self) -> bool:
        existing = await self._customers.index_information()
        return all(f"by_{path}" in existing for path in SHADOW_INDEXES)

    async def _pushes_down_dotted_paths(self) -> bool:
        """Whether FerretDB runs with nested pushdown (the local stack's does): else a bucket's
        equality, a dotted path, is not pushed down, and every bucket read reads everything."""
        explained = await self._customers.database.command(
            "explain", {"find": self._customers.name, "filter": {bucket_path(1): "0"}}
        )
        return bool(explained.get("filterPushdown"))

    async def _lists_by_bucket(self) -> bool:
        """Whether lists are read in id buckets: on FerretDB that pushes dotted equalities down,
        once the shadow's indexes exist (asked until they do)."""
        if not self._bucketed and await self._on_ferretdb():
            self._bucketed = await self._retrying(
                "list indexes", self._has_shadow_indexes
            ) and await self._retrying("explain", self._pushes_down_dotted_paths)
        return self._bucketed

    async def get(self, customer_id: str) -> Document | None:
        """The live (not deleted) customer's resource, without its bookkeeping."""
        found = await self._retrying(
            "get",
            lambda: self._customers.find_one(
                {"_id": customer_id, **_NOT_DELETED}, projection=_BOOKKEEPING
            ),
        )
        return None if found is None else to_resource(found)

    async def load(self, customer_id: str) -> CustomerRecord | None:
        """The customer with its bookkeeping, a tombstone included: what a write starts from."""
        found = await self._retrying("load", lambda: self._customers.find_one({"_id": customer_id}))
        return None if found is None else _record(found)

    async def find(
        self,
        query: Document,
        sort: Sequence[tuple[str, int]],
        offset: int,
        limit: int,
        projection: Document | None = None,
    ) -> Page:
        """One page of live customers matching `query`, and their count up to a bound.

        The total is exact up to `total_count_limit` matches, or to the end of the page when
        that is further (`store_lists.count_bound`); past it, `Page.exact` is False and the
        total one more than the bound. On MongoDB a page is one find (skip, limit, sorted by an
        index when `ensure_indexes` made one for the filter or sort) and the count one
        `count_documents` with that limit, both bounded by the page and the bound, not by the
        collection. On FerretDB, once the id buckets are indexed, a list is read a bucket at a
        time (store_lists.py); before, the same find and count as on MongoDB, which FerretDB
        answers by reading every match.
        """
        bound = store_lists.count_bound(self._total_count_limit, offset, limit)
        bucketed = await self._lists_by_bucket()  # before the list's deadline: asked at most once

        async def run() -> Page:
            # Its own deadline (sent to the server as maxTimeMS too), not the socket timeout;
            # once passed, the list is not run again: that would only load the store more.
            started = time.monotonic()
            with pymongo.timeout(self._list_timeout):
                try:
                    return await read()
                except (NetworkTimeout, ExecutionTimeout) as exc:
                    early = time.monotonic() - started < self._list_timeout
                    if early and isinstance(exc, NetworkTimeout):
                        raise  # the connection timed out: retried like any outage
                    raise StoreUnavailable(
                        f"the store did not finish the list within {self._list_timeout:g} s",
                        retry_after=self._retry.retry_after,
                    ) from exc
                except OperationFailure as exc:
                    if exc.code != _INVALID_REGEX:
                        raise
                    # Python's `re` accepted it, the store's dialect (PCRE, RE2) did not.
                    raise FilterParseError(
                        f"the store refused a regular expression: {exc}"
                    ) from exc

        async def read() -> Page:
            shadowed = EQUALITY_PATHS if bucketed else ()
            flat = _flat(query, self._attribute_types, shadowed)
            live = {**flat, **_NOT_DELETED}
            shape = _shape(flat)
            if not bucketed:
                return await self._find_whole(
                    live, sort, offset=offset, limit=limit, projection=projection, bound=bound
                )
            reader = _BucketReader(self._customers)
            # `sort=id` is by `_id` too (a customer's `id` is its `_id`), then by `_id` itself.
            if {key for key, _ in sort} <= {"_id", "id"} and len({d for _, d in sort}) == 1:
                counted = await store_lists.read_in_id_order(
                    reader,
                    live,
                    descending=sort[0][1] < 0,
                    offset=offset,
                    limit=limit,
                    projection=projection,
                    bound=bound,
                    estimates=self._estimates,
                    shape=shape,
                    pushed_down=any(_pushed_down(name, value) for name, value in flat.items()),
                )
            else:
                try:
                    order = store_lists.sort_order(sort, self._attribute_types)
                except store_lists.Unsorted:
                    return await self._find_whole(
                        live, sort, offset=offset, limit=limit, projection=projection, bound=bound
                    )
                counted = await store_lists.read_in_sort_order(
                    reader,
                    live,
                    order,
                    offset=offset,
                    limit=limit,
                    projection=projection,
                    estimates=self._estimates,
                    shape=shape,
                )
            items = [to_resource(doc) for doc in counted.items]
            return Page(items, counted.total, counted.exact)

        async with self._lists:  # a bulkhead: a burst of scans queues here, not in the store
            return await self._retrying("find", run)

    async def _find_whole(
        self,
        live: Document,
        sort: Sequence[tuple[str, int]],
        *,
        offset: int,
        limit: int,
        projection: Document | None,
        bound: int,
    ) -> Page:
        """One find for the page and one count up to `bound + 1`; no count when the page itself
        shows the total (it ends before `limit` and is not empty, or the offset is 0)."""
        cursor = self._customers.find(
            live, projection=projection or _BOOKKEEPING, sort=list(sort), skip=offset, limit=limit
        )
        items = [to_resource(doc) for doc in await cursor.to_list()]
        if len(items) < limit and (items or offset == 0):
            return Page(items, offset + len(items))
        total = await self._customers.count_documents(live, limit=bound + 1)
        return Page(items, min(total, bound + 1), exact=total <= bound)

    async def insert(self, record: CustomerRecord, shadow: Document) -> bool:
        """Stores a new customer; False when its id is taken (the create was applied before).

        A create's id derives from its request identity, so a create sent twice makes one
        customer however the copies are spread.
        """
        document = {"_id": record.customer_id, **record.resource, **_bookkeeping(record, shadow)}

        async def run() -> bool:
            try:
                await self._customers.insert_one(document)
            except DuplicateKeyError:
                return False
            return True

        return await self._retrying("insert", run)

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
        update: Document = {"$set": {**after.resource, **_bookkeeping(after, shadow)}}
        removed = before.resource.keys() - after.resource.keys()
        if removed:
            update["$unset"] = dict.fromkeys(removed, "")
        query = {"_id": before.customer_id, "_version": before.version}

        async def run() -> bool:
            result = await self._customers.update_one(query, update)
            return result.modified_count == 1

        return await self._retrying("write", run)

    async def settle(self, published: Mapping[str, int]) -> list[str]:
        """Empties the outbox of each customer still at the version given (one bulk write).

        A customer written again since keeps its outbox: the newer write carried only what it
        found unpublished, and its own settle empties it. Returns the customers dealt with; the
        others (another writer held them) are to be settled later.
        """
        if not published:
            return []
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
                for start in range(0, len(settles), _SETTLES_PER_COMMAND):
                    chunk = settles[start : start + _SETTLES_PER_COMMAND]
                    await self._customers.bulk_write(chunk, ordered=False)

            await self._retrying("settle", run)
        return list(held)

    async def unpublished(
        self, written_before: datetime, limit: int = 1000, *, unmarked: bool = False
    ) -> list[CustomerRecord]:
        """Customers with outbox entries written before the given time.

        Found by their `_pending` mark, an equality every store serves from an index (FerretDB
        pushes down neither `$lt` nor a dotted path: without it, each sweep read every
        customer). `unmarked`: those written before the mark existed instead (once per start).
        """
        pending: Document | bool = {"$exists": False} if unmarked else True

        async def run() -> list[Stored]:
            cursor = self._customers.find(
                {"_pending": pending, "_outbox.at": {"$lt": written_before}},
                sort=[("_id", ASCENDING)],
                limit=limit,
            )
            return await cursor.to_list()

        return [_record(doc) for doc in await self._retrying("unpublished scan", run)]

    async def purge_tombstones(self, deleted_before: datetime) -> int:
        """Removes deleted customers whose retention ended and whose outbox is empty, in batches
        of `_PURGE_BATCH` (one unbounded multi-delete could hold the store for minutes after a
        mass delete); at most `_PURGE_BATCHES` per call, the rest at the next."""
        expired: Document = {"_deletedAt": {"$lt": deleted_before}, "_outbox": {"$size": 0}}

        async def batch() -> int:
            cursor = self._customers.find(expired, projection={"_id": 1}, limit=_PURGE_BATCH)
            ids = [doc["_id"] for doc in await cursor.to_list()]
            if not ids:
                return 0
            result = await self._customers.delete_many({"_id": {"$in": ids}, **expired})
            return result.deleted_count

        purged = 0
        for _ in range(_PURGE_BATCHES):
            deleted = await self._retrying("purge tombstones", batch)
            purged += deleted
            if deleted < _PURGE_BATCH:
                break
        return purged


class CustomerWriter:
    """Reads and writes one customer inside `CustomerStore.writing`."""

    def __init__(self, store: CustomerStore, customer_id: str) -> None:
        self._store = store
        self.customer_id = customer_id

    async def load(self) -> CustomerRecord | None:
        """The customer with its bookkeeping, a tombstone included."""
        return await self._store.load(self.customer_id)

    async def write(self, before: CustomerRecord, after: CustomerRecord, shadow: Document) -> bool:
        """Writes `after` if the customer is still at `before.version`: one conditional update.

        False when another write came first, or when this very write landed already (an
        acknowledgement lost in a retried command): the caller reads again to tell which.
        """
        if before.customer_id != self.customer_id:
            raise InternalError(f"a writer of {self.customer_id!r} cannot write another customer")
        return await self._store._write(before, after, shadow)


class _BucketReader:
    """The customer collection as a `store_lists.BucketReader`."""

    def __init__(self, customers: AsyncCollection[Stored]) -> None:
        self._customers = customers

    async def fetch(
        self, query: Document, sort: Sequence[tuple[str, int]], projection: Document | None
    ) -> list[Stored]:
        cursor = self._customers.find(
            query, projection=projection or _BOOKKEEPING, sort=list(sort) or None
        )
        return await cursor.to_list()

    async def count(self, query: Document, limit: int) -> int:
        return await self._customers.count_documents(query, limit=limit)


def _flat(query: Document, types: Mapping[str, str], shadowed: Sequence[str] = ()) -> Document:
    """The same filter with its equalities at the top level, where FerretDB pushes them down to
    PostgreSQL (it evaluates everything inside `$and`, and `$eq`, itself, document by document).

    `{"$and": [{"name": {"$eq": "x"}}, {"status": {"$in": [...]}}]}` becomes
    `{"name": "x", "status": {"$in": [...]}}`; a plain JSON scalar under `$eq` means the same as
    the scalar itself. Conditions on a name already taken, or on an operator, stay in `$and`, and
    so do those on a dotted path into an array (`contactMedium.city`): FerretDB pushes a dotted
    equality down as `_jsonb #> '{contactMedium,city}'`, which is NULL through an array, so it
    would miss every customer whose match is in an array element (`types`: the attribute types,
    `query.paths.through_objects`). An equality on one of `shadowed` (paths into arrays whose
    values the shadow keeps flat) becomes the same equality on those values, which is pushed down.
    """
    conditions = query["$and"] if set(query) == {"$and"} else [query]
    flat: Document = {}
    rest: list[Document] = []
    for condition in conditions:
        for given, value in condition.items():
            name, plain = _plain_condition(given, value, shadowed)
            if name.startswith("$") or name in flat or not through_objects(name, types):
                rest.append({name: plain})
                continue
            flat[name] = plain
    if rest:
        flat["$and"] = rest
    return flat


def _pushed_down(name: str, value: Any) -> bool:
    """Whether FerretDB reads a condition of a flat filter through an index: a top-level
    equality on a scalar other than null (`_flat` leaves only those that cross no array)."""
    return not name.startswith("$") and isinstance(value, str | int | float | bool)


def _shape(flat: Document) -> tuple[str, ...]:
    """The names of a flat filter's conditions with their operators: lists of one shape (`name`
    equalities, `name` regexes) tend to match alike (`store_lists.ListEstimates`)."""
    names: list[str] = []
    for name, value in flat.items():
        if name == "$and":
            names += [f"$and {' '.join(_shape(condition))}" for condition in value]
        elif isinstance(value, dict):
            names.append(f"{name} {' '.join(sorted(value))}")
        else:
            names.append(name)
    return tuple(sorted(names))


def _plain_condition(name: str, value: Any, shadowed: Sequence[str]) -> tuple[str, Any]:
    """A condition with `{"$eq": scalar}` as the scalar, and an equality on a `shadowed` path
    as the equality on its flat values."""
    if isinstance(value, dict) and set(value) == {"$eq"}:
        scalar = value["$eq"]
        if isinstance(scalar, str | int | float | bool) or scalar is None:
            value = scalar
    if name in shadowed and not isinstance(value, dict) and value is not None:
        return equality_path(name), value
    return name, value


def _bookkeeping(record: CustomerRecord, shadow: Document) -> Document:
    """The `_`-fields a record stores beside its resource.

    A remembered reply body or an event's customer that is the resource itself (a create's or a
    patch's, until the next change) is stored as a mark, not a copy: a store's cost per document
    grows with its size (FerretDB reads 2.5 times fewer documents a second with three copies).
    """
    resource = record.resource
    return {
        "_version": record.version,
        "_dt": shadow,
        "_applied": [_applied_document(a, resource) for a in record.applied],
        "_outbox": [_publication_document(p, resource) for p in record.outbox],
        "_pending": bool(record.outbox),
        "_deletedAt": record.deleted_at,
    }


def _record(stored: Stored) -> CustomerRecord:
    resource = to_resource(stored)
    customer_id = stored["_id"]
    return CustomerRecord(
        customer_id=customer_id,
        resource=resource,
        version=int(stored.get("_version", 0)),
        applied=tuple(_applied_request(a, resource) for a in stored.get("_applied") or ()),
        outbox=tuple(_publication(p, customer_id, resource) for p in stored.get("_outbox") or ()),
        deleted_at=stored.get("_deletedAt"),
    )


def _applied_document(applied: AppliedRequest, resource: Document) -> Document:
    reply = applied.reply
    document: Document = {
        "k": applied.request_key,
        "status": reply.status,
        "key": reply.key,
        "headers": reply.headers,
    }
    if reply.body is not None and reply.body == resource:
        document["bodyIsResource"] = True
    else:
        document["body"] = reply.body
    return document


def _applied_request(document: Document, resource: Document) -> AppliedRequest:
    body = resource if document.get("bodyIsResource") else document.get("body")
    reply = Reply(
        status=int(document["status"]),
        body=body,
        key=document.get("key"),
        headers=dict(document.get("headers") or {}),
    )
    return AppliedRequest(document["k"], reply)


def _event_document(event: Event, resource: Document) -> Document:
    document: Document = {
        "eventId": event.event_id,
        "eventType": event.event_type,
        "correlationId": event.correlation_id,
    }
    if event.body.get("event", {}).get("customer") == resource:
        document["body"] = {**event.body, "event": {**event.body["event"], "customer": None}}
        document["customerIsResource"] = True
    else:
        document["body"] = event.body
    return document


def _event(document: Document, customer_id: str, seq: int, resource: Document) -> Event:
    body = document["body"]
    if document.get("customerIsResource"):
        body = {**body, "event": {**body["event"], "customer": resource}}
    return Event(
        document["eventId"],
        document["eventType"],
        customer_id,
        document["correlationId"],
        body,
        seq,
    )


def _publication_document(publication: Publication, resource: Document) -> Document:
    address = publication.address
    return {
        "seq": publication.seq,
        "k": publication.request_key,
        "to": {
            "channel": address.channel,
            "correlationId": address.correlation_id,
            "requestTopic": address.request_topic,
            "requestKey": address.request_key,
            # Objects, not pairs: FerretDB v1 refuses arrays nested in arrays.
            "echo": [{"name": name, "value": value} for name, value in address.echo],
        },
        "events": [_event_document(e, resource) for e in publication.events],
        "at": publication.written_at,
    }


def _publication(document: Document, customer_id: str, resource: Document) -> Publication:
    to = document["to"]
    address = ReplyAddress(
        to["channel"],
        to["correlationId"],
        to["requestTopic"],
        to.get("requestKey"),
        tuple((str(h["name"]), bytes(h["value"])) for h in to.get("echo") or ()),
    )
    seq = int(document["seq"])
    events = tuple(_event(e, customer_id, seq, resource) for e in document["events"])
    return Publication(seq, document["k"], address, events, document["at"])
