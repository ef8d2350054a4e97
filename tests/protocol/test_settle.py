"""Settling works in bounded batches, the longest published first, whatever the backlog."""

from __future__ import annotations

from datetime import UTC, datetime

from customer_async.protocol.lanes import Lanes
from customer_async.protocol.record import CustomerRecord, Publication
from customer_async.protocol.settle import SETTLE_BATCH, Settler
from customer_async.types import ReplyAddress
from tests.protocol.memory import MemoryStore, Process, World

BACKLOG = 2 * SETTLE_BATCH + 10


def published(world: World, number: int) -> CustomerRecord:
    address = ReplyAddress("replies", f"c-{number}", "requests")
    entry = Publication(1, f"k-{number}", address, (), datetime(2026, 1, 1, tzinfo=UTC))
    record = CustomerRecord(f"customer-{number:04}", {"name": "x"}, 1, outbox=(entry,))
    world.customers[record.customer_id] = record
    return record


async def test_a_flush_settles_one_batch_the_longest_published_first() -> None:
    world = World()
    store = MemoryStore(world, Process("p"), retry_seconds=1.0, lease_ttl=10.0)
    settler = Settler(store, Lanes())
    records = [published(world, n) for n in range(BACKLOG)]
    for record in records:
        settler.published(record.customer_id, 1, 1)

    assert await settler.flush() == SETTLE_BATCH
    left = sorted(c for c, r in world.customers.items() if r.outbox)
    assert left == [r.customer_id for r in records[SETTLE_BATCH:]]
    assert settler.pending == BACKLOG - SETTLE_BATCH
    assert world.leases == {}, "a flush gives its leases back"

    assert await settler.flush() == SETTLE_BATCH
    assert await settler.flush() == 10
    assert settler.pending == 0
    assert not any(r.outbox for r in world.customers.values())
