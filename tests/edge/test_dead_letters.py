"""A record the broker refuses for good stops the retries: a 500 reply, else a dead letter."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

from aiokafka.errors import KafkaError, MessageSizeTooLargeError, TopicAuthorizationFailedError

from customer_async.edge.kafka import DEAD_LETTER_REASON, KafkaSink
from customer_async.edge.records import HANDLING, IncomingRecord
from customer_async.settings import Settings
from customer_async.types import Event, Reply, ReplyAddress

Sent = tuple[str, bytes | None, dict[str, str]]


class RefusingProducer:
    """Takes records like a producer, refusing (for good) those `refuse` names."""

    def __init__(self, refuse: Callable[[str, bytes | None], KafkaError | None]) -> None:
        self._refuse = refuse
        self.sent: list[Sent] = []

    async def send(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: bytes | None,
        headers: list[tuple[str, bytes]],
    ) -> asyncio.Future[None]:
        del key
        if (error := self._refuse(topic, value)) is not None:
            raise error
        self.sent.append((topic, value, {n: v.decode() for n, v in headers}))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def sink_with(producer: RefusingProducer) -> KafkaSink:
    sink = KafkaSink(Settings(topic_prefix="dl"))
    await sink.stop()  # its own producer never started: closed, so nothing is left open
    sink._producer = producer  # the broker's refusals, without a broker
    return sink


ADDRESS = ReplyAddress("dl.reply.commandReply", "corr-1", "dl.request", "key-1")


async def test_a_reply_too_large_becomes_a_small_500_reply() -> None:
    def too_large(topic: str, value: bytes | None) -> KafkaError | None:
        del topic
        return MessageSizeTooLargeError("too big") if len(value or b"") > 1000 else None

    producer = RefusingProducer(too_large)
    await asyncio.wait_for(
        (await sink_with(producer)).deliver([(ADDRESS, Reply(200, ["x" * 2000]), ())]), 5
    )
    [(topic, value, headers)] = producer.sent
    assert topic == ADDRESS.channel
    assert headers["Status-Code"] == "500"
    assert headers["X-Correlation-Id"] == "corr-1"
    error = json.loads(value or b"")
    assert error["status"] == "500"
    assert "too large" in error["message"]


async def test_other_items_of_the_batch_are_still_delivered() -> None:
    def too_large(topic: str, value: bytes | None) -> KafkaError | None:
        del topic
        return MessageSizeTooLargeError("too big") if len(value or b"") > 1000 else None

    producer = RefusingProducer(too_large)
    other = ReplyAddress("dl.reply.commandReply", "corr-2", "dl.request")
    event = Event("e1", "CustomerCreateEvent", "c1", "corr-2", {"event": {}})
    batch = [(ADDRESS, Reply(200, ["x" * 2000]), ()), (other, Reply(201, {"id": "c1"}), [event])]
    await asyncio.wait_for((await sink_with(producer)).deliver(batch), 5)
    statuses = [(h.get("X-Correlation-Id"), h.get("Status-Code")) for _, _, h in producer.sent]
    assert ("corr-1", "500") in statuses
    assert ("corr-2", "201") in statuses
    assert any(
        t == "dl.customerManagement.v5.customer.notificationEvent" for t, _, _ in producer.sent
    )


async def test_an_unpublishable_error_reply_becomes_a_dead_letter_naming_the_request() -> None:
    def forbidden(topic: str, value: bytes | None) -> KafkaError | None:
        del value
        return TopicAuthorizationFailedError() if topic == ADDRESS.channel else None

    producer = RefusingProducer(forbidden)
    HANDLING.set(IncomingRecord("dl.request", 2, 41, b"key-1", b"{}"))
    await asyncio.wait_for((await sink_with(producer)).deliver([(ADDRESS, Reply(200, {}), ())]), 5)
    [(topic, value, headers)] = producer.sent
    assert topic == "dl.customerManagement.v5.deadLetter"
    assert value == b""
    assert headers["X-Correlation-Id"] == "corr-1"
    assert headers["X-Request-Channel"] == "dl.request"
    assert headers["X-Request-Partition"] == "2"
    assert headers["X-Request-Offset"] == "41"
    assert "TopicAuthorizationFailedError" in headers[DEAD_LETTER_REASON]
