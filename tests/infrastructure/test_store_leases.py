"""On FerretDB, concurrent writers of different customers share their lease commands: one
insert takes many single leases, one delete gives them back, and each writer still holds its own
customer alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from customer_async.store import CustomerStore
from customer_async.store.leases import LEASE_BATCH
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e


class LeaseCommands(monitoring.CommandListener):
    """Per insert sent to the lease collection, the leases it takes; per delete that gives
    leases back (by token; a waiting writer's check for an expired lease is a delete too), the
    leases it gives back."""

    def __init__(self) -> None:
        self.inserts: list[int] = []
        self.give_backs: list[int] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        if collection != "customer_lease":
            return
        if event.command_name == "insert":
            self.inserts.append(len(event.command.get("documents", ())))
        elif event.command_name == "delete":
            for statement in event.command.get("deletes", ()):
                token = statement.get("q", {}).get("token")
                if isinstance(token, str):
                    self.give_backs.append(1)
                elif isinstance(token, dict):
                    self.give_backs.append(len(token.get("$in", ())))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_concurrent_writers_share_lease_commands_and_hold_their_own_customer(
    servers: Servers, unique_name: str
) -> None:
    commands = LeaseCommands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongodb_uri, serverSelectionTimeoutMS=10_000, event_listeners=[commands]
    )
    store = CustomerStore(client, unique_name, 5.0)
    try:
        if "ferretdbVersion" not in await client.server_info():
            pytest.skip("only FerretDB needs writer leases (MongoDB updates are isolated)")
        await store.ensure_indexes()
        writers = 40
        inside: set[str] = set()
        overlapped: list[str] = []

        async def write(customer_id: str) -> None:
            async with store.writing(customer_id):
                if customer_id in inside:
                    overlapped.append(customer_id)
                inside.add(customer_id)
                await asyncio.sleep(0.02)
                inside.discard(customer_id)

        # Two writers per customer: each pair must take turns; the twenty customers need not.
        await asyncio.gather(*(write(f"c{n % (writers // 2)}") for n in range(writers)))

        assert overlapped == []
        assert sum(commands.inserts) >= writers  # every writer took its lease (some after waiting)
        assert sum(commands.give_backs) == writers  # and gave it back
        # Shared: writers arriving together take, and finishing together give back, in one
        # command (a writer waiting for its customer's lease polls on its own).
        assert 1 < max(commands.inserts) <= LEASE_BATCH
        assert max(commands.give_backs) > 1
        left = await client[unique_name]["customer_lease"].count_documents({})
        assert left == 0
    finally:
        await client.drop_database(unique_name)
        await client.close()
