"""Group commit (customer_async/batching.py): who shares a batch, and who gets which outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextvars import ContextVar

import pytest

from customer_async.batching import Batched

CALLER_DEADLINE: ContextVar[float | None] = ContextVar("CALLER_DEADLINE", default=None)
"""Stands for what a caller's context may hold (pymongo.timeout's deadline, a trace)."""


class Recorder:
    """A `send` that records its batches; items named "bad" fail alone, "boom" fails the batch."""

    def __init__(self, pause: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.pause = pause
        self.deadlines: list[float | None] = []

    async def __call__(self, items: Sequence[str]) -> list[str | BaseException]:
        self.batches.append(list(items))
        self.deadlines.append(CALLER_DEADLINE.get())
        if "boom" in items:
            raise ConnectionError("the store went away")
        await asyncio.sleep(self.pause)
        return [ValueError(item) if item == "bad" else item.upper() for item in items]


async def test_calls_of_one_loop_turn_share_one_batch() -> None:
    send = Recorder()
    batched = Batched(send, max_batch=16, in_flight=2)
    results = await asyncio.gather(*(batched(f"c{i}") for i in range(5)))
    assert results == ["C0", "C1", "C2", "C3", "C4"]
    assert send.batches == [["c0", "c1", "c2", "c3", "c4"]]


async def test_a_lone_call_is_sent_alone_at_once() -> None:
    send = Recorder()
    batched = Batched(send, max_batch=16, in_flight=2)
    assert await batched("only") == "ONLY"
    assert await batched("next") == "NEXT"
    assert send.batches == [["only"], ["next"]]


async def test_batches_hold_at_most_max_batch_and_at_most_in_flight_are_out() -> None:
    send = Recorder(pause=0.01)
    out = 0
    most = 0

    async def counted(items: Sequence[str]) -> list[str | BaseException]:
        nonlocal out, most
        out += 1
        most = max(most, out)
        try:
            return await send(items)
        finally:
            out -= 1

    batched = Batched(counted, max_batch=3, in_flight=2)
    results = await asyncio.gather(*(batched(f"c{i}") for i in range(10)))
    assert results == [f"C{i}" for i in range(10)]
    assert all(len(batch) <= 3 for batch in send.batches)
    assert sorted(item for batch in send.batches for item in batch) == sorted(
        f"c{i}" for i in range(10)
    )
    assert most == 2


async def test_an_item_that_fails_alone_fails_only_its_caller() -> None:
    batched = Batched(Recorder(), max_batch=16, in_flight=1)
    outcomes = await asyncio.gather(
        batched("a"), batched("bad"), batched("b"), return_exceptions=True
    )
    assert outcomes[0] == "A"
    assert outcomes[2] == "B"
    assert isinstance(outcomes[1], ValueError)


async def test_a_failed_batch_fails_each_of_its_callers_and_the_next_batch_goes_on() -> None:
    send = Recorder()
    batched = Batched(send, max_batch=2, in_flight=1)
    outcomes = await asyncio.gather(
        batched("boom"), batched("x"), batched("y"), return_exceptions=True
    )
    assert [type(o) for o in outcomes[:2]] == [ConnectionError, ConnectionError]
    assert outcomes[2] == "Y"
    assert send.batches == [["boom", "x"], ["y"]]


async def test_a_caller_cancelled_while_waiting_is_left_out_of_the_batch() -> None:
    send = Recorder(pause=0.05)
    batched = Batched(send, max_batch=16, in_flight=1)
    first = asyncio.create_task(batched("first"))
    await asyncio.sleep(0.01)  # "first" is out; the next ones wait for the next batch
    gone = asyncio.create_task(batched("gone"))
    kept = asyncio.create_task(batched("kept"))
    await asyncio.sleep(0)
    gone.cancel()
    assert await first == "FIRST"
    assert await kept == "KEPT"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert send.batches == [["first"], ["kept"]]


async def test_a_callers_store_deadline_does_not_reach_the_batches_sent_for_others() -> None:
    send = Recorder()
    batched = Batched(send, max_batch=16, in_flight=1)
    CALLER_DEADLINE.set(5.0)
    assert await batched("with a deadline") == "WITH A DEADLINE"
    assert send.deadlines == [None]


def test_a_batch_holds_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Batched(Recorder(), max_batch=0, in_flight=1)
