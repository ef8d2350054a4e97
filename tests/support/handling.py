"""A request record handled as `CustomerService._handle` does, around a stand-in write path,
read handler and sink: no servers, and nothing here imports OpenTelemetry (tracing tests run
it in a child interpreter to show that tracing off loads none of it)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import cast

from customer_async.answering import Answering
from customer_async.customer_ids import created_customer_id
from customer_async.dispatch import Dispatcher
from customer_async.edge.decode import RequestTopics
from customer_async.edge.records import IncomingRecord
from customer_async.errors import CustomerNotFound
from customer_async.interfaces import Sink, Tracing
from customer_async.protocol.writes import WritePath
from customer_async.settings import Settings
from customer_async.types import Command, Event, Operation, Reply, ReplyAddress

Delivered = tuple[ReplyAddress, Reply, Sequence[Event]]

SETTINGS = Settings(topic_prefix="tmf", mongodb_database="customers", group_id="service")


class RecordingSink:
    """Stands in for Kafka: keeps what it was asked to deliver."""

    def __init__(self) -> None:
        self.delivered: list[Delivered] = []

    async def deliver(self, batch: Sequence[Delivered]) -> None:
        self.delivered.extend(batch)


class Writes:
    """Stands in for the write path: decides a create and publishes it, event then reply."""

    def __init__(self, sink: Sink, *, failure: Exception | None = None) -> None:
        self.sink = sink
        self.failure = failure

    async def apply(self, command: Command, address: ReplyAddress) -> Reply:
        if self.failure is not None:
            raise self.failure
        customer = created_customer_id(command.request_key)
        event = Event("e-1", "CustomerCreateEvent", customer, command.correlation_id, {})
        reply = Reply(201, {"id": customer}, key=customer)
        await self.sink.deliver([(address, reply, (event,))])
        return reply


async def retrieve(command: Command) -> Reply:
    """Stands in for the retrieve handler: customer `missing` is not found, any other is."""
    if command.parameters.get("id") == "missing":
        raise CustomerNotFound("no customer with id 'missing'")
    return Reply(200, {"id": command.parameters["id"]})


def record(
    operation: Operation, value: object = None, headers: Sequence[tuple[str, bytes]] = ()
) -> IncomingRecord:
    """A request record of `operation`, correlation id `c-1`, at partition 2, offset 41."""
    raw = None if value is None else json.dumps(value).encode()
    return IncomingRecord(
        SETTINGS.request_topic(operation),
        2,
        41,
        None,
        raw,
        [("X-Correlation-Id", b"c-1"), *headers],
    )


async def handle(
    tracing: Tracing, incoming: IncomingRecord, *, failure: Exception | None = None
) -> RecordingSink:
    """What `CustomerService._handle` does with a record; the sink that saw its deliveries."""
    sink = RecordingSink()
    traced = tracing.sink(sink)
    writes = cast(WritePath, Writes(traced, failure=failure))
    dispatcher = Dispatcher(
        {Operation.RETRIEVE: retrieve}, writes, Answering(traced), tracing=tracing
    )
    topics = RequestTopics(SETTINGS)
    with tracing.request(incoming, topics.operation(incoming.topic)) as span:
        with tracing.span("decode"):
            request = topics.decode(incoming)
        await dispatcher.dispatch(span.decoded(request))
    return sink
