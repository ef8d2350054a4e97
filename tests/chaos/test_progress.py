"""The chaos run's gate between customers and faults: a fault that needs load to happen lets the
customers it holds back go on, and only those."""

from __future__ import annotations

import asyncio

from chaos.workload import Progress


async def passes(progress: Progress, faults: int) -> bool:
    """Whether a customer that waits for `faults` faults to be over may start now."""
    try:
        await asyncio.wait_for(progress.faults_ended(faults), 0.05)
    except TimeoutError:
        return False
    return True


async def test_a_fault_that_lets_past_releases_its_own_customers_only() -> None:
    progress = Progress()
    assert await passes(progress, 0)
    assert not await passes(progress, 1), "the first fault is not over"
    await progress.let_past()
    assert await passes(progress, 1)
    assert not await passes(progress, 2), "the next fault still holds its customers"
    await progress.fault_over()
    assert await passes(progress, 1)
    assert not await passes(progress, 2), "the allowance ends with its fault"
    await progress.fault_over()
    assert await passes(progress, 2)
