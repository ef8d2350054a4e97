"""What the sweep reads on the real store: customers by their outbox's stamp (an indexed
equality), outboxes without a stamp (a version before stamps), the runs' ledgers, and which
tombstones it may purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from customer_async.protocol.record import CustomerRecord, Stamp, new_record
from customer_async.store import CustomerStore
from customer_async.types import Reply, ReplyAddress
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e

ADDRESS = ReplyAddress("t.reply", "c", "t.request")


def created(customer_id: str, stamp: Stamp | None) -> CustomerRecord:
    return new_record(
        customer_id,
        {"id": customer_id, "href": "h", "@type": "Customer"},
        request_key=f"t|{customer_id}",
        reply=Reply(201),
        address=ADDRESS,
        events=(),
        stamp=stamp,
    )


def tombstone(customer_id: str, deleted: datetime, stamp: Stamp) -> CustomerRecord:
    """The customer created, then deleted at `deleted`, both writes stamped `stamp`."""
    return created(customer_id, stamp).applied_write(
        "t|delete",
        Reply(204),
        resource=None,
        address=ADDRESS,
        events=(),
        published_up_to=0,
        keep=3,
        stamp=stamp,
        now=deleted,
    )


PUBLISHED = {"run/a": 9}
"""What the ledgers say is published: covers `MARKED`."""
MARKED = Stamp("run/a", 2)


async def test_the_sweep_finds_customers_by_stamp_and_unstamped_outboxes(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    store = CustomerStore(mongo, unique_name, 5.0)
    await store.ensure_indexes()
    try:
        for number in range(1, 4):
            assert await store.insert(created(f"c{number}", Stamp("gone/1", number)), {})
        assert await store.insert(created("other", Stamp("alive/2", 2)), {})
        assert await store.insert(created("legacy", None), {})
        customers = mongo[unique_name]["customer"]
        assert (await customers.find_one({"_id": "c1"}) or {})["_stamp"] == "gone/1#1"
        assert "stamp" in await customers.index_information()

        wanted = [Stamp("gone/1", n) for n in (2, 3, 4)] + [Stamp("alive/2", 1)]
        found = await store.stamped(wanted)
        assert sorted((r.customer_id, r.stamp) for r in found) == [
            ("c2", Stamp("gone/1", 2)),
            ("c3", Stamp("gone/1", 3)),
        ]
        later = datetime.now(UTC) + timedelta(seconds=1)
        assert [r.customer_id for r in await store.unstamped(later)] == ["legacy"]
        assert await store.settle({"legacy": 1}) == ["legacy"]
        assert await store.unstamped(later) == []
    finally:
        await mongo.drop_database(unique_name)


async def test_a_ledger_is_kept_read_and_removed(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    store = CustomerStore(mongo, unique_name, 5.0)
    try:
        ledger = store.ledger()
        first = await ledger.stamp("c1")
        second = await ledger.stamp("c2")
        assert (first.run, first.number, second.number) == (ledger.run, 1, 2)
        ledger.done(second)
        await ledger.flush()
        [entry] = await mongo[unique_name]["customer_ledger"].find({}).to_list()
        assert (entry["_id"], entry["published"], entry["reserved"]) == (ledger.run, 0, 512)
        ledger.done(first)
        await ledger.flush()
        assert await ledger.coverage() == {ledger.run: 2}
        other = CustomerStore(mongo, unique_name, 5.0).ledger()
        assert await other.coverage() == {ledger.run: 2, other.run: 0}
        await ledger.close()
        assert await mongo[unique_name]["customer_ledger"].count_documents({}) == 0
    finally:
        await mongo.drop_database(unique_name)


async def test_only_tombstones_whose_outbox_is_published_are_purged(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    store = CustomerStore(mongo, unique_name, 5.0)
    await store.ensure_indexes()
    deleted = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        stamps = {
            "published": Stamp("run/a", 3),
            "unpublished": Stamp("run/a", 4),
            "recovered run": Stamp("run/gone", 9),
        }
        for customer_id, stamp in stamps.items():
            assert await store.insert(tombstone(customer_id, deleted, stamp), {})
        purged = await store.purge_tombstones(deleted + timedelta(seconds=1), {"run/a": 3})
        left = await mongo[unique_name]["customer"].distinct("_id")
        assert (purged, left) == (2, ["unpublished"])
    finally:
        await mongo.drop_database(unique_name)


class _Finds(monitoring.CommandListener):
    """The filters of the finds a client sends."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(event.command["filter"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_a_purge_reads_tombstones_through_an_index_not_every_customer(
    servers: Servers, mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    """FerretDB pushes no range down: a purge by `_deletedAt` alone would read every customer,
    every purge. Its filter is served by an index on either server."""
    finds = _Finds()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongodb_uri, event_listeners=[finds]
    )
    store = CustomerStore(client, unique_name, 5.0)
    await store.ensure_indexes()
    deleted = datetime(2026, 1, 1, tzinfo=UTC)
    try:
        for number in range(20):
            assert await store.insert(created(f"live-{number}", None), {})
        assert await store.insert(tombstone("gone", deleted, MARKED), {})
        finds.filters.clear()
        assert await store.purge_tombstones(deleted + timedelta(seconds=1), PUBLISHED) == 1
        assert await mongo[unique_name]["customer"].count_documents({}) == 20
        explained = await mongo[unique_name].command(
            "explain", {"find": "customer", "filter": finds.filters[0]}
        )
        if "ferretdbVersion" in await mongo.server_info():
            assert explained["filterPushdown"], finds.filters[0]
        else:
            assert "IXSCAN" in str(explained["queryPlanner"]["winningPlan"]), explained
    finally:
        await client.close()
        await mongo.drop_database(unique_name)


async def test_a_tombstone_stored_before_the_mark_is_purged_by_the_runs_first_purge(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    store = CustomerStore(mongo, unique_name, 5.0)
    await store.ensure_indexes()
    deleted = datetime(2026, 1, 1, tzinfo=UTC)
    customers = mongo[unique_name]["customer"]
    try:
        assert await store.insert(tombstone("old", deleted, MARKED), {})
        await customers.update_one({"_id": "old"}, {"$unset": {"_tombstone": ""}})
        after = deleted + timedelta(seconds=1)
        if "ferretdbVersion" in await mongo.server_info():
            # Found by the mark only: this one waits for a purge that reads every customer.
            assert await store.purge_tombstones(after, PUBLISHED) == 0
        assert await store.purge_tombstones(after, PUBLISHED, unmarked=True) == 1
        assert await customers.count_documents({}) == 0
    finally:
        await mongo.drop_database(unique_name)
