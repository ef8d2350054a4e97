"""The delivery promises under store faults injected where they bite (a proxy in front of it).

The service talks to the real store through a fault proxy; each test breaks one promise of the
contract's Delivery section if the service does not keep it:
a final reply followed by a 503; an unknown write outcome answered without reading it back;
one customer's events out of write order; tombstones or bookkeeping left behind.
"""
# Raw records: each reply of a correlation id, resends, X-Resource-Version.

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from customer_async.settings import Settings
from customer_async.store.mapping import to_record
from customer_async.types import Operation
from harness.outbox import unpublished_customers
from tests.e2e.conftest import StartService
from tests.support.client import Received, ServiceClient
from tests.support.examples import create_request
from tests.support.store_faults import Fault, Rule, StoreCommand, StoreFaults, settles

pytestmark = pytest.mark.e2e

RETRY_SECONDS = 2.0
"""The service's store outage budget in these tests; a read in a longer outage is answered 503,
a write waits for the store."""
STORE_TIMEOUT_MS = 3000
"""Server selection gives up after this, a command after twice this: generous on a loaded
machine, so that a slow store is not taken for a lost one."""
OUTAGE_SECONDS = 7.0
"""Longer than the budget plus a server-selection timeout and a back-off: the budget is spent."""
RETENTION_SECONDS = 1
SWEEP_SECONDS = 1.0
GRACE_SECONDS = 1.5
"""How long to keep listening for a reply that must not come."""

Customers = AsyncCollection[dict[str, Any]]


def fault_settings(faults: StoreFaults) -> dict[str, object]:
    """The service behind the proxy, with budgets short enough for faults to bite quickly."""
    return {
        "mongodb_uri": faults.uri,
        "store_retry_seconds": RETRY_SECONDS,
        "store_timeout_ms": STORE_TIMEOUT_MS,
        "outbox_sweep_seconds": SWEEP_SECONDS,
        "tombstone_retention_seconds": RETENTION_SECONDS,
    }


@pytest.fixture
def service_overrides() -> dict[str, object]:
    """Settings a test changes beyond `fault_settings` (by parametrizing this name)."""
    return {}


@pytest.fixture
async def client(
    settings: Settings,
    faults: StoreFaults,
    start_service: StartService,
    service_overrides: dict[str, object],
) -> AsyncIterator[ServiceClient]:
    """A client of one service instance that reaches the store only through the proxy.

    The proxy is set up first, so it is torn down last: the service stops with its store there.
    """
    await start_service(**{**fault_settings(faults), **service_overrides})
    service_client = ServiceClient(settings)
    await service_client.start()
    try:
        yield service_client
    finally:
        await service_client.stop()


@pytest.fixture
def customers(settings: Settings, mongo: AsyncMongoClient[dict[str, Any]]) -> Customers:
    """The service's customer collection, read directly (not through the proxy)."""
    return mongo[settings.mongodb_database]["customer"]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> bool:
    """Polls `check` until it holds (True) or `timeout` seconds passed (False)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def published(customers: Customers, customer_id: str) -> None:
    """Returns once the customer's document has nothing left to publish (its ledger says so)."""

    async def nothing_left() -> bool:
        found = await customers.find_one({"_id": customer_id}, {"_id": 1})
        return found is not None and not await unpublished_customers(
            customers.database, [customer_id]
        )

    assert await eventually(nothing_left), f"customer {customer_id} not published"


async def create(client: ServiceClient, customers: Customers, name: str) -> dict[str, Any]:
    """A customer created without faults, its creation published."""
    reply = await client.call(Operation.CREATE, create_request(name=name))
    assert reply.status == 201, reply.body
    customer: dict[str, Any] = reply.body
    await published(customers, customer["id"])
    return customer


def writes_of(customer_id: str) -> Callable[[StoreCommand], bool]:
    """Picks the store command that writes a change of the customer (not a settle)."""
    return lambda command: customer_id in command.ids and not settles(command)


def events_of(client: ServiceClient, customer_id: str) -> list[Received]:
    return [e for e in client.events if e.key == customer_id]


def final(replies: list[Received]) -> list[tuple[int, Any]]:
    return [(r.status, r.body) for r in replies if r.status != 503]


