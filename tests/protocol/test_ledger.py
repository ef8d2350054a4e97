"""The ledger: numbers reserved before they are issued, `published` only past every pending
number, other runs read once and remembered, and a silent run found and recovered."""

from __future__ import annotations

import dataclasses

from customer_async.protocol.ledger import BLOCK, outbox_published, unrecovered
from customer_async.protocol.record import CustomerRecord, Publication, Stamp
from customer_async.types import ReplyAddress
from tests.protocol.memory import MemoryStore, Process, World

TTL = 10.0


def store(world: World, name: str = "p") -> MemoryStore:
    return MemoryStore(world, Process(name), retry_seconds=1.0, lease_ttl=TTL)


def with_outbox(stamp: Stamp | None) -> CustomerRecord:
    entry = Publication(1, "k", ReplyAddress("replies", "c", "requests"))
    return CustomerRecord("c", {"name": "x"}, 1, outbox=(entry,), stamp=stamp)


async def test_a_block_is_reserved_in_the_store_before_its_first_number_is_issued() -> None:
    world = World()
    ledger = store(world).ledger()
    assert world.ledgers == {}
    first = await ledger.stamp("c1")
    assert (first.number, world.ledgers[ledger.run].reserved) == (1, BLOCK)
    for n in range(BLOCK - 1):
        await ledger.stamp(f"c{n}")
    assert world.ledgers[ledger.run].reserved == BLOCK
    await ledger.stamp("past the block")
    assert world.ledgers[ledger.run].reserved == 2 * BLOCK


async def test_published_stops_below_the_oldest_pending_number() -> None:
    world = World()
    ledger = store(world).ledger()
    one, two, three = [await ledger.stamp(c) for c in ("a", "b", "c")]
    ledger.done(two)
    ledger.done(three)
    await ledger.flush()
    assert world.ledgers[ledger.run].published == 0, "number 1 is still pending"
    assert not await ledger.published_outbox(with_outbox(one))
    assert await ledger.published_outbox(with_outbox(two))
    ledger.done(one)
    await ledger.flush()
    assert world.ledgers[ledger.run].published == 3
    assert ledger.pending == 0


async def test_another_run_is_read_once_and_a_run_without_ledger_has_published_all() -> None:
    world = World()
    writer = store(world, "writer").ledger()
    reader = store(world, "reader").ledger()
    stamps = [await writer.stamp(c) for c in ("a", "b")]
    writer.done(stamps[0])
    await writer.flush()
    before = world.commands
    assert await reader.published_outbox(with_outbox(stamps[0]))
    assert not await reader.published_outbox(with_outbox(stamps[1]))
    assert world.commands - before == 2, "an uncovered number is read again, a covered one not"
    assert await reader.published_outbox(with_outbox(stamps[0]))
    assert world.commands - before == 2
    assert await reader.published_outbox(with_outbox(Stamp("recovered/run", 7)))
    assert await reader.published_outbox(with_outbox(Stamp("recovered/run", 8)))
    assert world.commands - before == 3, "a run without a ledger is read once"
    assert not await reader.published_outbox(with_outbox(None)), "unstamped: the sweep's"


async def test_a_silent_run_is_gone_after_its_ttl_and_leaves_its_unpublished_range() -> None:
    world = World()
    silent = store(world, "silent").ledger()
    sweeper = store(world, "sweeper").ledger()
    for customer in ("a", "b", "c"):
        silent.done(await silent.stamp(customer))
    await silent.stamp("d")
    await silent.flush()
    assert await sweeper.gone() == []
    world.clock.seconds += TTL + 1
    [gone] = await sweeper.gone()
    assert gone.run == silent.run
    assert unrecovered(gone) == [Stamp(silent.run, n) for n in range(4, BLOCK + 1)]
    await silent.flush()  # it beats after all: alive
    await sweeper.forget(gone)
    assert silent.run in world.ledgers, "a run that beat since is not forgotten"
    world.clock.seconds += TTL + 1
    [gone] = await sweeper.gone()
    await sweeper.forget(gone)
    assert silent.run not in world.ledgers
    assert await silent.gone() == []


async def test_a_run_silent_for_half_its_ttl_writes_its_ledger_before_it_stamps() -> None:
    world = World()
    ledger = store(world).ledger()
    await ledger.stamp("a")
    world.ledgers.clear()  # taken for gone and recovered while it was silent
    world.clock.seconds += TTL / 2
    await ledger.stamp("b")
    assert world.ledgers[ledger.run].published == 0, "written back before the number was used"


async def test_a_stop_removes_the_ledger_only_with_nothing_pending() -> None:
    world = World()
    ledger = store(world).ledger()
    stamp = await ledger.stamp("a")
    await ledger.close()
    assert world.ledgers[ledger.run].published == 0
    ledger.done(stamp)
    await ledger.close()
    assert world.ledgers == {}


def test_an_outbox_is_published_by_its_runs_number() -> None:
    stamp = Stamp("run", 5)
    assert outbox_published(with_outbox(stamp), {"run": 5})
    assert not outbox_published(with_outbox(stamp), {"run": 4})
    assert outbox_published(with_outbox(stamp), {"another run": 0})
    assert not outbox_published(with_outbox(None), {})
    assert outbox_published(dataclasses.replace(with_outbox(None), outbox=()), {})
