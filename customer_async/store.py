"""The customer store on PyMongo's async API; the only module that imports pymongo.

One document per customer: `_id` is the customer id, the resource's attributes sit at the top
level (so filters are plain dotted paths), and bookkeeping lives in `_`-prefixed fields that never
leave this module's callers' hands: `_version` (conditional writes), `_dt` (date-time shadow for
chronological filters), `_outbox` (see outbox.py) and `_deleted` (a tombstone until the delete's
event is out). A second collection, the journal, keeps the reply of every applied write request.

Only single-document atomic writes, unique indexes, findAndModify and simple
find/sort/skip/limit/count are used: what MongoDB and FerretDB both do
(tests/infrastructure/test_store_capabilities.py proves each on the server under test).
FerretDB v1 lacks `$pull` by condition and findAndModify with a projection; neither is used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    NetworkTimeout,
    OperationFailure,
    PyMongoError,
    ServerSelectionTimeoutError,
)

from customer_async.errors import FilterParseError, InternalError, StoreUnavailable
from customer_async.outbox import OutboxEntry, reply_from_document, reply_to_document
from customer_async.settings import Settings
from customer_async.types import Document, Reply

log = logging.getLogger(__name__)

T = TypeVar("T")
Stored = dict[str, Any]

INTERNAL_PREFIX = "_"
_RETRIABLE = (ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError)
_NOT_IMPLEMENTED = 238  # FerretDB's answer to an index option it lacks (TTL)
_INVALID_REGEX = 51091  # MongoDB's (and FerretDB's) code for a regular expression it cannot run
_NOT_DELETED: Document = {"_deleted": {"$ne": True}}

FILTER_INDEXES = (
    "name",
    "status",
    "engagedParty.id",
    "relatedParty.partyOrPartyRole.id",
    "contactMedium.emailAddress",
    "_dt.validFor.startDateTime",
)
"""The attributes users filter on most (seed 000: name; ids of the parties involved; status)."""


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
    """One page of a list query and the number of all matches."""

    items: list[Document]
    total: int


class _NoLease:
    """Writers of one customer need no coordination: the server applies updates atomically."""

    @contextlib.asynccontextmanager
    async def hold(self, customer_id: str) -> AsyncIterator[None]:
        del customer_id
        yield


class _Lease:
    """One writer per customer at a time, for a server without isolated updates.

    FerretDB v1 applies an update by reading the document and writing it back, unisolated, so
    two conditional updates of one customer can both "succeed" and one change is lost. An insert
    of a unique `_id` is atomic there, so a lease document per customer serialises its writers.
    A lease outlives a crashed holder by at most `ttl`, after which it may be taken over.
    """

    def __init__(self, leases: AsyncCollection[Stored], ttl: float = 30.0) -> None:
        self._leases = leases
        self._ttl = timedelta(seconds=ttl)

    @contextlib.asynccontextmanager
    async def hold(self, customer_id: str) -> AsyncIterator[None]:
        token = uuid.uuid4().hex
        delay = 0.002
        while True:
            now = datetime.now(UTC)
            try:
                await self._leases.insert_one(
                    {"_id": customer_id, "token": token, "expires": now + self._ttl}
                )
                break
            except DuplicateKeyError:
                await self._leases.delete_one({"_id": customer_id, "expires": {"$lt": now}})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.1)
        try:
            yield
        finally:
            await self._leases.delete_one({"_id": customer_id, "token": token})


class CustomerStore:
    """Reads and writes customers, their outboxes and the request journal."""

    def __init__(
        self,
        client: AsyncMongoClient[Stored],
        database: str,
        retry_seconds: float,
        journal_retention_seconds: int = 7 * 24 * 3600,
    ):
        self._client = client
        self._customers: AsyncCollection[Stored] = client[database]["customer"]
        self._journal: AsyncCollection[Stored] = client[database]["request_journal"]
        self._leases: AsyncCollection[Stored] = client[database]["customer_lease"]
        self._retry_seconds = retry_seconds
        self._journal_retention_seconds = journal_retention_seconds
        self._writers: _NoLease | _Lease | None = None

    async def _writer_lease(self) -> _NoLease | _Lease:
        """How writers of one customer are kept apart on this server (asked once)."""
        if self._writers is None:
            info = await self._client.server_info()
            self._writers = _Lease(self._leases) if "ferretdbVersion" in info else _NoLease()
        return self._writers

    async def _update_customer(self, customer_id: str, query: Document, update: Document) -> bool:
        """One update of one customer, with the other writers of that customer kept out."""
        writers = await self._writer_lease()
        async with writers.hold(customer_id):
            result = await self._customers.update_one(query, update)
        return result.modified_count == 1

    @classmethod
    def from_settings(cls, settings: Settings) -> CustomerStore:
        """A store for the configured database (connects lazily, on first use)."""
        client: AsyncMongoClient[Stored] = AsyncMongoClient(
            settings.mongodb_uri,
            serverSelectionTimeoutMS=settings.store_timeout_ms,
            connectTimeoutMS=settings.store_timeout_ms,
            socketTimeoutMS=settings.store_timeout_ms * 2,
            tz_aware=True,
        )
        return cls(
            client,
            settings.mongodb_database,
            settings.store_retry_seconds,
            settings.journal_retention_seconds,
        )

    async def close(self) -> None:
        """Closes the client's connections."""
        await self._client.close()

    async def _retrying(self, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Runs `operation`, retrying connection failures until the retry budget is spent."""
        deadline = time.monotonic() + self._retry_seconds
        delay = 0.1
        while True:
            try:
                return await operation()
            except _RETRIABLE as exc:
                if time.monotonic() >= deadline:
                    raise StoreUnavailable(f"the store did not answer ({what})") from exc
                log.warning("store unavailable during %s, retrying: %s", what, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
            except PyMongoError as exc:
                raise InternalError(f"store operation failed ({what})") from exc

    async def ensure_indexes(self, extra: Sequence[str] = FILTER_INDEXES) -> None:
        """Creates the indexes the service's queries use (idempotent)."""

        async def create() -> None:
            # The outbox sweep looks for old unpublished entries.
            await self._customers.create_index(
                [("_outbox.writtenAt", ASCENDING)], name="outbox_written_at"
            )
            for path in extra:
                await self._customers.create_index([(path, ASCENDING)], name=f"by_{path}")
            try:
                await self._journal.create_index(
                    [("at", ASCENDING)],
                    name="journal_retention",
                    expireAfterSeconds=self._journal_retention_seconds,
                )
            except OperationFailure as exc:
                if exc.code != _NOT_IMPLEMENTED:
                    raise
                log.warning("the store has no TTL indexes; the request journal is never trimmed")

        await self._retrying("create indexes", create)

    async def get(self, customer_id: str) -> StoredCustomer | None:
        """The live (not deleted) customer with that id."""
        found = await self._retrying(
            "get", lambda: self._customers.find_one({"_id": customer_id, **_NOT_DELETED})
        )
        if found is None:
            return None
        return StoredCustomer(to_resource(found), int(found.get("_version", 0)))

    async def find(
        self,
        query: Document,
        sort: Sequence[tuple[str, int]],
        offset: int,
        limit: int,
        projection: Document | None = None,
    ) -> Page:
        """One page of live customers matching `query`, and the count of all matches."""
        live = {"$and": [query, _NOT_DELETED]} if query else _NOT_DELETED

        async def run() -> Page:
            cursor = self._customers.find(
                live, projection=projection, sort=list(sort), skip=offset, limit=limit
            )
            try:
                items = [to_resource(doc) for doc in await cursor.to_list()]
            except OperationFailure as exc:
                if exc.code != _INVALID_REGEX:
                    raise
                # Python's `re` accepted it, the store's dialect (PCRE, RE2) did not.
                raise FilterParseError(f"the store refused a regular expression: {exc}") from exc
            total = await self._customers.count_documents(live)
            return Page(items, total)

        return await self._retrying("find", run)

    async def insert(self, resource: Document, shadow: Document, entry: OutboxEntry) -> bool:
        """Stores a new customer with its outbox entry.

        False if the id is taken: a create's id derives from its request identity, so a create
        sent twice makes one customer however the copies are spread.
        """
        document = {
            "_id": resource["id"],
            **resource,
            "_version": 1,
            "_dt": shadow,
            "_outbox": [entry.to_document()],
        }

        async def run() -> bool:
            try:
                await self._customers.insert_one(document)
            except DuplicateKeyError:
                return False
            return True

        return await self._retrying("insert", run)

    async def replace(
        self,
        version: int,
        before: Document,
        after: Document,
        shadow: Document,
        entry: OutboxEntry,
    ) -> bool:
        """Writes `after` over `before` if the customer is still at `version`, with the entry.

        One update: attributes set or unset, the version bumped and the outbox entry pushed
        together, so the change and its events commit or fail as one.
        """
        update: Document = {
            "$set": {**after, "_version": version + 1, "_dt": shadow},
            "$push": {"_outbox": entry.to_document()},
        }
        removed = before.keys() - after.keys()
        if removed:
            update["$unset"] = dict.fromkeys(removed, "")
        query = {"_id": after["id"], "_version": version, **_NOT_DELETED}
        return await self._retrying(
            "replace", lambda: self._update_customer(after["id"], query, update)
        )

    async def tombstone(self, customer_id: str, version: int, entry: OutboxEntry) -> bool:
        """Marks the customer deleted (if still at `version`) with the delete's outbox entry."""
        return await self._retrying(
            "tombstone",
            lambda: self._update_customer(
                customer_id,
                {"_id": customer_id, "_version": version, **_NOT_DELETED},
                {
                    "$set": {"_deleted": True, "_version": version + 1},
                    "$push": {"_outbox": entry.to_document()},
                },
            ),
        )

    async def pending(self, customer_id: str, request_key: str) -> OutboxEntry | None:
        """The unpublished outbox entry a request left on that customer, if it was written."""
        found = await self._retrying(
            "pending lookup",
            lambda: self._customers.find_one({"_id": customer_id}, projection={"_outbox": 1}),
        )
        for raw in (found or {}).get("_outbox", []):
            if raw["requestKey"] == request_key:
                return OutboxEntry.from_document(raw)
        return None

    async def pending_entries(
        self, written_before: datetime, limit: int = 1000
    ) -> list[tuple[str, OutboxEntry]]:
        """Outbox entries written before the given time and still unpublished."""

        async def run() -> list[Stored]:
            cursor = self._customers.find(
                {"_outbox.writtenAt": {"$lt": written_before}},
                projection={"_outbox": 1},
                limit=limit,
            )
            return await cursor.to_list()

        found = await self._retrying("pending scan", run)
        return [
            (doc["_id"], entry)
            for doc in found
            for entry in map(OutboxEntry.from_document, doc["_outbox"])
            if entry.written_at < written_before
        ]

    async def settle(self, customer_id: str, entry: OutboxEntry) -> None:
        """Removes a published entry; a deleted customer with nothing left is purged."""
        raw = entry.stored_form

        async def run() -> None:
            await self._update_customer(
                customer_id, {"_id": customer_id}, {"$pull": {"_outbox": raw}}
            )
            if entry.removes_customer:
                await self._customers.delete_one(
                    {"_id": customer_id, "_deleted": True, "_outbox": {"$size": 0}}
                )

        await self._retrying("settle", run)

    async def journalled_reply(self, request_key: str) -> Reply | None:
        """The reply a request already received, if it was applied before."""
        found = await self._retrying(
            "journal lookup", lambda: self._journal.find_one({"_id": request_key})
        )
        return None if found is None else reply_from_document(found["reply"])

    async def journal(self, request_key: str, reply: Reply) -> None:
        """Records a request's reply, so a redelivery gets the same answer (first one wins)."""
        document = {
            "_id": request_key,
            "reply": reply_to_document(reply),
            "at": datetime.now(UTC),
        }

        async def run() -> None:
            # A redelivery may have raced us here; the first reply stays the answer.
            with contextlib.suppress(DuplicateKeyError):
                await self._journal.insert_one(document)

        await self._retrying("journal", run)
