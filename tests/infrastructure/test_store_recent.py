"""A write of a customer this instance wrote last skips its read; a copy gone stale (another
instance wrote since) costs one conditional write that finds the version moved, then a read."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from customer_async.protocol.record import CustomerRecord, Stamp, new_record
from customer_async.store import CustomerStore
from customer_async.types import Reply, ReplyAddress
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e

ADDRESS = ReplyAddress("t.reply", "c", "t.request")


class CustomerReads(monitoring.CommandListener):
    """The finds sent to the customer collection."""

    def __init__(self) -> None:
        self.finds = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "customer":
            self.finds += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def renamed(record: CustomerRecord, name: str, n: int) -> CustomerRecord:
    resource = {**record.resource, "name": name}
    return record.applied_write(
        f"t|{name}",
        Reply(200, resource),
        resource=resource,
        address=ADDRESS,
        events=(),
        published_up_to=record.version,
        keep=3,
        stamp=Stamp("run", n),
    )


async def write(store: CustomerStore, name: str, n: int) -> CustomerRecord:
    """One write as the write path makes it: read, then write conditionally, read again if
    another write came first."""
    async with store.writing("c1") as customer:
        while True:
            current = await customer.load()
            assert current is not None
            after = renamed(current, name, n)
            if await customer.write(current, after, {}):
                return after


async def test_a_write_after_this_instance_s_own_skips_the_read_until_another_wrote(
    servers: Servers, unique_name: str
) -> None:
    reads = CustomerReads()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongodb_uri, serverSelectionTimeoutMS=10_000, event_listeners=[reads]
    )
    this, other = CustomerStore(client, unique_name, 5.0), CustomerStore(client, unique_name, 5.0)
    try:
        created = new_record(
            "c1",
            {"id": "c1", "href": "h", "@type": "Customer", "name": "a"},
            request_key="t|create",
            reply=Reply(201),
            address=ADDRESS,
            events=(),
            stamp=Stamp("run", 1),
        )
        assert await this.insert(created, {})
        assert (await write(this, "b", 2)).version == 2
        assert reads.finds == 0, "the create's record was this instance's last write"
        assert (await write(other, "c", 3)).version == 3
        assert reads.finds == 1, "another instance reads the store"
        assert (await write(this, "d", 4)).version == 4
        assert reads.finds == 2, "the stale copy failed its write once, then the store was read"
        stored = await this.load("c1")
        assert stored is not None
        assert (stored.version, stored.resource["name"]) == (4, "d")
        assert [a.request_key for a in stored.applied] == ["t|b", "t|c", "t|d"]
    finally:
        await client.drop_database(unique_name)
        await client.close()
