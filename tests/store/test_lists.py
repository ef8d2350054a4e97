"""Lists read an id bucket at a time (store/lists.py), against an in-memory store.

The reader here answers the walk's queries the way FerretDB does (every document matching the
equalities, sorted by id), and says how many documents each query returned: the page and total
agree with a plain sort of everything, and a first page reads about as much with many customers
as with few.
"""

from __future__ import annotations

import operator
import random
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customer_async.query.shadow import customer_shadow
from customer_async.store.lists import (
    Counted,
    ListEstimates,
    Unsorted,
    count_bound,
    read_in_id_order,
    read_in_sort_order,
    sort_order,
)
from customer_async.types import Document

TYPES = {
    "name": "string",
    "status": "string",
    "engagedParty": "object",
    "engagedParty.id": "string",
    "contactMedium": "array",
    "contactMedium.city": "string",
    "characteristic": "array",
    "characteristic.value": "any",
    "score": "integer",
}
Stored = dict[str, Any]


def _reach(document: Any, path: str) -> Any:
    for segment in path.split("."):
        document = document.get(segment) if isinstance(document, dict) else None
    return document


def _matches(document: Stored, query: Document) -> bool:
    """The subset of MongoDB's filters the walk sends: equalities, `$gte`/`$lt`, `$and`."""
    for name, wanted in query.items():
        if name == "$and":
            if not all(_matches(document, part) for part in wanted):
                return False
            continue
        value = _reach(document, name)
        if isinstance(wanted, dict):
            if "$gte" in wanted and not (value is not None and value >= wanted["$gte"]):
                return False
            if "$lt" in wanted and not (value is not None and value < wanted["$lt"]):
                return False
        elif value != wanted:
            return False
    return True


class MemoryReader:
    """Customers in memory, read as FerretDB reads them; counts what each query returned."""

    def __init__(self, documents: Sequence[Stored]) -> None:
        self.documents = list(documents)
        self.queries = 0
        self.returned = 0
        # FerretDB reads a bucket through an index: do the same, not a scan per query.
        self._by_bucket: dict[tuple[str, str], list[Stored]] = {}
        for document in self.documents:
            for key, name in document["_dt"].items():
                if key.startswith("_id"):
                    self._by_bucket.setdefault((f"_dt.{key}", name), []).append(document)

    def _select(self, query: Document) -> list[Stored]:
        candidates = self.documents
        for key, value in query.items():
            if key.startswith("_dt._id"):
                candidates = self._by_bucket.get((key, value), [])
        found = [d for d in candidates if _matches(d, query)]
        self.queries += 1
        self.returned += len(found)
        return found

    async def fetch(
        self, query: Document, sort: Sequence[tuple[str, int]], projection: Document | None
    ) -> list[Stored]:
        found = self._select(query)
        for key, direction in reversed(sort):
            found.sort(key=operator.itemgetter(key), reverse=direction < 0)
        return [dict(d) for d in found]

    async def count(self, query: Document, limit: int) -> int:
        return min(len(self._select(query)), limit)


def stored(customer_id: str, *, status: str = "Created", deleted: bool = False) -> Stored:
    resource = {"id": customer_id, "name": f"n-{customer_id[-3:]}", "status": status}
    return {
        "_id": customer_id,
        **resource,
        "_dt": customer_shadow(resource, TYPES),
        "_deletedAt": "yes" if deleted else None,
    }


def customer_ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


LIVE: Document = {"_deletedAt": None}
OTHER_IDS = ["both", "c7", "0a-x", "zz", "Émile", "f"]
"""Ids not in hex buckets, sorting before, between and after the hex ones."""


def expected(documents: Sequence[Stored], query: Document, descending: bool) -> list[str]:
    return sorted((d["_id"] for d in documents if _matches(d, query)), reverse=descending)


