"""How replies leave the service: the one object every part answers a request through.

The dispatcher (a read's reply, a refusal), the write path (a write's outbox, events before the
reply; a request applied before, answered again) and the consume loop (a bug's 500) all send
through an `Answering`, over the `Sink` it is given: Kafka, wrapped in `publish` spans when
tracing is on. What a reply says comes from the handlers or `replies.error_reply`; where it goes
is the request's `ReplyAddress`, which travels with a write through the store.
"""

from __future__ import annotations

from collections.abc import Sequence

from customer_async.edge.decode import Rejection
from customer_async.interfaces import Delivery, Sink
from customer_async.replies import error_reply
from customer_async.types import Command, Reply, ReplyAddress


def reply_address(request: Command | Rejection) -> ReplyAddress:
    """Where the request's reply goes and what it echoes."""
    return ReplyAddress(
        request.reply_channel,
        request.correlation_id,
        request.request_topic,
        request.key,
        request.echo,
    )


class Answering:
    """Sends replies (and the events that go before them) and returns once they are out."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    async def send(self, address: ReplyAddress, reply: Reply) -> None:
        """Send `reply`, alone, to `address`."""
        await self._sink.deliver([(address, reply, ())])

    async def send_error(self, address: ReplyAddress, error: Exception) -> Reply:
        """Send the TMF error reply for `error` to `address`; that reply."""
        reply = error_reply(error)
        await self.send(address, reply)
        return reply

    async def publish(self, entries: Sequence[Delivery]) -> None:
        """Send each entry's events, then its reply, in the order given (a write's outbox)."""
        await self._sink.deliver(entries)
