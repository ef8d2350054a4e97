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
from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from customer_async.outbox import OutboxEntry
from customer_async.store import CustomerStore
from customer_async.types import Command, Operation, Reply

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


async def test_outbox_push_pull_and_lookup_by_array_member(collection: Collection) -> None:
    """`$pull` of the exact entry: FerretDB v1 ignores a `$pull` given a condition document."""
    first = {"requestKey": "t|1", "eventId": "e1", "events": [{"eventId": "e1"}]}
    await collection.create_index([("_outbox.requestKey", ASCENDING)], name="outbox_request")
    await collection.insert_one({"_id": "a", "_outbox": [first]})
    await collection.update_one(
        {"_id": "a"}, {"$push": {"_outbox": {"requestKey": "t|2", "eventId": "e2"}}}
    )
    pending = await collection.find_one({"_outbox.requestKey": "t|2"})
    assert pending is not None
    assert [e["eventId"] for e in pending["_outbox"]] == ["e1", "e2"]
    await collection.update_one({"_id": "a"}, {"$pull": {"_outbox": first}})
    with_outbox = await collection.find({"_outbox.0": {"$exists": True}}).to_list()
    assert [e["eventId"] for e in with_outbox[0]["_outbox"]] == ["e2"]


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

    def entry(n: int) -> OutboxEntry:
        command = Command(Operation.PATCH, f"c{n}", "t.patch", "t.reply")
        return OutboxEntry.for_command(command, Reply(200), ())

    resource = {"id": "c", "href": "h", "@type": "Customer", "count": 0}
    assert await store.insert(resource, {}, entry(-1))

    async def increment(n: int) -> None:
        while True:
            found = await store.get("c")
            assert found is not None
            after = {**found.resource, "count": found.resource["count"] + 1}
            if await store.replace(found.version, found.resource, after, {}, entry(n)):
                return

    await asyncio.gather(*(increment(n) for n in range(30)))
    final = await store.get("c")
    assert final is not None
    assert final.resource["count"] == 30
    assert final.version == 31
    await mongo.drop_database(unique_name)
