"""What the sweep reads: customers marked `_pending` (an indexed equality), and once per start
those written before the mark existed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from customer_async.protocol.record import new_record
from customer_async.store import CustomerStore
from customer_async.types import Reply, ReplyAddress

pytestmark = pytest.mark.e2e


async def test_the_sweep_finds_pending_and_unmarked_customers_and_not_settled_ones(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    store = CustomerStore(mongo, unique_name, 5.0)
    await store.ensure_indexes()
    address = ReplyAddress("t.reply", "c", "t.request")
    for customer_id in ("pending", "settled"):
        record = new_record(
            customer_id,
            {"id": customer_id, "href": "h", "@type": "Customer"},
            request_key=f"t|{customer_id}",
            reply=Reply(201),
            address=address,
            events=(),
        )
        assert await store.insert(record, {})
    customers = mongo[unique_name]["customer"]
    assert (await customers.find_one({"_id": "pending"}) or {})["_pending"] is True
    assert await store.settle({"settled": 1}) == ["settled"]
    assert (await customers.find_one({"_id": "settled"}) or {})["_pending"] is False
    # A customer written by a version without the mark, its outbox not published.
    legacy = await customers.find_one({"_id": "pending"})
    assert legacy is not None
    await customers.insert_one(
        {**{k: v for k, v in legacy.items() if k != "_pending"}, "_id": "legacy"}
    )
    later = datetime.now(UTC) + timedelta(seconds=1)
    try:
        assert [r.customer_id for r in await store.unpublished(later)] == ["pending"]
        unmarked = await store.unpublished(later, unmarked=True)
        assert [r.customer_id for r in unmarked] == ["legacy"]
    finally:
        await mongo.drop_database(unique_name)
