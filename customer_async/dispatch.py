"""Runs one decoded request to its single logical reply.

decode (edge/) → read handler, or the write path (writes.py: one read, one conditional write,
publish) → deliver. A refused record gets its error reply; every error becomes a TMF error reply,
and a request whose write was published is never answered again with something else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from customer_async.edge.decode import Rejection
from customer_async.errors import CustomerAsyncError
from customer_async.types import Command, Operation, ReadHandler, ReplyAddress
from customer_async.writes import Sink, WritePath, error_reply

log = logging.getLogger(__name__)


def reply_address(request: Command | Rejection) -> ReplyAddress:
    """Where the request's reply goes and what it echoes."""
    return ReplyAddress(
        request.reply_channel,
        request.correlation_id,
        request.request_topic,
        request.key,
        request.echo,
    )


class Dispatcher:
    """Turns commands into delivered replies (and, through the write path, events)."""

    def __init__(
        self, reads: Mapping[Operation, ReadHandler], writes: WritePath, sink: Sink
    ) -> None:
        self._reads = reads
        self._writes = writes
        self._sink = sink

    async def dispatch(self, request: Command | Rejection) -> None:
        """Deliver the one reply (and any events) `request` is owed."""
        address = reply_address(request)
        if isinstance(request, Rejection):
            await self._sink.deliver([(address, error_reply(request.error), ())])
            return
        try:
            if request.operation.writes:
                await self._writes.apply(request, address)
                return
            reply = await self._reads[request.operation](request)
        except CustomerAsyncError as error:
            # Raised before anything was written or published: the request's one answer.
            if error.status >= 500:
                log.warning("%s %s failed: %s", request.operation, request.correlation_id, error)
            reply = error_reply(error)
        except Exception as error:
            log.exception("%s %s: unexpected failure", request.operation, request.correlation_id)
            reply = error_reply(error)
        await self._sink.deliver([(address, reply, ())])
