"""One key's holders run one at a time, in arrival order; other keys run beside them."""

from __future__ import annotations

import asyncio

from customer_async.protocol.lanes import Lanes


async def test_holders_of_one_key_run_in_arrival_order_and_alone() -> None:
    lanes = Lanes()
    order: list[str] = []
    inside = 0

    async def work(key: str, name: str, pause: float) -> None:
        nonlocal inside
        async with lanes.hold(key):
            inside += 1
            assert inside == 1 or key == "b"
            order.append(f"{name}+")
            await asyncio.sleep(pause)
            order.append(f"{name}-")
            inside -= 1

    await asyncio.gather(work("a", "a1", 0.02), work("a", "a2", 0), work("a", "a3", 0.01))
    assert order == ["a1+", "a1-", "a2+", "a2-", "a3+", "a3-"]
    assert len(lanes) == 0


async def test_different_keys_do_not_wait_for_each_other() -> None:
    lanes = Lanes()
    released = asyncio.Event()

    async def slow() -> None:
        async with lanes.hold("a"):
            await released.wait()

    holder = asyncio.create_task(slow())
    await asyncio.sleep(0)
    async with lanes.hold("b"):
        assert len(lanes) == 2
    released.set()
    await holder
    assert len(lanes) == 0
