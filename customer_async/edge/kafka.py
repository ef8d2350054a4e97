"""aiokafka at the edge: the request consumer, the reply/event producer, and topic creation.

Only this module imports aiokafka. Broker errors are retried until the broker answers, by the
one retry policy (protocol/retry.py): a broker restart delays replies, it does not lose them.
Offsets are committed only after delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    InvalidTopicError,
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    TopicAlreadyExistsError,
    TopicAuthorizationFailedError,
)

from customer_async.edge.decode import TRACE_HEADERS
from customer_async.edge.encode import event_record, reply_record
from customer_async.edge.kafka_security import kafka_client_options
from customer_async.edge.records import HANDLING, IncomingRecord, OutgoingRecord
from customer_async.interfaces import NO_METRICS, Metrics
from customer_async.log_limits import OutageLog
from customer_async.offsets import Partition
from customer_async.protocol.retry import BROKER_BACKOFF, RetryPolicy
from customer_async.replies import refused_reply
from customer_async.settings import Settings
from customer_async.types import Event, Reply, ReplyAddress

log = logging.getLogger(__name__)
_FETCH_HEADROOM_BYTES = 64 * 1024

_POSITION_TIMEOUT = 1.0
"""Seconds a metrics scrape waits for a partition's position before leaving its lag out."""
_REFUSED_FOR_GOOD = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    InvalidTopicError,
    TopicAuthorizationFailedError,
)
"""Producer errors no retry cures; any other (a timeout too) is a broker away, and retried."""
DEAD_LETTER_REASON = "X-Dead-Letter-Reason"


def _broker_error(exc: Exception) -> bool:
    """Connecting, joining or creating topics: every broker error is waited out."""
    return isinstance(exc, KafkaError)


def _broker_away(exc: Exception) -> bool:
    """Sending: a broker error is waited out unless it refuses the record for good."""
    return isinstance(exc, KafkaError) and not isinstance(exc, _REFUSED_FOR_GOOD)


def dead_letter_topic(settings: Settings) -> str:
    """Where records go that no reply can be addressed to, the reason in a header."""
    return f"{settings.topic_prefix}.customerManagement.v5.deadLetter"


class KafkaSink:
    """Publishes events then the reply with an idempotent, acks=all producer."""

    def __init__(self, settings: Settings, metrics: Metrics = NO_METRICS) -> None:
        self._notification_topic = settings.notification_topic
        self._dead_letter_topic = dead_letter_topic(settings)
        self._metrics = metrics
        self._started = False
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.group_id}-producer",
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            max_request_size=max(settings.max_request_bytes * 2, 1_048_576),
            **kafka_client_options(settings),
        )
        self._outage = OutageLog("kafka producer", log)
        self._connecting = RetryPolicy(self._outage, _broker_error, BROKER_BACKOFF)
        self._sending = RetryPolicy(self._outage, _broker_away, BROKER_BACKOFF)

    async def start(self) -> None:
        """Connect, retrying until the broker answers."""
        await self._connecting.run("connect", self._producer.start)
        self._started = True

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""
        self._started = False
        await self._producer.stop()

    @property
    def connected(self) -> bool:
        """Started, and the last send did not fail (readiness)."""
        return self._started and not self._outage.failures

    async def deliver(self, batch: Sequence[tuple[ReplyAddress, Reply, Sequence[Event]]]) -> None:
        """Send each item's events, then its reply, in order; return once all are acknowledged.

        Every record is handed to the producer before any acknowledgement is awaited: one
        customer's events share a partition (their key), and the idempotent producer keeps a
        partition's records in the order they were sent.
        """
        records: list[OutgoingRecord] = []
        for address, reply, events in batch:
            records.extend(self._event_records(address, events))
            records.append(_reply_record(address, reply))
        try:
            await self._sending.run("send", lambda: self._send_all(records))
        except _REFUSED_FOR_GOOD as exc:
            log.error("the broker refused a record for good (%r); sending one at a time", exc)
            for address, reply, events in batch:
                await self._deliver_refused(address, reply, events)
        for _, _, events in batch:
            for event in events:
                self._metrics.event_published(event.event_type)

    def _event_records(
        self, address: ReplyAddress, events: Sequence[Event]
    ) -> list[OutgoingRecord]:
        trace = [(n, v) for n, v in address.echo if n in TRACE_HEADERS]
        return [event_record(event, self._notification_topic, trace) for event in events]

    async def _deliver_refused(
        self, address: ReplyAddress, reply: Reply, events: Sequence[Event]
    ) -> None:
        """One item, record by record: a refused event is dead-lettered, a refused reply becomes
        a small 500 error reply, and a refused error reply a dead letter."""
        for record in self._event_records(address, events):
            if reason := await self._send_or_refusal(record):
                await self._dead_letter(address, f"event not published: {reason}")
        reason = await self._send_or_refusal(_reply_record(address, reply))
        if reason is None:
            return
        fallback = refused_reply(reply, reason, too_large="TooLarge" in reason)
        if again := await self._send_or_refusal(_reply_record(address, fallback)):
            await self._dead_letter(address, f"reply not published: {reason}; then {again}")

    async def _send_or_refusal(self, record: OutgoingRecord) -> str | None:
        """Send `record` (retrying what a retry cures); why the broker refused it, or None."""
        try:
            await self._sending.run("send", lambda: self._send_all([record]))
        except _REFUSED_FOR_GOOD as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    async def _dead_letter(self, address: ReplyAddress, reason: str) -> None:
        """A small record on the dead-letter topic naming the request and the reason."""
        log.error(
            "dead letter for %s %s: %s", address.request_topic, address.correlation_id, reason
        )
        headers = [
            (DEAD_LETTER_REASON, reason.encode()),
            ("X-Correlation-Id", address.correlation_id.encode()),
            ("X-Request-Channel", address.request_topic.encode()),
            ("Reply-Channel", address.channel.encode()),
        ]
        request = HANDLING.get()
        if request is not None and request.topic == address.request_topic:
            headers += [
                ("X-Request-Partition", str(request.partition).encode()),
                ("X-Request-Offset", str(request.offset).encode()),
            ]
        key = None if address.request_key is None else address.request_key.encode()
        record = OutgoingRecord(self._dead_letter_topic, key, b"", headers)
        if again := await self._send_or_refusal(record):
            log.error("the dead letter was refused too, nothing more to try: %s", again)

    async def _send_all(self, records: list[OutgoingRecord]) -> None:
        acks = [
            await self._producer.send(r.topic, r.value, key=r.key, headers=r.headers)
            for r in records
        ]
        await asyncio.gather(*acks)


