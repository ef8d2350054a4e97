"""Creates share their inserts: the concurrent creates of a poll reach the store as one command,
and each learns whether its own customer was new."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from customer_async.protocol.record import CustomerRecord, new_record
from customer_async.store import CustomerStore
from customer_async.store.customers import INSERT_BATCH
from customer_async.types import Reply, ReplyAddress
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e


class InsertCommands(monitoring.CommandListener):
    """The number of documents of each insert command the client sent."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.sizes.append(len(event.command.get("documents", ())))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _record(customer_id: str) -> CustomerRecord:
    return new_record(
        customer_id,
        {"id": customer_id, "href": "h", "@type": "Customer", "name": customer_id},
        request_key=f"t|{customer_id}",
        reply=Reply(201),
        address=ReplyAddress("t.reply", "c", "t.request"),
        events=(),
    )


async def test_concurrent_creates_share_insert_commands_and_each_learns_its_own_outcome(
    servers: Servers, unique_name: str
) -> None:
    inserts = InsertCommands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongodb_uri, serverSelectionTimeoutMS=10_000, event_listeners=[inserts]
    )
    store = CustomerStore(client, unique_name, 5.0)
    try:
        await store.ensure_indexes()
        assert await store.insert(_record("taken"), {})
        inserts.sizes.clear()
        ids = [f"c{n:02d}" for n in range(INSERT_BATCH * 2)] + ["taken"]
        outcomes = await asyncio.gather(*(store.insert(_record(i), {}) for i in ids))

        assert dict(zip(ids, outcomes, strict=True)) == {i: i != "taken" for i in ids}
        assert sum(inserts.sizes) == len(ids)
        assert max(inserts.sizes) == INSERT_BATCH  # shared: not one command per create
        assert len(inserts.sizes) <= len(ids) // INSERT_BATCH + 1
        stored = await client[unique_name]["customer"].count_documents({})
        assert stored == len(ids)
    finally:
        await client.drop_database(unique_name)
        await client.close()
