"""An OR list on FerretDB is read as one pushed-down equality per value, and pages as the OR
list does: the same customers in id order, the same count."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from customer_async.protocol.record import new_record
from customer_async.query.shadow import customer_shadow
from customer_async.schemas import attribute_types
from customer_async.store import CustomerStore
from customer_async.types import Reply, ReplyAddress
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e

STATUSES = ("Approved", "Created", "Validated", "Closed")


class ListFilters(monitoring.CommandListener):
    """The filters of the find and count commands the client sent."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("find", "count", "aggregate"):
            found = event.command.get("filter", event.command.get("query"))
            self.filters.append(dict(found or {}))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _has_or_list(value: Any) -> bool:
    if isinstance(value, dict):
        return "$in" in value or any(_has_or_list(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_or_list(v) for v in value)
    return False


async def test_an_or_list_pages_as_one_and_reaches_ferretdb_as_equalities(
    servers: Servers, unique_name: str
) -> None:
    listened = ListFilters()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongodb_uri, serverSelectionTimeoutMS=10_000, event_listeners=[listened]
    )
    store = CustomerStore(client, unique_name, 5.0)
    types = attribute_types()
    address = ReplyAddress("t.reply", "c", "t.request")
    try:
        await store.ensure_indexes()  # on an empty collection: lists read id buckets
        statuses: dict[str, str] = {}
        for n in range(80):
            customer_id = f"{n * 2654435761 % 2**32:08x}-0000-4000-8000-000000000000"
            statuses[customer_id] = STATUSES[n % len(STATUSES)]
            resource = {"id": customer_id, "href": "h", "@type": "Customer", "name": f"c{n}"}
            resource["status"] = statuses[customer_id]
            record = new_record(
                customer_id,
                resource,
                request_key=f"t|{customer_id}",
                reply=Reply(201),
                address=address,
                events=(),
            )
            assert await store.insert(record, customer_shadow(resource, types))
        wanted = sorted(i for i, status in statuses.items() if status in ("Approved", "Closed"))
        query = {"status": {"$in": ["Approved", "Closed"]}}
        ferretdb = "ferretdbVersion" in await client.server_info()

        for sort, expected in (([("_id", 1)], wanted), ([("_id", -1)], wanted[::-1])):
            listened.filters.clear()
            page = await store.find(query, sort, 5, 10)
            assert [item["id"] for item in page.items] == expected[5:15]
            assert (page.total, page.exact) == (len(wanted), True)
            if ferretdb:
                assert listened.filters
                assert not any(_has_or_list(sent) for sent in listened.filters), listened.filters
    finally:
        await client.drop_database(unique_name)
        await client.close()