async def test_a_final_reply_is_not_followed_by_a_503(
    client: ServiceClient, faults: StoreFaults
) -> None:
    """A create is stored and answered 201, then the store is away past the budget: no 503."""
    outage = faults.outage_after("insert", collection="customer", seconds=OUTAGE_SECONDS)
    correlation_id = await client.send(Operation.CREATE, create_request(name="Then away"))
    assert correlation_id is not None
    created = await client.reply(correlation_id)
    assert created.status == 201, created.body
    assert outage.hits, "the outage did not start after the create was stored"
    await faults.reachable_again()

    # A later write of the same customer runs once the create's handling is over.
    customer_id = created.body["id"]
    after = await client.call(
        Operation.PATCH, {"description": "after the outage"}, parameters={"id": customer_id}
    )
    assert after.status == 200, after.body
    await asyncio.sleep(GRACE_SECONDS)
    assert [r.status for r in client.replies(correlation_id)] == [201]


# No outage here: the default budget, so that a slow moment is never taken for one.
@pytest.mark.parametrize("service_overrides", [{"store_retry_seconds": 30.0}])
async def test_a_lost_acknowledgement_is_read_back_not_answered_503(
    client: ServiceClient, faults: StoreFaults, customers: Customers
) -> None:
    """The patch reaches the store, its reply is lost, the store stays up: one 200, applied once."""
    customer = await create(client, customers, "Lost ack")
    media = len(customer["contactMedium"])
    lost = faults.drop_after("update", collection="customer", where=writes_of(customer["id"]))
    email = {"@type": "EmailContactMedium", "emailAddress": f"{uuid.uuid4().hex}@example.com"}
    correlation_id = await client.send(
        Operation.PATCH,
        [{"op": "add", "path": "/contactMedium/-", "value": email}],
        parameters={"id": customer["id"]},
        content_type="application/json-patch+json",
        key=customer["id"],
    )
    assert correlation_id is not None
    reply = await client.reply(correlation_id)
    assert len(lost.hits) == 1, "the acknowledgement was not dropped"
    assert reply.status == 200, reply.body
    assert len(reply.body["contactMedium"]) == media + 1

    stored = await customers.find_one({"_id": customer["id"]})
    assert stored is not None
    assert [m.get("emailAddress") for m in stored["contactMedium"]].count(
        email["emailAddress"]
    ) == 1
    events = await client.events_for(correlation_id, 1)
    marker = await client.call(
        Operation.PATCH, {"description": "marker"}, parameters={"id": customer["id"]}
    )
    await client.events_for(marker.headers["X-Correlation-Id"], 1)
    await asyncio.sleep(GRACE_SECONDS)
    events = [e for e in client.events if e.headers.get("X-Correlation-Id") == correlation_id]
    assert len(events) == 1
    assert [r.status for r in client.replies(correlation_id)] == [200]


# No sweep in the meantime: the order must come from the write path itself.
@pytest.mark.parametrize("service_overrides", [{"outbox_sweep_seconds": 120.0}])
async def test_a_write_whose_store_stays_away_waits_for_it_and_gets_its_real_answer(
    client: ServiceClient, faults: StoreFaults, customers: Customers
) -> None:
    """Patch 1 lands, its acknowledgement is lost, the store stays away past the budget: the
    patch is not answered 503 (only the store knows whether it was answered already) but waits,
    and once the store is back it is read back and answered its real 200. Patch 2 follows; the
    customer's events arrive in write order with increasing X-Resource-Version, and a resend of
    patch 1 gets that 200 again, once.
    """
    customer = await create(client, customers, "In order")
    customer_id = customer["id"]
    lost = faults.drop_after("update", collection="customer", where=writes_of(customer_id))
    # Whatever the service does next about this customer finds the store gone (no delete:
    # a lease being released must not be stranded).
    faults.add(
        Rule(
            Fault.DROP_BEFORE,
            frozenset({"insert", "update", "find"}),
            about=customer_id,
            after=lost,
            outage=OUTAGE_SECONDS,
        )
    )
    first_patch = {"description": "first"}
    sent = time.monotonic()
    first = await client.send(
        Operation.PATCH, first_patch, parameters={"id": customer_id}, key=customer_id
    )
    assert first is not None
    answered = await client.reply(first)
    waited = time.monotonic() - sent
    assert lost.hits, "the acknowledgement was not dropped"
    assert answered.status == 200, answered.body
    assert answered.body["description"] == "first"
    assert waited > RETRY_SECONDS, f"answered after {waited:.1f} s: no outage outlasted the budget"
    faults.clear()

    second = await client.send(
        Operation.PATCH, {"description": "second"}, parameters={"id": customer_id}, key=customer_id
    )
    assert second is not None
    assert (await client.reply(second)).status == 200
    await client.events_for(second, 1)  # one partition: every earlier event is in
    events = events_of(client, customer_id)
    order = [e.headers["X-Correlation-Id"] for e in events]
    assert order[1:] == [first, second], "events not in write order"
    assert [e.body["event"]["customer"].get("description") for e in events[1:]] == [
        "first",
        "second",
    ]
    versions = [int(e.headers["X-Resource-Version"]) for e in events]
    assert versions == sorted(set(versions)), versions

    # A resend gets the same 200, once, and publishes no event again.
    await client.send(
        Operation.PATCH, first_patch, parameters={"id": customer_id}, correlation_id=first
    )
    await client.wait_for(lambda: len(client.replies(first)) >= 2)
    await asyncio.sleep(GRACE_SECONDS)
    answers = client.replies(first)
    assert [r.status for r in answers] == [200, 200]
    assert answers[1].body == answers[0].body
    assert len(events_of(client, customer_id)) == 3, "the resend published its event again"


