"""Each store feature the service relies on works on the MongoDB-protocol server under test.

Production runs MongoDB; tests here run FerretDB (or MongoDB under Docker). Every query or write
shape the store module uses is proven here first, so a gap shows up as one named failure.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from customer_async.protocol.record import new_record
from customer_async.store import CustomerStore
from customer_async.types import Reply, ReplyAddress

pytestmark = pytest.mark.e2e

Collection = AsyncCollection[dict[str, Any]]


@pytest.fixture
async def collection(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> AsyncIterator[Collection]:
    database = mongo[unique_name]
    yield database["capabilities"]
    await mongo.drop_database(unique_name)


def customer(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "_id": f"c{n:03d}",
        "name": f"name-{n % 7}",
        "contactMedium": [
            {"@type": "EmailContactMedium", "emailAddress": f"{n}@x.org"},
            {"@type": "GeographicAddressContactMedium", "city": ["Paris", "Oslo", "Rome"][n % 3]},
        ],
        "creditProfile": [{"creditScore": n}],
        "_dt": {"validFor": {"startDateTime": datetime(2024, 1, 1 + n % 28, tzinfo=UTC)}},
        **extra,
    }


async def test_unique_index_raises_duplicate_key_error(collection: Collection) -> None:
    await collection.create_index([("ref", ASCENDING)], unique=True, name="ref_unique")
    await collection.insert_one({"_id": "a", "ref": "r1"})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"_id": "b", "ref": "r1"})
    with pytest.raises(DuplicateKeyError):
        await collection.insert_one({"_id": "a", "ref": "r2"})


async def test_find_one_and_update_returns_the_new_document(collection: Collection) -> None:
    await collection.insert_one({"_id": "a", "name": "old", "_version": 1})
    after = await collection.find_one_and_update(
        {"_id": "a"},
        {"$set": {"name": "new"}, "$inc": {"_version": 1}},
        return_document=ReturnDocument.AFTER,
    )
    assert after == {"_id": "a", "name": "new", "_version": 2}


async def test_sort_skip_limit_and_count_documents(collection: Collection) -> None:
    await collection.insert_many([customer(n) for n in range(30)])
    page = await collection.find({}, sort=[("name", -1), ("_id", 1)], skip=5, limit=4).to_list()
    everything = sorted(
        [customer(n) for n in range(30)], key=lambda c: (-int(c["name"][-1]), c["_id"])
    )
    assert [c["_id"] for c in page] == [c["_id"] for c in everything[5:9]]
    assert await collection.count_documents({"name": "name-3"}) == len(
        [n for n in range(30) if n % 7 == 3]
    )


async def test_in_gt_and_regex_reach_into_arrays_by_dotted_path(collection: Collection) -> None:
    await collection.insert_many([customer(n) for n in range(12)])
    in_paris = await collection.find({"contactMedium.city": {"$in": ["Paris"]}}).to_list()
    assert {c["_id"] for c in in_paris} == {f"c{n:03d}" for n in range(12) if n % 3 == 0}
    high = await collection.find({"creditProfile.creditScore": {"$gt": 8}}).to_list()
    assert {c["_id"] for c in high} == {"c009", "c010", "c011"}
    rx = await collection.find({"contactMedium.emailAddress": {"$regex": "^1[01]@"}}).to_list()
    assert {c["_id"] for c in rx} == {"c010", "c011"}
    nin = await collection.count_documents({"contactMedium.city": {"$nin": ["Paris", "Oslo"]}})
    assert nin == 4


async def test_dates_compare_chronologically_in_nested_paths(collection: Collection) -> None:
    await collection.insert_many([customer(n) for n in range(10)])
    since = datetime(2024, 1, 8, tzinfo=UTC)
    later = await collection.find({"_dt.validFor.startDateTime": {"$gte": since}}).to_list()
    assert {c["_id"] for c in later} == {"c007", "c008", "c009"}


async def test_and_or_ne_combine(collection: Collection) -> None:
    await collection.insert_many([customer(n) for n in range(14)])
    query = {
        "$and": [
            {"$or": [{"name": {"$eq": "name-1"}}, {"name": {"$eq": "name-2"}}]},
            {"contactMedium.city": {"$ne": "Oslo"}},
        ]
    }
    found = await collection.find(query).to_list()
    expected = {f"c{n:03d}" for n in range(14) if n % 7 in (1, 2) and n % 3 != 1}
    assert {c["_id"] for c in found} == expected


async def test_update_conditioned_on_a_version_applies_once(collection: Collection) -> None:
    await collection.insert_one({"_id": "a", "name": "v1", "_version": 1})
    first = await collection.find_one_and_replace(
        {"_id": "a", "_version": 1},
        {"name": "v2", "_version": 2},
        return_document=ReturnDocument.AFTER,
    )
    stale = await collection.find_one_and_replace(
        {"_id": "a", "_version": 1}, {"name": "lost", "_version": 2}
    )
    assert first == {"_id": "a", "name": "v2", "_version": 2}
    assert stale is None
    assert await collection.find_one({"_id": "a"}) == first


async def test_bounded_arrays_are_set_whole(collection: Collection) -> None:
    """`$push` with `$slice` is ignored by FerretDB v1, so bounded arrays are computed and set."""
    await collection.insert_one({"_id": "a", "_applied": [{"k": 1}], "_outbox": [{"seq": 1}]})
    await collection.update_one(
        {"_id": "a"}, {"$set": {"_applied": [{"k": 2}, {"k": 3}], "_outbox": []}}
    )
    assert await collection.find_one({"_id": "a"}) == {
        "_id": "a",
        "_applied": [{"k": 2}, {"k": 3}],
        "_outbox": [],
    }


async def test_projection_can_leave_bookkeeping_out(collection: Collection) -> None:
    await collection.insert_one(customer(1, _applied=[{"k": 1}], _outbox=[]))
    found = await collection.find_one(
        {"_id": "c001"}, projection={"_applied": 0, "_outbox": 0, "_dt": 0}
    )
    assert found == {k: v for k, v in customer(1).items() if k != "_dt"}


async def test_a_null_condition_matches_a_missing_or_null_field(collection: Collection) -> None:
    await collection.insert_many([{"_id": "a"}, {"_id": "b", "_deletedAt": None}])
    await collection.insert_one({"_id": "c", "_deletedAt": datetime(2024, 1, 1, tzinfo=UTC)})
    found = await collection.find({"_deletedAt": None}, sort=[("_id", 1)]).to_list()
    assert [doc["_id"] for doc in found] == ["a", "b"]
    old = {"_deletedAt": {"$lt": datetime(2025, 1, 1, tzinfo=UTC)}, "_outbox": {"$size": 0}}
    await collection.update_one({"_id": "c"}, {"$set": {"_outbox": []}})
    assert (await collection.delete_many(old)).deleted_count == 1


async def test_bulk_conditional_updates_apply_where_the_condition_holds(
    collection: Collection,
) -> None:
    """One bulk write settles many customers; one written since (version moved) is left."""
    await collection.insert_many(
        [{"_id": f"c{n}", "_version": 2, "_outbox": [1]} for n in range(3)]
    )
    result = await collection.bulk_write(
        [
            UpdateOne({"_id": f"c{n}", "_version": 2 - n % 2}, {"$set": {"_outbox": []}})
            for n in range(3)
        ],
        ordered=False,
    )
    assert result.modified_count == 2
    left = await collection.find({"_outbox": {"$size": 1}}).to_list()
    assert [doc["_id"] for doc in left] == ["c1"]


async def test_insert_many_unordered_reports_each_taken_id(collection: Collection) -> None:
    """Leases for many customers at once: the free ones are taken, the taken ones named."""
    await collection.insert_one({"_id": "b"})
    with pytest.raises(BulkWriteError) as raised:
        await collection.insert_many([{"_id": "a"}, {"_id": "b"}, {"_id": "c"}], ordered=False)
    assert [e["index"] for e in raised.value.details["writeErrors"]] == [1]
    assert await collection.count_documents({}) == 3


async def test_projection_keeps_only_named_fields(collection: Collection) -> None:
    await collection.insert_one(customer(1, status="Approved"))
    found = await collection.find_one({"_id": "c001"}, projection={"status": 1, "name": 1})
    assert found == {"_id": "c001", "name": "name-1", "status": "Approved"}


async def test_concurrent_writers_of_one_customer_lose_nothing_through_the_store(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    """Many racing version-conditioned writes, through CustomerStore: every one that reports
    success is kept. (FerretDB v1 does not isolate updates; the store's lease must.)"""
    store = CustomerStore(mongo, unique_name, retry_seconds=5.0)
    address = ReplyAddress("t.reply", "c", "t.request")
    resource = {"id": "c", "href": "h", "@type": "Customer", "count": 0}
    created = new_record(
        "c", resource, request_key="t|create", reply=Reply(201), address=address, events=()
    )
    assert await store.insert(created, {})

    async def increment(n: int) -> None:
        while True:
            async with store.writing("c") as customer:
                found = await customer.load()
                assert found is not None
                after = found.applied_write(
                    f"t|{n}",
                    Reply(200),
                    resource={**found.resource, "count": found.resource["count"] + 1},
                    address=address,
                    events=(),
                    published_up_to=0,
                    keep=64,
                )
                if await customer.write(found, after, {}):
                    return

    await asyncio.gather(*(increment(n) for n in range(30)))
    final = await store.load("c")
    assert final is not None
    assert final.resource["count"] == 30
    assert final.version == 31
    assert len(final.applied) == 31
    assert [p.seq for p in final.outbox] == list(range(1, 32))
    await mongo.drop_database(unique_name)
