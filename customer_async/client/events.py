"""Customer events from the notification topic, optionally filtered by type and customer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Final

from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError

from customer_async.client.errors import BrokerUnavailable
from customer_async.client.replies import RawHeaders, decode_headers
from customer_async.client.transport import (
    KafkaConfig,
    broker_errors,
    read_whole_topic,
    require_topic,
)

log = logging.getLogger(__name__)

EVENT_TYPES: Final = (
    "CustomerCreateEvent",
    "CustomerAttributeValueChangeEvent",
    "CustomerStateChangeEvent",
    "CustomerDeleteEvent",
)

_SHORT_NAMES: Final = {
    name.removeprefix("Customer").removesuffix("Event").lower(): name for name in EVENT_TYPES
}


def event_type_name(name: str) -> str:
    """The full event type for a full or short name, any case: `create`, `stateChange`,
    `attributeValueChange`, `delete` or `CustomerCreateEvent`…; `ValueError` otherwise."""
    for full in EVENT_TYPES:
        if name.lower() == full.lower():
            return full
    if (full_name := _SHORT_NAMES.get(name.lower())) is not None:
        return full_name
    raise ValueError(f"unknown event type {name!r}; one of {', '.join(EVENT_TYPES)}")


@dataclass(frozen=True, slots=True)
class CustomerEvent:
    """One notification: its identity, what it is about, and the whole body as published."""

    event_type: str
    customer_id: str | None
    event_id: str | None
    event_time: str | None
    correlation_id: str | None
    body: Mapping[str, Any]
    partition: int = 0
    offset: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    """The record's headers as published (`eventType`, `X-Correlation-Id`, `Content-Type`,
    `X-Resource-Version`, `traceparent`…): the fields above fall back to the body when a
    header is missing; these say what was really there."""
    key: str | None = None
    """The record's key as published (the customer id), None when it had none."""

    @property
    def customer(self) -> Mapping[str, Any]:
        """`event.customer`: the full resource, or for state changes and deletes its summary."""
        event = self.body.get("event")
        customer = event.get("customer") if isinstance(event, Mapping) else None
        return customer if isinstance(customer, Mapping) else {}


def parse_event(
    key: bytes | None, value: bytes | None, raw_headers: RawHeaders, partition: int, offset: int
) -> CustomerEvent | None:
    """A notification record as a `CustomerEvent`; None when its value is not a JSON object."""
    try:
        body = json.loads(value) if value else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return None
    headers = decode_headers(raw_headers)
    event = CustomerEvent(
        event_type=headers.get("eventType") or str(body.get("eventType", "")),
        customer_id=None if key is None else key.decode("utf-8", "replace"),
        event_id=body.get("eventId"),
        event_time=body.get("eventTime"),
        correlation_id=headers.get("X-Correlation-Id") or body.get("correlationId"),
        body=body,
        partition=partition,
        offset=offset,
        headers=headers,
        key=None if key is None else key.decode("utf-8", "replace"),
    )
    if event.customer_id is None and "id" in event.customer:
        event = _with_customer_id(event, str(event.customer["id"]))
    return event


def _with_customer_id(event: CustomerEvent, customer_id: str) -> CustomerEvent:
    return replace(event, customer_id=customer_id)