def mentions(value: Any, wanted: str) -> bool:
    """Whether `wanted` appears anywhere in a stored or sent document."""
    if isinstance(value, Mapping):
        return any(mentions(v, wanted) for v in value.values())
    if isinstance(value, list | tuple):
        return any(mentions(v, wanted) for v in value)
    return bool(value == wanted)


async def test_no_tombstone_left_after_failed_ledger_writes(
    client: ServiceClient, faults: StoreFaults, customers: Customers
) -> None:
    """Customers deleted while the ledger cannot be written (past the retry budget) are gone
    after retention and a sweep, and the ledger catches up once the store takes it again.

    One customer is deleted during the ledger's outage; another is patched during it and then
    deleted after it: neither tombstone may wait for the other's number.
    """
    ledger = customers.database["customer_ledger"]
    deleted = await create(client, customers, "Deleted, ledger fails")
    patched = await create(client, customers, "Patched, ledger fails, then deleted")
    failing = faults.drop_before("update", collection="customer_ledger", times=None)
    reply = await client.call(Operation.DELETE, parameters={"id": deleted["id"]})
    assert reply.status == 204, reply.body
    patch = await client.call(
        Operation.PATCH, {"description": "while failing"}, parameters={"id": patched["id"]}
    )
    assert patch.status == 200, patch.body
    await asyncio.sleep(RETRY_SECONDS + 1.0)  # past the budget: ledger writes gave up
    assert len(failing.hits) >= 2, "the ledger writes were not failed"
    [stalled] = await ledger.find({}).to_list()
    faults.clear()
    reply = await client.call(Operation.DELETE, parameters={"id": patched["id"]})
    assert reply.status == 204, reply.body

    ids = [deleted["id"], patched["id"]]

    async def purged() -> bool:
        return await customers.count_documents({"_id": {"$in": ids}}) == 0

    await eventually(purged, timeout=15)
    left = {
        customer_id: {k: v for k, v in found.items() if k.startswith("_")}
        for customer_id in ids
        if (found := await customers.find_one({"_id": customer_id})) is not None
    }
    assert left == {}, f"left in the store after retention and sweeps: {left}"

    async def caught_up() -> bool:
        entry = await ledger.find_one({"_id": stalled["_id"]})
        return entry is not None and entry["published"] >= stalled["published"] + 3

    assert await eventually(caught_up), "the ledger did not catch up after the outage"


async def test_no_journal_and_bounded_bookkeeping_after_many_writes(
    client: ServiceClient,
    customers: Customers,
    settings: Settings,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    """Many writes leave no journal collection, at most the remembered replies, and no tombstone."""
    created = [await create(client, customers, f"Many {n}") for n in range(6)]
    kept = created[0]["id"]
    patches = [
        # Keyed by the customer, as the contract asks for requests that must apply in order.
        await client.send(
            Operation.PATCH, {"description": f"p{n}"}, parameters={"id": kept}, key=kept
        )
        for n in range(12)
    ]
    for correlation_id in patches:
        assert correlation_id is not None
        assert (await client.reply(correlation_id)).status == 200
    for customer in created[1:]:
        reply = await client.call(Operation.DELETE, parameters={"id": customer["id"]})
        assert reply.status == 204, reply.body

    async def only_the_live_one_left() -> bool:
        return [d["_id"] for d in await customers.find({}, {"_id": 1}).to_list()] == [kept]

    assert await eventually(only_the_live_one_left, timeout=15), "tombstones not purged"
    await published(customers, kept)
    names = await mongo[settings.mongodb_database].list_collection_names()
    assert "request_journal" not in names, names
    stored = await customers.find_one({"_id": kept})
    assert stored is not None
    assert len(to_record(stored).applied) <= 8  # requests_remembered (default)
    assert stored["description"] == "p11"