Revoked = Callable[[set[Partition]], Awaitable[None]]
"""Told which partitions this member is about to lose, before the group reassigns them."""


class _Revocations(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, revoked: Revoked, assigned: Callable[[], None]) -> None:
        self._revoked = revoked
        self._assigned = assigned

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._revoked({(tp.topic, tp.partition) for tp in revoked})

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        del assigned  # none at all is still a member of the group
        self._assigned()


class RequestConsumer:
    """The consumer group member reading the five request topics, committing by hand."""

    def __init__(self, settings: Settings, topics: Sequence[str]) -> None:
        self._topics = list(topics)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=settings.group_id,
            group_instance_id=settings.group_instance_id,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            client_id=f"{settings.group_id}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # Room for one largest request (and its headers) per fetch, no more: records are
            # handled as they arrive, and prefetched bytes are only memory held (the broker
            # returns a first batch larger than these limits whole, so nothing gets stuck).
            max_partition_fetch_bytes=settings.max_request_bytes + _FETCH_HEADROOM_BYTES,
            fetch_max_bytes=settings.max_request_bytes + _FETCH_HEADROOM_BYTES,
            **kafka_client_options(settings),
        )
        self._outage = OutageLog("kafka consumer", log)
        self._joining = RetryPolicy(self._outage, _broker_error, BROKER_BACKOFF)
        self._joined = False

    async def start(self, revoked: Revoked) -> None:
        """Join the group, retrying until the broker answers; `revoked` runs before a rebalance."""
        self._consumer.subscribe(self._topics, listener=_Revocations(revoked, self._assigned))
        await self._joining.run("join", self._consumer.start)

    async def stop(self) -> None:
        """Leave the group."""
        self._joined = False
        await self._consumer.stop()

    def _assigned(self) -> None:
        self._joined = True

    @property
    def joined(self) -> bool:
        """Whether the group gave this member its share (maybe none) and polls do not fail."""
        return self._joined and not self._outage.failures

    async def lag(self) -> dict[Partition, int]:
        """Per assigned partition whose end is known: records not yet taken from it
        (highwater minus position); a partition that does not answer in time is left out."""
        lag: dict[Partition, int] = {}
        for tp in list(self._consumer.assignment()):
            if tp not in self._consumer.assignment():
                continue  # moved away while an earlier position was awaited
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue  # nothing fetched from it yet
            try:
                position = await asyncio.wait_for(self._consumer.position(tp), _POSITION_TIMEOUT)
            except (KafkaError, TimeoutError):  # IllegalStateError: no longer assigned
                continue
            lag[(tp.topic, tp.partition)] = max(highwater - position, 0)
        return lag

    async def poll(self, timeout_ms: int = 500, max_records: int = 500) -> list[IncomingRecord]:
        """The next batch of records (possibly none); broker errors wait and return none."""
        try:
            batch = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=max_records)
        except KafkaError as exc:
            self._outage.failed(exc)
            await asyncio.sleep(1.0)  # back off instead of spinning on a broker that is away
            return []
        self._outage.recovered()
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

    def pause(self) -> None:
        """Fetch nothing more from the assigned partitions (polls keep the membership alive)."""
        self._consumer.pause(*self._consumer.assignment())

    def resume(self) -> None:
        """Fetch again from every paused partition."""
        self._consumer.resume(*self._consumer.paused())

    async def commit(self, points: Mapping[Partition, int]) -> bool:
        """Commit each partition's point (the next offset to read). A lost partition's records
        come again; returns whether the broker took the commit."""
        if not points:
            return True
        offsets = {TopicPartition(topic, part): offset for (topic, part), offset in points.items()}
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError as exc:
            log.warning("commit refused after a rebalance; records will be redelivered: %s", exc)
        except KafkaError as exc:
            log.warning("commit failed; records will be redelivered: %s", exc)
        else:
            return True
        return False


async def ensure_topics(settings: Settings, topics: Sequence[str]) -> None:
    """Create the service's topics when missing (partitions from settings), retrying until done."""

    async def create_missing() -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers, **kafka_client_options(settings)
        )
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

    creating = RetryPolicy(OutageLog("kafka topic creation", log), _broker_error, BROKER_BACKOFF)
    await creating.run("create topics", create_missing)


def _reply_record(address: ReplyAddress, reply: Reply) -> OutgoingRecord:
    return reply_record(
        reply,
        reply_channel=address.channel,
        correlation_id=address.correlation_id,
        request_topic=address.request_topic,
        request_key=address.request_key,
        echo=address.echo,
    )
