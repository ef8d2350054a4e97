"""The client side of every Kafka measurement: requests out, replies matched by correlation id.

One producer sends, one consumer reads the reply topics (all partitions assigned, so no group
to join). Closed loop (`exchange`): a semaphore keeps at most `window` requests in flight, so the
rate is whatever the answering side sustains. Open loop (`exchange_at_rate`): requests leave on a
fixed schedule whatever the replies do, and each latency runs from the request's scheduled time,
so a sender that falls behind cannot hide queueing (no coordinated omission). The same driver
measures the echo ceiling and the service, so the two differ only in what answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

CORRELATION_ID = "X-Correlation-Id"
STATUS_CODE = "Status-Code"


@dataclass(frozen=True, slots=True)
class Request:
    """One record to send; the driver adds its own `X-Correlation-Id`."""

    topic: str
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply to a request, with the times it was sent and received (`time.perf_counter`)."""

    status: int
    headers: dict[str, str]
    value: bytes | None
    sent: float
    received: float


@dataclass(frozen=True, slots=True)
class NoAnswer:
    """A request that got no reply: why, and when it was sent."""

    reason: str
    sent: float


Done = Callable[[], None]
"""Told each time a request is finished (answered or given up): drives a progress bar."""


def ignore() -> None:
    """The `Done` of a phase nobody watches."""


@dataclass(frozen=True, slots=True)
class Unsent:
    """A request never sent: its phase's time was up before its turn came."""


UNSENT = Unsent()


@dataclass(frozen=True, slots=True)
class Schedule:
    """What an open-loop send found: the answers in request order, and how far the sender fell
    behind its schedule at worst (seconds; large means the client, not the server, was slow)."""

    answers: list[Answer | NoAnswer]
    send_lag: float


class Driver:
    """Sends requests with at most `window` in flight and waits for their replies."""

    def __init__(
        self,
        bootstrap_servers: str,
        reply_topics: Sequence[str],
        *,
        partitions: int,
        window: int,
    ) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            client_id="benchmark-driver",
            acks="all",
            enable_idempotence=True,
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers,
            client_id="benchmark-driver",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._assignment = [TopicPartition(t, p) for t in reply_topics for p in range(partitions)]
        self._window = window
        self._pending: dict[str, asyncio.Future[Answer]] = {}
        self._reader: asyncio.Task[None] | None = None
        self.unmatched = 0
        """Replies no waiting request claimed (late replies, or replies to someone else)."""

    async def start(self) -> None:
        """Connect, and start reading the reply topics from their beginning."""
        await self._producer.start()
        await self._consumer.start()
        self._consumer.assign(self._assignment)
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        """Stop reading and disconnect."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._consumer.stop()
        await self._producer.stop()

    async def exchange(
        self,
        requests: Sequence[Request],
        deadline: float,
        on_done: Done = ignore,
        *,
        window: int | None = None,
        send_until: float | None = None,
    ) -> list[Answer | NoAnswer | Unsent]:
        """Send every request, at most `window` (default: the driver's) in flight, and wait for
        each reply until `deadline` (event-loop time). Requests whose turn comes after
        `send_until` are not sent at all (a phase bounded in time as well as in count)."""
        limit = asyncio.Semaphore(window or self._window)
        stop = math.inf if send_until is None else send_until
        return list(
            await asyncio.gather(
                *(self._windowed(r, limit, stop, deadline, on_done) for r in requests)
            )
        )

    async def exchange_at_rate(
        self,
        requests: Sequence[Request],
        rate: float,
        deadline: float,
        on_done: Done = ignore,
    ) -> Schedule:
        """Send request i at `i / rate` seconds from now, regardless of replies, and wait for
        every reply until `deadline` (event-loop time); latencies count from the schedule."""
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        lag = 0.0
        trips: list[asyncio.Task[Answer | NoAnswer]] = []
        for index, request in enumerate(requests):
            due = start + index / rate
            ahead = due - time.perf_counter()
            if ahead > 0:
                await asyncio.sleep(ahead)
            if loop.time() >= deadline:
                break
            lag = max(lag, time.perf_counter() - due)
            trips.append(asyncio.create_task(self._round_trip(request, due, deadline, on_done)))
        answers: list[Answer | NoAnswer] = list(await asyncio.gather(*trips))
        unsent: list[Answer | NoAnswer] = [
            NoAnswer("not sent before the deadline", start) for _ in requests[len(trips) :]
        ]
        return Schedule(answers + unsent, send_lag=lag)

    async def round_trip(
        self,
        request: Request,
        deadline: float,
        on_done: Done = ignore,
        *,
        sent: float | None = None,
    ) -> Answer | NoAnswer:
        """Send one request and wait for its reply until `deadline` (event-loop time); its
        latency counts from `sent` (`time.perf_counter`; default: now). For phases that keep
        no list of requests or answers (sustained.py)."""
        return await self._round_trip(
            request, time.perf_counter() if sent is None else sent, deadline, on_done
        )

    async def _windowed(
        self,
        request: Request,
        limit: asyncio.Semaphore,
        send_until: float,
        deadline: float,
        on_done: Done,
    ) -> Answer | NoAnswer | Unsent:
        async with limit:
            if asyncio.get_running_loop().time() >= send_until:
                on_done()
                return UNSENT
            return await self._round_trip(request, time.perf_counter(), deadline, on_done)

    async def _round_trip(
        self, request: Request, sent: float, deadline: float, on_done: Done
    ) -> Answer | NoAnswer:
        correlation_id = uuid.uuid4().hex
        arrival: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = arrival
        try:
            async with asyncio.timeout_at(deadline):
                await self._producer.send_and_wait(
                    request.topic,
                    request.value,
                    key=request.key,
                    headers=[(CORRELATION_ID, correlation_id.encode()), *request.headers],
                )
                answer = await arrival
        except TimeoutError:
            return NoAnswer("no reply before the deadline", sent)
        except KafkaError as exc:
            return NoAnswer(f"send failed: {type(exc).__name__}", sent)
        finally:
            self._pending.pop(correlation_id, None)
            on_done()
        return replace(answer, sent=sent)

    async def _read(self) -> None:
        async for record in self._consumer:
            received = time.perf_counter()
            headers = {k: (v or b"").decode(errors="replace") for k, v in record.headers}
            arrival = self._pending.get(headers.get(CORRELATION_ID, ""))
            if arrival is None or arrival.done():
                self.unmatched += 1
                continue
            status = headers.get(STATUS_CODE, "")
            code = int(status) if status.isdigit() else 0
            arrival.set_result(Answer(code, headers, record.value, sent=0.0, received=received))
