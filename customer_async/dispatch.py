"""Runs one decoded request to its single logical reply, across redeliveries and crashes.

For a write (create, patch, delete) the order is:
1. a reply already journalled for this request → send it again, apply nothing;
2. an outbox entry this request left (a crash came after the write) → publish it;
3. otherwise run the handler, which writes the change and its outbox entry in one write;
   then publish the entry's events and reply, journal the reply, and remove the entry.
Reads run their handler and reply. Every error becomes a TMF error reply.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from customer_async.customer_ids import command_customer_id
from customer_async.edge.decode import Rejection
from customer_async.errors import CustomerAsyncError, InternalError
from customer_async.outbox import OutboxEntry
from customer_async.store import CustomerStore
from customer_async.types import Command, Event, Handler, Operation, Outcome, Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplyAddress:
    """Where a reply goes and what it echoes."""

    channel: str
    correlation_id: str
    request_topic: str
    request_key: str | None


class Sink(Protocol):
    """Publishes a request's events, then its reply, and returns once the broker has them all."""

    async def deliver(self, address: ReplyAddress, reply: Reply, events: Sequence[Event]) -> None:
        """Publish and wait for acknowledgement; raise if that cannot be done."""
        ...


def error_reply(error: CustomerAsyncError, key: str | None = None) -> Reply:
    """The TMF error reply for `error`."""
    return Reply(error.status, error.to_tmf(), key=key)


class Dispatcher:
    """Turns commands into delivered replies and events."""

    def __init__(
        self,
        handlers: Mapping[Operation, Handler],
        store: CustomerStore,
        sink: Sink,
        *,
        crash_after_write: bool = False,
    ) -> None:
        self._handlers = handlers
        self._store = store
        self._sink = sink
        self._crash_after_write = crash_after_write

    async def dispatch(self, request: Command | Rejection) -> None:
        """Deliver the one reply (and any events) `request` is owed."""
        address = ReplyAddress(
            request.reply_channel, request.correlation_id, request.request_topic, request.key
        )
        if isinstance(request, Rejection):
            await self._sink.deliver(address, error_reply(request.error), ())
            return
        try:
            if request.operation.writes:
                await self._write(request, address)
            else:
                await self._sink.deliver(address, (await self._run(request)).reply, ())
        except CustomerAsyncError as error:
            # The store failed outside a handler (journal, outbox): still one reply.
            await self._sink.deliver(address, error_reply(error), ())

    async def _run(self, command: Command) -> Outcome:
        try:
            return await self._handlers[command.operation](command)
        except CustomerAsyncError as error:
            if error.status >= 500:
                log.warning("%s %s failed: %s", command.operation, command.correlation_id, error)
            return Outcome(error_reply(error))
        except Exception:
            log.exception("%s %s: unexpected failure", command.operation, command.correlation_id)
            return Outcome(error_reply(InternalError("an unexpected error occurred; see the log")))

    async def _write(self, command: Command, address: ReplyAddress) -> None:
        journalled = await self._store.journalled_reply(command.request_key)
        if journalled is not None:
            await self._sink.deliver(address, journalled, ())
            return
        target = command_customer_id(command)
        if target is not None:
            pending = await self._store.pending(target, command.request_key)
            if pending is not None:
                await self.publish_pending(target, pending)
                return
        outcome = await self._run(command)
        if outcome.customer_id is None or outcome.written is None:
            # Nothing was written: an error or a no-op patch.
            await self._sink.deliver(address, outcome.reply, ())
            if outcome.reply.status < 500:
                await self._store.journal(command.request_key, outcome.reply)
            return
        if self._crash_after_write:
            log.critical("test fault: exiting between the store write and the publish")
            os._exit(70)
        await self.publish_pending(outcome.customer_id, outcome.written)

    async def publish_pending(self, customer_id: str, entry: OutboxEntry) -> None:
        """Publish an outbox entry's events and reply, journal the reply, remove the entry."""
        address = ReplyAddress(
            entry.reply_channel, entry.correlation_id, entry.request_topic, entry.reply.key
        )
        await self._sink.deliver(address, entry.reply, entry.events)
        await self._store.journal(entry.request_key, entry.reply)
        await self._store.settle(customer_id, entry)

    async def recover(self, written_before: datetime) -> int:
        """Publish outbox entries older than `written_before`; returns how many.

        A crash between a write and its publish normally heals when the uncommitted request is
        delivered again; this sweep covers requests that will not come again (expired from the
        topic), and waits long enough that it rarely races the redelivery.
        """
        pending = await self._store.pending_entries(written_before)
        for customer_id, entry in pending:
            await self.publish_pending(customer_id, entry)
        return len(pending)
