"""Group commit: concurrent calls of one store command share a batch.

The records of one poll are handled as concurrent tasks, and the creates among them each insert a
document at nearly the same moment. Sent one command each, the store pays its per-command cost
(a round trip, a transaction, on FerretDB a PostgreSQL statement) for every one; sent as one
`insert_many`, once per batch. Measured on the local stack (FerretDB v1 on PostgreSQL, the
service's stored customer, 3,000 inserts): 808-1,208 a second one `insert_one` at a time with 64
in flight, 3,265 in batches of 16 with 4 in flight, 1,782 in batches of 64 one at a time — the
store works on a few batches in parallel best.

`Batched` collects the calls made while it is busy: the first call of an idle moment waits one
turn of the event loop (so the other tasks of its poll can join it) and is then sent; calls that
arrive while `in_flight` batches are out wait for the next batch. Nothing waits on a timer, so a
lone call costs one loop turn, not a delay.

Each caller gets its own item's outcome: a result, or the exception the batch raised for it
(`send` returns one per item: a value, or an exception instance for an item that failed alone).
A failure of the whole command fails every caller of that batch, each of which retries on its
own (the store's retry policy), joining a later batch. A caller cancelled before its batch was
sent is left out of it; one cancelled after has its item sent anyway — the same as a single
command whose caller gave up while the command was on the wire.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

Send = Callable[[Sequence[Item]], Awaitable[Sequence[Result | BaseException]]]


class Batched(Generic[Item, Result]):
    """`await batched(item)`: `send([item, ...])` for the items of concurrent callers, at most
    `max_batch` at a time and at most `in_flight` batches out at once."""

    def __init__(self, send: Send[Item, Result], *, max_batch: int, in_flight: int) -> None:
        if max_batch < 1 or in_flight < 1:
            raise ValueError("a batch holds at least one item, and at least one batch is sent")
        self._send = send
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._waiting: deque[tuple[Item, asyncio.Future[Result]]] = deque()
        self._senders: set[asyncio.Task[None]] = set()

    async def __call__(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if len(self._senders) < self._in_flight:
            # A context of its own: the sender outlives its first caller, whose context may hold
            # a deadline (pymongo.timeout) or a trace that must not apply to later batches.
            sender = asyncio.create_task(self._send_waiting(), context=contextvars.Context())
            self._senders.add(sender)
            sender.add_done_callback(self._senders.discard)
        return await future

    async def _send_waiting(self) -> None:
        await asyncio.sleep(0)  # one turn: the other tasks of this poll join the batch
        while batch := self._take():
            try:
                outcomes = await self._send([item for item, _ in batch])
                if len(outcomes) != len(batch):
                    raise RuntimeError(f"{len(outcomes)} outcomes for a batch of {len(batch)}")
            except BaseException as failed:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(failed)
                if not isinstance(failed, Exception):
                    raise  # cancelled (the loop is closing) or exiting: after telling the callers
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    def _take(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        while self._waiting and len(batch) < self._max_batch:
            item, future = self._waiting.popleft()
            if not future.done():  # its caller was cancelled while it waited
                batch.append((item, future))
        return batch
