"""The client's Kafka side: connection options, the reply topic, consumers positioned on demand.

The only module of the client that imports aiokafka besides `events.py`; Kafka errors become
`BrokerUnavailable` or `TopicNotFound` here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from customer_async.client.errors import BrokerUnavailable, MalformedReply, TopicNotFound
from customer_async.client.replies import PendingReplies, correlation_id_of, parse_reply

log = logging.getLogger(__name__)

_MAX_BACKOFF = 5.0


@dataclass(frozen=True, slots=True)
class KafkaConfig:
    """Where the broker is and how to talk to it; `options` go to every aiokafka client
    (`security_protocol`, `ssl_context`, `sasl_mechanism`, …)."""

    bootstrap_servers: str
    client_id: str = "customer-async-client"
    options: Mapping[str, Any] = field(default_factory=dict)

    def producer(self) -> AIOKafkaProducer:
        """An idempotent producer that waits for all in-sync replicas."""
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            **self.options,
        )

    def consumer(self, group_id: str | None = None, *, from_beginning: bool = False) -> Any:
        """A consumer that commits only when told to (`Any`: aiokafka ships no type hints)."""
        return AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=self.client_id,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if from_beginning else "latest",
            **self.options,
        )


@contextlib.asynccontextmanager
async def broker_errors(what: str) -> AsyncIterator[None]:
    """Translate aiokafka's errors into `BrokerUnavailable` naming what was being done."""
    try:
        yield
    except KafkaError as exc:
        raise BrokerUnavailable(f"{what}: {exc}") from exc


async def ensure_topic(config: KafkaConfig, topic: str, partitions: int, replicas: int) -> None:
    """Create `topic` unless it exists (another client may create it at the same moment)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=config.bootstrap_servers, client_id=config.client_id, **config.options
    )
    async with broker_errors(f"creating topic {topic}"):
        await admin.start()
        try:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([NewTopic(topic, partitions, replicas)])
        finally:
            await admin.close()


async def require_topic(consumer: Any, topic: str, wait: float) -> None:
    """Return once `topic` exists, looking for up to `wait` seconds (a topic just created takes
    a moment to show); `TopicNotFound` after that. Reading all metadata never creates a topic."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        async with broker_errors(f"reading metadata of {topic}"):
            if topic in await consumer.topics():
                return
        if loop.time() >= deadline:
            raise TopicNotFound(topic)
        await asyncio.sleep(0.1)


async def read_whole_topic(consumer: Any, topic: str, wait: float) -> list[TopicPartition]:
    """Read every partition of `topic` (no group) and fix the start position now, so that
    nothing produced after this returns can be missed. Where it starts (end or beginning) is the
    consumer's `auto_offset_reset`: resolving the position applies it (an explicit seek would
    wait for the fetcher's long poll)."""
    await require_topic(consumer, topic, wait)
    consumer.subscribe([topic])  # without a group: all its partitions, assigned from metadata
    try:
        async with asyncio.timeout(wait):
            while not consumer.assignment():  # noqa: ASYNC110 - aiokafka has no event for it
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise TopicNotFound(topic) from None
    partitions = sorted(consumer.assignment())
    async with broker_errors(f"positioning on {topic}"):
        for partition in partitions:
            await consumer.position(partition)
    return partitions


async def read_replies(consumer: Any, pending: PendingReplies) -> None:
    """Hand every reply on the assigned topic to the call waiting for it, until cancelled.

    Broker errors back off and retry; a reply that breaks the contract fails only its own call.
    """
    backoff = 0.1
    while True:
        try:
            batches = await consumer.getmany(timeout_ms=1000)
        except KafkaError as exc:
            log.warning("reading replies failed, retrying in %.1f s: %s", backoff, exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)
            continue
        backoff = 0.1
        for records in batches.values():
            for record in records:
                correlation_id = correlation_id_of(record.headers)
                if correlation_id not in pending:
                    continue  # another client's reply on a shared topic, or a late one
                try:
                    reply = parse_reply(record.key, record.value, record.headers)
                except MalformedReply as exc:
                    pending.deliver(correlation_id, exc)
                else:
                    pending.deliver(correlation_id, reply)
