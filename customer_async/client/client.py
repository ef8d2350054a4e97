"""`CustomerClient`: the five operations as awaitable calls over one reply topic and one consumer.

Every call produces a command with a fresh (or the caller's) `X-Correlation-Id` and
`Reply-Channel` = the client's reply topic, then awaits a future that the client's single reply
reader resolves; so thousands of concurrent calls cost one consumer. A call that gets no reply in
time raises `ReplyTimeout` naming its correlation id: resending with it is safe, the service
applies a request once and answers a resend with the first reply.

Results are plain JSON dicts (`Customer = dict[str, Any]`) in small typed containers (`Page`,
`CustomerEvent`); see the package docstring for why not models generated from the schemas.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from customer_async.client.errors import ClientNotStarted, MalformedReply, ReplyTimeout
from customer_async.client.events import EventFilter, EventStream
from customer_async.client.pages import Customer, Page, iterate_pages
from customer_async.client.replies import PendingReplies, Reply
from customer_async.client.requests import (
    JSON_PATCH,
    MERGE_PATCH,
    CommandRecord,
    FilterValue,
    comma_list,
    command_record,
    list_parameters,
)
from customer_async.client.topics import Topics
from customer_async.client.transport import (
    KafkaConfig,
    broker_errors,
    ensure_topic,
    read_replies,
    read_whole_topic,
)
from customer_async.types import Operation

if TYPE_CHECKING:
    from customer_async.settings import Settings

Fields = str | Sequence[str] | None
"""`fields`: `"name,status"` or `["name", "status"]`; `id`, `href` and `@type` always come."""


class _NotConnected:
    """The client before `start()` and after `close()`: every use says so."""

    @property
    def pending(self) -> PendingReplies:
        raise ClientNotStarted("start the client first (`async with CustomerClient(...)`)")

    async def send(self, record: CommandRecord) -> None:
        raise ClientNotStarted("start the client first (`async with CustomerClient(...)`)")

    async def close(self) -> None:
        return None


@dataclass(slots=True)
class _Connected:
    """A started client: its producer, its reply consumer and the task reading replies."""

    producer: Any
    consumer: Any
    reader: asyncio.Task[None]
    pending: PendingReplies

    async def send(self, record: CommandRecord) -> None:
        async with broker_errors(f"sending to {record.topic}"):
            await self.producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=record.headers
            )

    async def close(self) -> None:
        self.reader.cancel()
        self.pending.fail_all(ClientNotStarted("the client was closed while waiting"))
        try:
            await asyncio.gather(self.producer.stop(), self.consumer.stop())
        finally:
            await asyncio.gather(self.reader, return_exceptions=True)


class CustomerClient:
    """A client of one service deployment (one topic prefix) on one Kafka cluster.

    `async with CustomerClient(bootstrap_servers="127.0.0.1:9092", topic_prefix="tmf") as c:`
    starts it: the reply topic is created if missing and the reply consumer positioned at its end
    before the first request can go out. `timeout` is the default per-call budget in seconds
    (sending and waiting); every call also takes its own. Replies are matched by correlation id,
    so several clients may share a reply topic (each then reads the others' replies and drops
    them); give a busy process a `reply_topic` of its own (it must end in `.commandReply`, or
    whatever the service's reply-channel allow-list demands).
    """

    def __init__(
        self,
        bootstrap_servers: str = "localhost:9092",
        topic_prefix: str = "tmf",
        *,
        reply_topic: str | None = None,
        timeout: float = 30.0,
        client_id: str = "customer-async-client",
        reply_topic_partitions: int = 1,
        reply_topic_replication_factor: int = 1,
        kafka_options: Mapping[str, Any] | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.topics = Topics(topic_prefix)
        self.reply_topic = reply_topic or self.topics.client_reply
        self.timeout = timeout
        self._kafka = KafkaConfig(bootstrap_servers, client_id, dict(kafka_options or {}))
        self._reply_topic_shape = (reply_topic_partitions, reply_topic_replication_factor)
        self._link: _NotConnected | _Connected = _NotConnected()

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> CustomerClient:
        """A client of the deployment that these service settings describe (its Kafka login
        and TLS too, unless `kafka_options` is given)."""
        from customer_async.edge.kafka_security import kafka_client_options  # noqa: PLC0415 - lazy

        options.setdefault("kafka_options", kafka_client_options(settings))
        return cls(settings.kafka_bootstrap_servers, settings.topic_prefix, **options)

    async def __aenter__(self) -> CustomerClient:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Connect the producer and the reply consumer (at once: start-up is mostly waiting)."""
        if isinstance(self._link, _Connected):
            return
        producer = self._kafka.producer()
        consumer = self._kafka.consumer()
        try:
            async with broker_errors(f"connecting to Kafka at {self._kafka.bootstrap_servers}"):
                await asyncio.gather(producer.start(), self._listen(consumer))
        except BaseException:
            await asyncio.gather(producer.stop(), consumer.stop(), return_exceptions=True)
            raise
        pending = PendingReplies()
        reader = asyncio.create_task(read_replies(consumer, pending), name="customer-replies")
        self._link = _Connected(producer, consumer, reader, pending)

    async def _listen(self, consumer: Any) -> None:
        await consumer.start()
        if self.reply_topic not in await consumer.topics():
            await ensure_topic(self._kafka, self.reply_topic, *self._reply_topic_shape)
        await read_whole_topic(consumer, self.reply_topic, self.timeout)

    async def close(self) -> None:
        """Stop reading replies and disconnect; waiting calls fail with `ClientNotStarted`."""
        link, self._link = self._link, _NotConnected()
        await link.close()

    @property
    def in_flight(self) -> int:
        """How many calls are waiting for their reply."""
        return len(self._link.pending) if isinstance(self._link, _Connected) else 0

    async def call(
        self,
        operation: Operation,
        *,
        parameters: Mapping[str, Any] | None = None,
        payload: Any = None,
        content_type: str | None = None,
        key: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
        correlation_id: str | None = None,
    ) -> Reply:
        """Send one command and return its 2xx reply; raise the `ErrorReply` subclass for any
        other status, `ReplyTimeout` when none comes in `timeout` seconds."""
        correlation_id = correlation_id or str(uuid.uuid4())
        seconds = self.timeout if timeout is None else timeout
        record = command_record(
            self.topics,
            operation,
            correlation_id=correlation_id,
            reply_channel=self.reply_topic,
            parameters=parameters,
            payload=payload,
            content_type=content_type,
            key=key,
        )
        link = self._link
        reply_future = link.pending.expect(correlation_id)
        try:
            async with asyncio.timeout(seconds):
                await link.send(record)
                reply = await reply_future
        except TimeoutError:
            raise ReplyTimeout(str(operation), correlation_id, seconds) from None
        finally:
            link.pending.forget(correlation_id)
        reply.raise_for_status()
        return reply

    async def create(
        self,
        customer: Mapping[str, Any],
        *,
        fields: Fields = None,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
        correlation_id: str | None = None,
    ) -> Customer:
        """Create a customer (`name` and `engagedParty` are required); returns it as stored."""
        reply = await self.call(
            Operation.CREATE,
            payload=dict(customer),
            parameters=_fields_only(fields),
            timeout=timeout,
            correlation_id=correlation_id,
        )
        return _customer(reply)

    async def retrieve(
        self,
        customer_id: str,
        *,
        fields: Fields = None,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
        correlation_id: str | None = None,
    ) -> Customer:
        """The customer with this id; `NotFound` when there is none."""
        reply = await self.call(
            Operation.RETRIEVE,
            parameters={"id": customer_id, **_fields_only(fields)},
            key=customer_id,
            timeout=timeout,
            correlation_id=correlation_id,
        )
        return _customer(reply)

    async def list(
        self,
        filters: Mapping[str, FilterValue] | None = None,
        *,
        fields: Fields = None,
        sort: str | Sequence[str] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
        correlation_id: str | None = None,
    ) -> Page:
        """One page of the customers matching `filters` (attribute path, optionally ending in
        `.eq`, `.ne`, `.gt`, `.gte`, `.lt`, `.lte` or `.regex`, to a value; a list means OR)."""
        parameters = list_parameters(filters, fields=fields, sort=sort, offset=offset, limit=limit)
        reply = await self.call(
            Operation.LIST,
            parameters=parameters,
            timeout=timeout,
            correlation_id=correlation_id,
        )
        return Page.from_reply(reply, offset or 0)

    async def pages(
        self,
        filters: Mapping[str, FilterValue] | None = None,
        *,
        fields: Fields = None,
        sort: str | Sequence[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
    ) -> AsyncIterator[Page]:
        """Every page of a query, one request per page, fetched as the caller iterates."""

        async def fetch(at: int) -> Page:
            return await self.list(
                filters, fields=fields, sort=sort, offset=at, limit=limit, timeout=timeout
            )

        async for page in iterate_pages(fetch, offset):
            yield page

    async def customers(
        self,
        filters: Mapping[str, FilterValue] | None = None,
        *,
        fields: Fields = None,
        sort: str | Sequence[str] | None = None,
        limit: int | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
    ) -> AsyncIterator[Customer]:
        """Every customer matching the query, page after page (`limit` is the page size)."""
        pages = self.pages(filters, fields=fields, sort=sort, limit=limit, timeout=timeout)
        async for page in pages:
            for customer in page.items:
                yield customer

    async def patch(
        self,
        customer_id: str,
        patch: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        content_type: str | None = None,
        fields: Fields = None,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
        correlation_id: str | None = None,
    ) -> Customer:
        """Patch a customer; returns it after the patch. `content_type` picks the format
        (`MERGE_PATCH`, `JSON_PATCH`, `JSON_PATCH_QUERY`); by default an object is a merge patch
        and a list a JSON Patch, as the service itself assumes."""
        if content_type is None:
            content_type = MERGE_PATCH if isinstance(patch, Mapping) else JSON_PATCH
        document: Any = dict(patch) if isinstance(patch, Mapping) else [dict(op) for op in patch]
        reply = await self.call(
            Operation.PATCH,
            payload=document,
            parameters={"id": customer_id, **_fields_only(fields)},
            content_type=content_type,
            key=customer_id,
            timeout=timeout,
            correlation_id=correlation_id,
        )
        return _customer(reply)

    async def delete(
        self,
        customer_id: str,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - on expiry it names the correlation id
        correlation_id: str | None = None,
    ) -> None:
        """Delete a customer; `NotFound` when there is none."""
        await self.call(
            Operation.DELETE,
            parameters={"id": customer_id},
            key=customer_id,
            timeout=timeout,
            correlation_id=correlation_id,
        )

    def events(
        self,
        event_types: str | Iterable[str] | None = None,
        *,
        customer_id: str | None = None,
        group_id: str | None = None,
        from_beginning: bool = False,
        until_end: bool = False,
    ) -> EventStream:
        """Customer events as an async iterator with a consumer of its own (see `EventStream`);
        `event_types` are full (`CustomerCreateEvent`) or short (`create`, `stateChange`,
        `attributeValueChange`, `delete`) names. Needs no `start()`."""
        return EventStream(
            self._kafka,
            self.topics.notification,
            EventFilter.of(event_types, customer_id),
            group_id=group_id,
            from_beginning=from_beginning,
            until_end=until_end,
            wait=self.timeout,
        )


def _fields_only(fields: Fields) -> dict[str, str]:
    text = comma_list(fields)
    return {} if text is None else {"fields": text}


def _customer(reply: Reply) -> Customer:
    if not isinstance(reply.body, dict):
        raise MalformedReply(f"reply {reply.correlation_id!r} is not a JSON object")
    return reply.body
