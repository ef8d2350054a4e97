"""A test client of the service over real Kafka: sends commands, collects replies and events."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from customer_async import schemas
from customer_async.client import CustomerClient
from customer_async.errors import SchemaViolation
from customer_async.settings import Settings
from customer_async.types import Operation
from tests.asyncapi_support import header_schema_names, payload_schema_names

REPLY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Received:
    """A reply or event record as a client sees it."""

    topic: str
    key: str | None
    headers: dict[str, str]
    value: bytes | None

    @property
    def status(self) -> int:
        return int(self.headers["Status-Code"])

    @property
    def body(self) -> Any:
        return None if not self.value else json.loads(self.value)


class ServiceClient:
    """Talks to one service deployment (one topic prefix) the way another service would."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        prefix = re.escape(settings.topic_prefix)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers, acks="all"
        )
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            metadata_max_age_ms=500,
        )
        self._pattern = rf"^{prefix}\..*(commandReply|notificationEvent)$"
        self._by_correlation: dict[str, list[Received]] = defaultdict(list)
        self.events: list[Received] = []
        self._read_to: dict[TopicPartition, int] = {}
        self._arrived = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self.contract_violations: list[str] = []

    async def start(self) -> None:
        await self._producer.start()
        await self._consumer.start()
        self._consumer.subscribe(pattern=self._pattern)
        self._reader = asyncio.create_task(self._read())

    async def stop(self) -> None:
        """Stop; fails if any record received broke the schemas asyncapi.yaml declares."""
        if self._reader is not None:
            self._reader.cancel()
        await self._consumer.stop()
        await self._producer.stop()
        assert not self.contract_violations, "\n".join(self.contract_violations)

    def _check_contract(self, received: Received) -> None:
        """Validate headers and payload against the schemas asyncapi.yaml names for the channel."""
        if received.topic == self.settings.notification_topic:
            declared_by = received.headers.get("eventType", "")
        else:
            request = received.headers.get("X-Request-Channel", "")
            declared_by = request.split(".")[-2] if request.count(".") >= 2 else ""
        checks: list[tuple[list[str], Any]] = [(header_schema_names(declared_by), received.headers)]
        if received.value:
            checks.append((payload_schema_names(declared_by), received.body))
        for names, instance in checks:
            errors = []
            for name in names:
                try:
                    schemas.validate(name, instance)
                    break
                except SchemaViolation as exc:
                    errors.append(f"{name}: {exc.message}")
            else:
                self.contract_violations.append(
                    f"{received.topic} ({declared_by}) matches none of {names}: {errors}"
                )

    async def _read(self) -> None:
        async for record in self._consumer:
            received = Received(
                topic=record.topic,
                key=None if record.key is None else record.key.decode(),
                headers={k: v.decode() for k, v in record.headers},
                value=record.value,
            )
            self._check_contract(received)
            async with self._arrived:
                if record.topic == self.settings.notification_topic:
                    self.events.append(received)
                else:
                    self._by_correlation[received.headers.get("X-Correlation-Id", "")].append(
                        received
                    )
                self._read_to[TopicPartition(record.topic, record.partition)] = record.offset + 1
                self._arrived.notify_all()

    async def create_topic(self, name: str) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(name, 1, 1)])
        finally:
            await admin.close()

    async def send(
        self,
        operation: Operation,
        payload: Any = None,
        *,
        parameters: dict[str, Any] | None = None,
        correlation_id: str | None = "auto",
        reply_channel: str | None = None,
        content_type: str | None = None,
        raw_value: bytes | None = None,
        raw_headers: list[tuple[str, bytes]] | None = None,
        key: str | None = None,
    ) -> str | None:
        """Produce one command; returns the correlation id it carries (None if it has none)."""
        if correlation_id == "auto":
            correlation_id = str(uuid.uuid4())
        headers: list[tuple[str, bytes]] = []
        if correlation_id is not None:
            headers.append(("X-Correlation-Id", correlation_id.encode()))
        if reply_channel is not None:
            headers.append(("Reply-Channel", reply_channel.encode()))
        if parameters is not None:
            headers.append(("Parameters", json.dumps(parameters).encode()))
        if content_type is not None:
            headers.append(("Content-Type", content_type.encode()))
        headers.extend(raw_headers or [])
        value = raw_value
        if value is None:
            # aiokafka refuses a record with neither key nor value; the contract allows empty.
            value = b"" if payload is None else json.dumps(payload).encode()
        await self._producer.send_and_wait(
            self.settings.request_topic(operation),
            value,
            key=None if key is None else key.encode(),
            headers=headers,
        )
        return correlation_id

    async def wait_for(self, predicate: Any, timeout: float = REPLY_TIMEOUT) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(predicate), timeout)

    async def reply(self, correlation_id: str, timeout: float = REPLY_TIMEOUT) -> Received:
        """The first reply carrying `correlation_id`."""
        await self.wait_for(lambda: bool(self._by_correlation.get(correlation_id)), timeout)
        return self._by_correlation[correlation_id][0]

    async def read_up_to_now(self, topics: Collection[str], timeout: float = REPLY_TIMEOUT) -> None:
        """Returns once every record already on `topics` has been read, and so checked against
        the contract; lets this client watch the records another client of the test receives."""
        async with asyncio.timeout(timeout):
            # A topic created after `start` joins the pattern subscription at a metadata refresh.
            while not set(topics) <= {tp.topic for tp in self._consumer.assignment()}:  # noqa: ASYNC110 - aiokafka has no event for it
                await asyncio.sleep(0.05)
        partitions = [tp for tp in self._consumer.assignment() if tp.topic in topics]
        ends: dict[TopicPartition, int] = await self._consumer.end_offsets(partitions)
        await self.wait_for(
            lambda: all(self._read_to.get(tp, 0) >= end for tp, end in ends.items()), timeout
        )

    def replies(self, correlation_id: str) -> list[Received]:
        return list(self._by_correlation.get(correlation_id, []))

    def replies_on(self, topic: str) -> list[Received]:
        return [r for rs in self._by_correlation.values() for r in rs if r.topic == topic]

    async def call(self, operation: Operation, payload: Any = None, **kwargs: Any) -> Received:
        """Send a command and wait for its reply."""
        correlation_id = await self.send(operation, payload, **kwargs)
        assert correlation_id is not None
        return await self.reply(correlation_id)

    async def events_for(
        self, correlation_id: str, count: int, timeout: float = REPLY_TIMEOUT
    ) -> list[Received]:
        """Wait until `count` events caused by `correlation_id` arrived; return them all."""

        def matching() -> list[Received]:
            return [e for e in self.events if e.headers.get("X-Correlation-Id") == correlation_id]

        await self.wait_for(lambda: len(matching()) >= count, timeout)
        return matching()


@contextlib.asynccontextmanager
async def watched_customer_client(
    settings: Settings, watcher: ServiceClient | None = None, **options: Any
) -> AsyncIterator[CustomerClient]:
    """A started `CustomerClient` of the deployment `settings` describe, on a reply topic of its
    own (under the settings' topic prefix), for tests that use the service as a caller would.

    Before it closes, `watcher` (a `ServiceClient` of its own when none is given) reads every
    reply and event on its topics, and so checks them against the schemas `asyncapi.yaml`
    declares, as it does for raw records. `options` go to `CustomerClient` (`timeout`: 60 s).
    """
    own = watcher is None
    if watcher is None:
        watcher = ServiceClient(settings)
        await watcher.start()
    try:
        async with CustomerClient.from_settings(settings, **{"timeout": 60.0, **options}) as client:
            yield client
            await watcher.read_up_to_now([client.reply_topic, settings.notification_topic])
    finally:
        if own:
            await watcher.stop()
