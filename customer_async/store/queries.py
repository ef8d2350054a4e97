"""The reads clients ask for: one customer's resource, and one page of a list with its count.

A list is one find and one bounded count on MongoDB (and on a FerretDB whose collection predates
the shadow's indexes), or a walk through id buckets on a FerretDB that pushes dotted equalities
down (lists.py); either way under its own deadline, a few at a time (a bulkhead), with the
filter flattened for FerretDB's pushdown (pushdown.py). Reads of resources leave the bookkeeping
on the server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pymongo
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ExecutionTimeout, NetworkTimeout, OperationFailure

from customer_async import schemas
from customer_async.errors import FilterParseError, InternalError, StoreUnavailable
from customer_async.protocol.retry import StoreRetry
from customer_async.query.paths import through_objects
from customer_async.query.shadow import EQUALITY_PATHS, bucket_path
from customer_async.store import lists
from customer_async.store.indexes import create_indexes, has_shadow_indexes
from customer_async.store.mapping import LIVE, WITHOUT_BOOKKEEPING, Stored, to_resource
from customer_async.store.pushdown import flat, pushed_down, shape
from customer_async.types import Document

_INVALID_REGEX = 51091  # MongoDB's (and FerretDB's) code for a regular expression it cannot run


@dataclass(frozen=True, slots=True)
class StoredCustomer:
    """A customer as read: its resource, and the version a conditional write must match."""

    resource: Document
    version: int


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list query and the number of all matches: exact, or (`exact` False) a
    lower bound, one more than the count bound (`lists.count_bound`)."""

    items: list[Document]
    total: int
    exact: bool = True


