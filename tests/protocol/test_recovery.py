"""What a process that died between a write and its publish leaves, and who publishes it: the next
write of the customer (first, in order), or the sweep of another process once the dead one's
ledger stopped beating. Directed cases of what the simulation searches for at random."""

from __future__ import annotations

import asyncio

from customer_async.protocol.sweep import PURGES_PER_RETENTION
from tests.protocol.memory import World
from tests.protocol.simulation import (
    LEASE_TTL,
    SETTINGS,
    Published,
    SimService,
    create,
    customer_id,
    patch,
)


def events(log: list[Published]) -> list[tuple[str, int | None]]:
    return [(p.correlation_id, p.version) for p in log if p.event_id is not None]


def died_after_writing(world: World, log: list[Published]) -> SimService:
    """A process whose create of customer 0 landed, then it died before publishing anything."""
    writer = SimService(world, "writer", log)
    writer.process.die_in = 2  # the ledger's first write, then the insert: lands, then gone
    writer.process.die_after_landing = True
    alive = asyncio.run(writer.handle(create(0), ("requests", 0), 0))
    assert not alive
    assert customer_id(0) in world.customers
    assert log == []
    return writer


def test_the_next_write_publishes_what_a_dead_process_left_first() -> None:
    world, log = World(), list[Published]()
    died_after_writing(world, log)
    other = SimService(world, "other", log)
    world.clock.seconds += LEASE_TTL + 1  # the dead writer's lease expires
    assert asyncio.run(other.handle(patch(0, 1), ("requests", 0), 1))
    assert events(log) == [("create-0", 1), ("patch-0-1", 2)]


def test_a_gone_process_is_recovered_by_another_s_sweep_and_its_ledger_removed() -> None:
    world, log = World(), list[Published]()
    writer = died_after_writing(world, log)
    assert writer.ledger.run in world.ledgers
    sweeper = SimService(world, "sweeper", log)
    asyncio.run(sweeper.sweep())
    assert events(log) == [], "not gone yet: its heartbeat is recent"
    world.clock.seconds += LEASE_TTL + 1
    asyncio.run(sweeper.sweep())
    assert events(log) == [("create-0", 1)]
    assert world.ledgers == {}
    assert world.customers[customer_id(0)].outbox == (), "settled by the recovery"
    asyncio.run(sweeper.sweep())
    assert events(log) == [("create-0", 1)], "published once"


def test_only_a_runs_first_purge_looks_for_tombstones_stored_without_the_mark() -> None:
    world, log = World(), list[Published]()
    service = SimService(world, "sweeper", log)
    every = SETTINGS.tombstone_retention_seconds / PURGES_PER_RETENTION
    for _ in range(3):
        world.clock.seconds += every
        asyncio.run(service.sweep())
    assert service.store.purges == [True, False, False]
