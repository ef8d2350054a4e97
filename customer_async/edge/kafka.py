"""aiokafka at the edge: the request consumer, the reply/event producer, and topic creation.

Only this module imports aiokafka. Broker errors are retried with back-off (a broker restart
delays replies, it does not lose them); offsets are committed only after delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError

from customer_async.dispatch import ReplyAddress
from customer_async.edge.encode import event_record, reply_record
from customer_async.edge.records import IncomingRecord, OutgoingRecord
from customer_async.settings import Settings
from customer_async.types import Event, Reply

log = logging.getLogger(__name__)

_MAX_BACKOFF = 5.0


class KafkaSink:
    """Publishes events then the reply with an idempotent, acks=all producer."""

    def __init__(self, settings: Settings) -> None:
        self._notification_topic = settings.notification_topic
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.group_id}-producer",
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            max_request_size=max(settings.max_request_bytes * 2, 1_048_576),
        )

    async def start(self) -> None:
        """Connect, retrying until the broker answers."""
        await _retry_forever("producer start", self._producer.start)

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""
        await self._producer.stop()

    async def deliver(self, address: ReplyAddress, reply: Reply, events: Sequence[Event]) -> None:
        """Send the events, then the reply; return when the broker acknowledged all of them."""
        records = [event_record(event, self._notification_topic) for event in events]
        records.append(
            reply_record(
                reply,
                reply_channel=address.channel,
                correlation_id=address.correlation_id,
                request_topic=address.request_topic,
                request_key=address.request_key,
            )
        )
        await _retry_forever("publish", lambda: self._send_all(records))

    async def _send_all(self, records: list[OutgoingRecord]) -> None:
        acks = [
            await self._producer.send(r.topic, r.value, key=r.key, headers=r.headers)
            for r in records
        ]
        await asyncio.gather(*acks)


class RequestConsumer:
    """The consumer group member reading the five request topics, committing by hand."""

    def __init__(self, settings: Settings, topics: Sequence[str]) -> None:
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=settings.group_id,
            client_id=f"{settings.group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=max(settings.max_request_bytes * 2, 1_048_576),
        )

    async def start(self) -> None:
        """Join the group, retrying until the broker answers."""
        await _retry_forever("consumer start", self._consumer.start)

    async def stop(self) -> None:
        """Leave the group."""
        await self._consumer.stop()

    async def poll(self, timeout_ms: int = 500, max_records: int = 500) -> list[IncomingRecord]:
        """The next batch of records (possibly none); broker errors wait and return none."""
        try:
            batch = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        except KafkaError as exc:
            log.warning("consumer poll failed, retrying: %s", exc)
            await asyncio.sleep(1.0)
            return []
        return [
            IncomingRecord(
                topic=r.topic,
                partition=r.partition,
                offset=r.offset,
                key=r.key,
                value=r.value,
                headers=tuple(r.headers),
            )
            for records in batch.values()
            for r in records
        ]

    async def commit(self, records: Sequence[IncomingRecord]) -> None:
        """Commit past the given (delivered) records. A lost partition's records come again."""
        offsets: dict[TopicPartition, int] = {}
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            offsets[tp] = max(offsets.get(tp, 0), record.offset + 1)
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as exc:
            log.warning("commit refused after a rebalance; records will be redelivered: %s", exc)
        except KafkaError as exc:
            log.warning("commit failed; records will be redelivered: %s", exc)


async def ensure_topics(settings: Settings, topics: Sequence[str]) -> None:
    """Create the service's topics when missing (partitions from settings), retrying until done."""

    async def create_missing() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(
                    name=t,
                    num_partitions=settings.topic_partitions,
                    replication_factor=settings.topic_replication_factor,
                )
                for t in topics
                if t not in existing
            ]
            if missing:
                # Another instance may create them at the same moment.
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(missing)
        finally:
            await admin.close()

    await _retry_forever("topic creation", create_missing)


async def _retry_forever(what: str, operation: Callable[[], Awaitable[object]]) -> None:
    delay = 0.2
    while True:
        try:
            await operation()
            return
        except KafkaError as exc:
            log.warning("%s failed, retrying in %.1fs: %s", what, delay, exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_BACKOFF)