class _Assigned(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka has no hints
    """Tells when the group first gave this member its partitions."""

    def __init__(self) -> None:
        self.first = asyncio.Event()

    async def on_partitions_revoked(self, revoked: object) -> None:
        return None

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.first.set()


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events a stream yields: of these types (None: all) about this customer (None: any)."""

    event_types: frozenset[str] | None = None
    customer_id: str | None = None

    @classmethod
    def of(cls, event_types: str | Iterable[str] | None, customer_id: str | None) -> EventFilter:
        """A filter from full or short type names (`ValueError` on an unknown one)."""
        if isinstance(event_types, str):
            event_types = [event_types]
        names = None if event_types is None else frozenset(map(event_type_name, event_types))
        return cls(event_types=names or None, customer_id=customer_id)

    def matches(self, event: CustomerEvent) -> bool:
        """Whether the stream yields `event`."""
        if self.event_types is not None and event.event_type not in self.event_types:
            return False
        return self.customer_id is None or event.customer_id == self.customer_id


class EventStream:
    """An async iterator over customer events, with a consumer of its own.

    Use it as `async with client.events(...) as events: async for event in events: …`: entering
    fixes the starting position (so nothing published afterwards is missed) and leaving closes the
    consumer. Without a group it reads every partition from the end (or the beginning); with
    `group_id` it shares the partitions with the group's other members and commits what it has
    yielded, so the group resumes there. `until_end` stops at the last event that existed on
    entering instead of waiting for more.
    """

    def __init__(
        self,
        config: KafkaConfig,
        topic: str,
        event_filter: EventFilter,
        *,
        group_id: str | None = None,
        from_beginning: bool = False,
        until_end: bool = False,
        wait: float = 10.0,
    ) -> None:
        self._config = config
        self._topic = topic
        self._filter = event_filter
        self._group_id = group_id
        self._from_beginning = from_beginning
        self._until_end = until_end
        self._wait = wait
        self._consumer: Any = None
        self._ends: dict[Any, int] = {}
        self._ready: deque[CustomerEvent] = deque()
        self._uncommitted = False

    async def __aenter__(self) -> EventStream:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> EventStream:
        return self

    async def start(self) -> None:
        """Connect and fix the starting position; called by `async with` (or the first `next`)."""
        if self._consumer is not None:
            return
        consumer = self._config.consumer(self._group_id, from_beginning=self._from_beginning)
        try:
            async with broker_errors("connecting to Kafka"):
                await consumer.start()
            # The service creates the topic: no need to wait for it, unlike a reply topic.
            await require_topic(consumer, self._topic, wait=0)
            if self._group_id is None:
                partitions = await read_whole_topic(consumer, self._topic, self._wait)
            else:
                partitions = await self._join_group(consumer)
            if self._until_end:
                async with broker_errors(f"reading the end offsets of {self._topic}"):
                    self._ends = dict(await consumer.end_offsets(partitions))
        except BaseException:
            await consumer.stop()
            raise
        self._consumer = consumer

    async def _join_group(self, consumer: Any) -> list[Any]:
        assigned = _Assigned()
        consumer.subscribe([self._topic], listener=assigned)
        # Wait for the first assignment so that the position is fixed when entering returns;
        # a member that gets no partition (more members than partitions) goes on without.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._wait):
                await assigned.first.wait()
        partitions = sorted(consumer.assignment())
        async with broker_errors(f"positioning on {self._topic}"):
            for partition in partitions:
                await consumer.position(partition)
        return partitions

    async def aclose(self) -> None:
        """Commit what was yielded (with a group) and close the consumer."""
        consumer, self._consumer = self._consumer, None
        if consumer is None:
            return
        try:
            await self._commit(consumer)
        finally:
            await consumer.stop()

    async def __anext__(self) -> CustomerEvent:
        if self._consumer is None:
            await self.start()
        while not self._ready:
            await self._commit(self._consumer)
            if self._until_end and await self._at_end():
                raise StopAsyncIteration
            await self._fetch()
        return self._ready.popleft()

    async def _at_end(self) -> bool:
        for partition, end in self._ends.items():
            if await self._consumer.position(partition) < end:
                return False
        return True

    async def _fetch(self) -> None:
        try:
            batches = await self._consumer.getmany(timeout_ms=500)
        except KafkaError as exc:
            log.warning("reading events failed, retrying: %s", exc)
            await asyncio.sleep(0.5)
            return
        for partition in sorted(batches):
            for record in batches[partition]:
                self._uncommitted = True
                event = parse_event(
                    record.key, record.value, record.headers, record.partition, record.offset
                )
                if event is None:
                    log.warning(
                        "skipping a notification that is not a JSON object at %s offset %d",
                        partition,
                        record.offset,
                    )
                elif self._filter.matches(event):
                    self._ready.append(event)

    async def _commit(self, consumer: Any) -> None:
        """With a group: commit the positions of everything fetched, once all of it was yielded."""
        if self._group_id is None or not self._uncommitted or self._ready:
            return
        try:
            await consumer.commit()
        except KafkaError as exc:
            raise BrokerUnavailable(f"committing event offsets: {exc}") from exc
        self._uncommitted = False
