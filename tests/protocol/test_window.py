"""The recognition window: a customer's next write waits while `keep` of its writes from one
partition are uncommitted, and goes on once the commit point passes them."""

from __future__ import annotations

import asyncio

from customer_async.protocol.window import RecognitionWindow

P = ("requests", 0)
Q = ("requests", 1)


async def test_a_write_waits_for_the_commit_past_the_earlier_ones() -> None:
    window = RecognitionWindow(keep=2)
    await window.room(P, "c")
    window.applied(P, "c", 10)
    await window.room(P, "c")
    window.applied(P, "c", 11)
    waiting = asyncio.create_task(window.room(P, "c"))
    await asyncio.sleep(0.01)
    assert not waiting.done(), "a third uncommitted write would outrun what the customer keeps"
    await window.room(P, "d")  # another customer is not held up
    await window.room(Q, "c")  # nor the same customer's writes from another partition
    await window.committed({P: 11})  # offset 10 is committed, 11 not yet
    await asyncio.wait_for(waiting, 1)
    assert window.uncommitted(P, "c") == 1


async def test_losing_the_partition_releases_the_waiting_writes() -> None:
    window = RecognitionWindow(keep=1)
    window.applied(P, "c", 3)
    waiting = asyncio.create_task(window.room(P, "c"))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    await window.forget([P])
    await asyncio.wait_for(waiting, 1)
    assert window.uncommitted(P, "c") == 0
