"""The client side of every Kafka measurement: requests out, replies matched by correlation id.

One producer sends, one consumer reads the reply topics (all partitions assigned, so no group
to join), and a semaphore keeps at most `window` requests in flight. The same driver measures
the echo ceiling and the service, so the two differ only in what answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
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
        self._window = asyncio.Semaphore(window)
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
        self, requests: Sequence[Request], deadline: float
    ) -> list[Answer | NoAnswer]:
        """Send every request and wait for its reply until `deadline` (event-loop time)."""
        return list(await asyncio.gather(*(self._round_trip(r, deadline) for r in requests)))

    async def _round_trip(self, request: Request, deadline: float) -> Answer | NoAnswer:
        async with self._window:
            correlation_id = uuid.uuid4().hex
            arrival: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
            self._pending[correlation_id] = arrival
            sent = time.perf_counter()
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