class CustomerQueries:
    """Reads resources from the customer collection, through the store's retry policy; what it
    learns of the server (FerretDB or not, bucketed lists or not) it asks once."""

    def __init__(
        self,
        client: AsyncMongoClient[Stored],
        customers: AsyncCollection[Stored],
        retry: StoreRetry,
        *,
        concurrent_lists: int,
        list_timeout_seconds: float,
        total_count_limit: int,
        attribute_types: Mapping[str, str] | None,
    ) -> None:
        self._client = client
        self._customers = customers
        self._retry = retry
        self._lists = asyncio.Semaphore(concurrent_lists)
        self._list_timeout = list_timeout_seconds
        self._total_count_limit = total_count_limit
        self._types = attribute_types
        self._ferretdb: bool | None = None
        self._bucketed = False
        self._estimates = lists.ListEstimates()

    async def on_ferretdb(self) -> bool:
        """Whether the server is FerretDB (asked once)."""
        if self._ferretdb is None:
            info = await self._retry.run("server info", self._client.server_info)
            self._ferretdb = "ferretdbVersion" in info
        return self._ferretdb

    @property
    def attribute_types(self) -> Mapping[str, str]:
        """The Customer's attribute types (given, else the schema's, read on first use)."""
        if self._types is None:
            self._types = schemas.attribute_types()
        return self._types

    async def ensure_indexes(self, extra: Sequence[str]) -> None:
        """Creates the indexes these reads and the sweep use (idempotent; see indexes.py)."""
        ferretdb = await self.on_ferretdb()
        await self._retry.run(
            "create indexes",
            lambda: create_indexes(
                self._customers, extra, ferretdb=ferretdb, types=self.attribute_types
            ),
        )

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
        if not self._bucketed and await self.on_ferretdb():
            self._bucketed = await self._retry.run(
                "list indexes", lambda: has_shadow_indexes(self._customers)
            ) and await self._retry.run("explain", self._pushes_down_dotted_paths)
        return self._bucketed

    async def get(self, customer_id: str) -> Document | None:
        """The live (not deleted) customer's resource, without its bookkeeping."""
        found = await self._retry.run(
            "get",
            lambda: self._customers.find_one(
                {"_id": customer_id, **LIVE}, projection=WITHOUT_BOOKKEEPING
            ),
        )
        return None if found is None else to_resource(found)

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
        that is further (`lists.count_bound`); past it, `Page.exact` is False and the total one
        more than the bound. On MongoDB a page is one find (skip, limit, sorted by an index when
        `ensure_indexes` made one for the filter or sort) and the count one `count_documents`
        with that limit, both bounded by the page and the bound, not by the collection. On
        FerretDB, once the id buckets are indexed, a list is read a bucket at a time (lists.py);
        before, the same find and count as on MongoDB, which FerretDB answers by reading every
        match.
        """
        bound = lists.count_bound(self._total_count_limit, offset, limit)
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
            flattened = flat(query, self.attribute_types, shadowed)
            live = {**flattened, **LIVE}
            list_shape = shape(flattened)
            if not bucketed:
                return await self._find_whole(
                    live, sort, offset=offset, limit=limit, projection=projection, bound=bound
                )
            reader = _BucketReader(self._customers, self.attribute_types)
            # `sort=id` is by `_id` too (a customer's `id` is its `_id`), then by `_id` itself.
            if {key for key, _ in sort} <= {"_id", "id"} and len({d for _, d in sort}) == 1:
                counted = await lists.read_in_id_order(
                    reader,
                    live,
                    descending=sort[0][1] < 0,
                    offset=offset,
                    limit=limit,
                    projection=projection,
                    bound=bound,
                    estimates=self._estimates,
                    shape=list_shape,
                    pushed_down=any(pushed_down(name, value) for name, value in flattened.items()),
                )
            else:
                try:
                    order = lists.sort_order(sort, self.attribute_types)
                except lists.Unsorted:
                    return await self._find_whole(
                        live, sort, offset=offset, limit=limit, projection=projection, bound=bound
                    )
                counted = await lists.read_in_sort_order(
                    reader,
                    live,
                    order,
                    offset=offset,
                    limit=limit,
                    projection=projection,
                    estimates=self._estimates,
                    shape=list_shape,
                )
            items = [to_resource(doc) for doc in counted.items]
            return Page(items, counted.total, counted.exact)

        async with self._lists:  # a bulkhead: a burst of scans queues here, not in the store
            return await self._retry.run("find", run)

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
            live,
            projection=projection or WITHOUT_BOOKKEEPING,
            sort=list(sort),
            skip=offset,
            limit=limit,
        )
        items = [to_resource(doc) for doc in await cursor.to_list()]
        if len(items) < limit and (items or offset == 0):
            return Page(items, offset + len(items))
        total = await self._customers.count_documents(live, limit=bound + 1)
        return Page(items, min(total, bound + 1), exact=total <= bound)


MOST_OR_VALUES_SPLIT = 16
"""An OR list of at most this many values is read as one equality per value (`_BucketReader`)."""


class _BucketReader:
    """The customer collection as a `lists.BucketReader`.

    FerretDB pushes an equality down to PostgreSQL, an OR list (`$in`) not: `status=A,B` would read
    every customer of each bucket. So a query whose top level holds an OR list of strings on a
    string attribute reached through objects only is sent as one query per value, each an
    equality FerretDB pushes down and indexes; such an attribute holds one value, so the queries'
    matches are disjoint: their documents together, and their counts added, are the OR list's.
    """

    def __init__(self, customers: AsyncCollection[Stored], types: Mapping[str, str]) -> None:
        self._customers = customers
        self._types = types

    async def fetch(
        self, query: Document, sort: Sequence[tuple[str, int]], projection: Document | None
    ) -> list[Stored]:
        queries = self._split(query)
        found: list[Stored] = []
        for one in queries:
            cursor = self._customers.find(
                one, projection=projection or WITHOUT_BOOKKEEPING, sort=list(sort) or None
            )
            found += await cursor.to_list()
        if len(queries) > 1 and sort:  # the lists read in id order only (lists.py)
            if [key for key, _ in sort] != ["_id"]:
                raise InternalError(f"an OR list read in parts cannot be merged by {sort}")
            found.sort(key=lambda document: document["_id"], reverse=sort[0][1] < 0)
        return found

    async def count(self, query: Document, limit: int) -> int:
        total = 0
        for one in self._split(query):
            total += await self._customers.count_documents(one, limit=limit - total)
            if total >= limit:
                break
        return total

    def _split(self, query: Document) -> list[Document]:
        for name, condition in query.items():
            if name.startswith("$") or not isinstance(condition, dict) or set(condition) != {"$in"}:
                continue
            values = condition["$in"]
            if (
                self._types.get(name) == "string"
                and through_objects(name, self._types)
                and isinstance(values, list)
                and 1 < len(values) <= MOST_OR_VALUES_SPLIT
                and all(isinstance(value, str) for value in values)
            ):
                return [{**query, name: value} for value in dict.fromkeys(values)]
        return [query]
