"""Kafka in and out for the run: one idempotent producer for the requests, and one reader of
every reply (on the run's topic and the default ones, harness/topics.py) and notification into
the ledger.

Raw aiokafka beside the project's client, because the run needs what a client hides: resends with
the same correlation id, malformed records, and every reply (not only the first) per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from chaos.ledger import Ledger, Request, SeenEvent, SeenReply
from customer_async.client.errors import MalformedReply
from customer_async.client.replies import correlation_id_of, decode_headers, parse_reply
from customer_async.client.transport import KafkaConfig
from harness.topics import RunTopics

PARTITIONS = 3


class Wire:
    """The run's producer and its reader (a task filling the ledger)."""

    def __init__(self, config: KafkaConfig, topics: RunTopics, ledger: Ledger) -> None:
        self._config = config
        self._topics = topics
        self._ledger = ledger
        self._producer: Any = config.producer()
        self._consumer: Any = AIOKafkaConsumer(
            *topics.replies,
            topics.notification,
            bootstrap_servers=config.bootstrap_servers,
            client_id="chaos-reader",
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._producer.start()
        await self._consumer.start()
        self._reader = asyncio.create_task(self._read(), name="chaos-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await asyncio.gather(self._producer.stop(), self._consumer.stop(), return_exceptions=True)

    async def send(self, request: Request, deadline: float) -> bool:
        """Produce the request's record and wait for the broker's acknowledgement, retrying a
        failed send (a broker restart) until `deadline` (monotonic); False if it never went."""
        record = request.record
        while time.monotonic() < deadline:
            try:
                metadata = await self._producer.send_and_wait(
                    record.topic, record.value, key=record.key, headers=record.headers
                )
            except KafkaError:
                self._ledger.send_failures += 1
                await asyncio.sleep(1.0)
                continue
            request.sends.append(time.time())
            request.partition = (record.topic, metadata.partition)
            return True
        return False

    async def _read(self) -> None:
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=200)
            except KafkaError:
                await asyncio.sleep(0.5)  # the broker is away; the consumer reconnects itself
                continue
            received = time.time()
            for records in batches.values():
                for record in records:
                    if record.topic == self._topics.notification:
                        self._event(record, received)
                    else:
                        await self._reply(record, received)

    async def _reply(self, record: Any, received: float) -> None:
        try:
            reply = parse_reply(record.key, record.value, record.headers)
        except MalformedReply:
            correlation = correlation_id_of(record.headers) or ""
            reply_status, body, retry_after = 0, None, None
        else:
            correlation, reply_status, body = reply.correlation_id, reply.status, reply.body
            retry_after = _seconds(reply.headers.get("Retry-After"))
        await self._ledger.reply_seen(
            SeenReply(
                correlation_id=correlation,
                topic=record.topic,
                status=reply_status,
                body=body,
                produced=record.timestamp / 1000,
                received=received,
                retry_after=retry_after,
            )
        )

    def _event(self, record: Any, received: float) -> None:
        headers = decode_headers(record.headers)
        body: Any = None
        with contextlib.suppress(ValueError, TypeError):
            body = json.loads(record.value)
        version = headers.get("X-Resource-Version", "")
        event_id = body.get("eventId") if isinstance(body, dict) else None
        self._ledger.event_seen(
            SeenEvent(
                event_id=str(event_id),
                event_type=headers.get("eventType", ""),
                correlation_id=headers.get("X-Correlation-Id", ""),
                customer_id=(record.key or b"").decode(errors="replace"),
                version=int(version) if version.isdigit() else None,
                body=body,
                received=received,
            )
        )


def _seconds(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None