def check_total(counted: Counted, matches: int, bound: int) -> None:
    """Exact whenever it says so; past the bound it may be a lower bound: one more than it."""
    if counted.exact:
        assert counted.total == matches
    else:
        assert matches > bound
        assert counted.total == bound + 1


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(0, 400),
    others=st.lists(st.sampled_from(OTHER_IDS), unique=True),
    seed=st.integers(0, 2**32),
    descending=st.booleans(),
    offset=st.integers(0, 450),
    limit=st.integers(1, 60),
    count_limit=st.integers(1, 150),
    estimate=st.sampled_from([1.0, 300.0, 65536.0, 10.0**7]),
    filtered=st.booleans(),
)
async def test_a_page_in_id_order_is_the_slice_of_all_matches_sorted_by_id(
    *,
    size: int,
    others: list[str],
    seed: int,
    descending: bool,
    offset: int,
    limit: int,
    count_limit: int,
    estimate: float,
    filtered: bool,
) -> None:
    rng = random.Random(seed)
    documents = [
        stored(i, status=rng.choice(["Created", "Approved"]), deleted=rng.random() < 0.1)
        for i in [*customer_ids(size, seed), *others]
    ]
    query = {"status": "Approved", **LIVE} if filtered else LIVE
    bound = count_bound(count_limit, offset, limit)
    counted = await read_in_id_order(
        MemoryReader(documents),
        query,
        descending=descending,
        offset=offset,
        limit=limit,
        projection=None,
        bound=bound,
        estimates=ListEstimates(estimate),
        shape=("status",) if filtered else (),
        pushed_down=filtered,
    )
    everything = expected(documents, query, descending)
    assert [d["_id"] for d in counted.items] == everything[offset : offset + limit]
    check_total(counted, len(everything), bound)


@settings(max_examples=100, deadline=None)
@given(
    size=st.integers(0, 300),
    others=st.lists(st.sampled_from(OTHER_IDS), unique=True),
    seed=st.integers(0, 2**32),
    descending=st.booleans(),
    offset=st.integers(0, 320),
    limit=st.integers(1, 40),
)
async def test_a_page_in_another_order_is_the_slice_of_all_matches_in_that_order(
    *, size: int, others: list[str], seed: int, descending: bool, offset: int, limit: int
) -> None:
    rng = random.Random(seed)
    ids = [*customer_ids(size, seed), *others]
    documents = [stored(i, deleted=rng.random() < 0.1) for i in ids]
    for document in documents:  # a few without a name: missing sorts first ascending
        if rng.random() < 0.1:
            del document["name"]
    sort = [("name", -1 if descending else 1), ("_id", 1)]
    counted = await read_in_sort_order(
        MemoryReader(documents),
        LIVE,
        sort_order(sort, TYPES),
        offset=offset,
        limit=limit,
        projection=None,
        estimates=ListEstimates(),
        shape=(),
    )
    live = sorted((d for d in documents if _matches(d, LIVE)), key=lambda d: d["_id"])
    live.sort(key=lambda d: (d.get("name") is not None, d.get("name") or ""), reverse=descending)
    assert [d["_id"] for d in counted.items] == [d["_id"] for d in live][offset : offset + limit]
    assert counted.exact
    assert counted.total == len(live)


@pytest.mark.parametrize("path", ["contactMedium.city", "characteristic.value", "unknown"])
def test_the_service_does_not_order_by_a_path_into_an_array_or_of_any_type(path: str) -> None:
    with pytest.raises(Unsorted):
        sort_order([(path, 1), ("_id", 1)], TYPES)


@pytest.mark.parametrize("stored_count", [1_000, 100_000])
async def test_a_first_page_reads_about_the_same_with_many_customers_as_with_few(
    stored_count: int,
) -> None:
    """What a first page of 10 reads (documents returned, queries) does not grow with the store:
    the bound on the count (100) is what it reads, not the customers."""
    reader = MemoryReader([stored(i) for i in customer_ids(stored_count, 7)])
    estimates = ListEstimates()
    for _ in range(2):  # the second list starts from what the first saw
        reader.queries = reader.returned = 0
        counted = await read_in_id_order(
            reader,
            LIVE,
            descending=False,
            offset=0,
            limit=10,
            projection=None,
            bound=100,
            estimates=estimates,
            shape=(),
            pushed_down=False,
        )
        assert len(counted.items) == 10
        assert (counted.total, counted.exact) == (101, False)
    assert reader.returned <= 250
    assert reader.queries <= 8
    assert stored_count / 2 < estimates.customers < stored_count * 2


async def test_a_filter_with_few_matches_takes_a_few_queries_and_fewer_the_next_time() -> None:
    """With 25 matches among 100,000 the walk climbs to reading everything left at once; the
    next list of that shape starts from what this one saw."""
    documents = [stored(i) for i in customer_ids(100_000, 3)]
    for document in documents[:25]:
        document["status"] = "Approved"
    reader = MemoryReader(documents)
    estimates = ListEstimates(100_000)
    queries = []
    for _ in range(2):
        reader.queries = 0
        counted = await read_in_id_order(
            reader,
            {"status": "Approved", **LIVE},
            descending=False,
            offset=0,
            limit=10,
            projection=None,
            bound=100,
            estimates=estimates,
            shape=("status",),
            pushed_down=True,
        )
        assert (counted.total, counted.exact) == (25, True)
        queries.append(reader.queries)
    assert queries[0] <= 5
    assert queries[1] == 1
