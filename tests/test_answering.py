"""Replies leave through one object: alone, as an error reply, or a write's outbox in order."""

from __future__ import annotations

from collections.abc import Sequence

from customer_async.answering import Answering, reply_address
from customer_async.edge.decode import Rejection
from customer_async.errors import InvalidJson, StoreUnavailable
from customer_async.interfaces import Delivery
from customer_async.types import Command, Event, Operation, Reply, ReplyAddress

ADDRESS = ReplyAddress("reply", "c-1", "request", "k-1")


class RecordingSink:
    def __init__(self) -> None:
        self.batches: list[list[Delivery]] = []

    async def deliver(self, batch: Sequence[Delivery]) -> None:
        self.batches.append(list(batch))


def test_a_command_and_a_rejection_are_answered_where_they_ask_echoing_what_they_carry() -> None:
    echo = (("kafka_correlationId", b"\x01"),)
    command = Command(Operation.RETRIEVE, "c-1", "request", "reply", key="k-1", echo=echo)
    rejection = Rejection(
        Operation.PATCH, "c-1", "request", "reply", "k-1", InvalidJson("x"), echo=echo
    )
    expected = ReplyAddress("reply", "c-1", "request", "k-1", echo)
    assert reply_address(command) == reply_address(rejection) == expected


async def test_a_reply_goes_out_alone() -> None:
    sink = RecordingSink()
    await Answering(sink).send(ADDRESS, Reply(200, {"id": "1"}))
    assert sink.batches == [[(ADDRESS, Reply(200, {"id": "1"}), ())]]


async def test_an_error_is_answered_with_its_tmf_reply_which_is_returned() -> None:
    sink = RecordingSink()
    sent = await Answering(sink).send_error(ADDRESS, StoreUnavailable("away", retry_after=5))
    assert (sent.status, sent.headers) == (503, {"Retry-After": "5"})
    assert sink.batches == [[(ADDRESS, sent, ())]]


async def test_an_outbox_is_published_in_one_batch_in_its_order_events_with_their_reply() -> None:
    sink = RecordingSink()
    event = Event("e-1", "CustomerCreateEvent", "1", "c-1", {})
    later = ReplyAddress("reply", "c-2", "request")
    entries: list[Delivery] = [
        (ADDRESS, Reply(201, {"id": "1"}), (event,)),
        (later, Reply(204), ()),
    ]
    await Answering(sink).publish(entries)
    assert sink.batches == [entries]
