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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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


class CustomerStore:
    """Reads and writes customers, their outboxes and the request journal."""

    def __init__(self, client: AsyncMongoClient[Stored], database: str, retry_seconds: float):
        self._client = client
        self._customers: AsyncCollection[Stored] = client[database]["customer"]
        self._journal: AsyncCollection[Stored] = client[database]["request_journal"]
        self._retry_seconds = retry_seconds

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
        return cls(client, settings.mongodb_database, settings.store_retry_seconds)

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
            await self._customers.create_index(
                [("_outbox.requestKey", ASCENDING)], name="outbox_request"
            )
            await self._customers.create_index(
                [("_createdBy", ASCENDING)], name="created_by_request", unique=True
            )
            for path in extra:
                await self._customers.create_index([(path, ASCENDING)], name=f"by_{path}")

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

        False if the same request already created one (or the id is taken): `_createdBy` is
        unique, so a create sent twice makes one customer however the copies are spread.
        """
        document = {
            "_id": resource["id"],
            **resource,
            "_createdBy": entry.request_key,
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
        return await self._retrying("replace", lambda: self._conditional_update(query, update))

    async def tombstone(self, customer_id: str, version: int, entry: OutboxEntry) -> bool:
        """Marks the customer deleted (if still at `version`) with the delete's outbox entry."""
        return await self._retrying(
            "tombstone",
            lambda: self._conditional_update(
                {"_id": customer_id, "_version": version, **_NOT_DELETED},
                {
                    "$set": {"_deleted": True, "_version": version + 1},
                    "$push": {"_outbox": entry.to_document()},
                },
            ),
        )

    async def _conditional_update(self, query: Document, update: Document) -> bool:
        result = await self._customers.update_one(query, update)
        return result.modified_count == 1

    async def pending_for_request(self, request_key: str) -> tuple[str, OutboxEntry] | None:
        """The customer id and unpublished outbox entry a request left, if it was written."""
        found = await self._retrying(
            "pending lookup",
            lambda: self._customers.find_one(
                {"_outbox.requestKey": request_key}, projection={"_outbox": 1}
            ),
        )
        if found is None:
            return None
        for raw in found["_outbox"]:
            if raw["requestKey"] == request_key:
                return found["_id"], OutboxEntry.from_document(raw)
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
        if entry.raw is None:
            raise InternalError("an outbox entry must be read back before it is settled")
        raw = entry.raw

        async def run() -> None:
            await self._customers.update_one({"_id": customer_id}, {"$pull": {"_outbox": raw}})
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
