"""The write path: one read, one conditional write, then publish; nothing written after that.

For a create, patch or delete:
1. read the customer with its bookkeeping (a create first just inserts: its id is new);
2. if the request is among those the customer remembers, it was applied before: publish what is
   still unpublished and answer with the remembered reply;
3. else decide the change (handlers/), and write it together with its reply (remembered) and its
   publication (outbox), behind every entry still unpublished, stamped with a number of this
   run's ledger and conditioned on the version read;
4. publish the outbox in order, events before the reply, and tell the ledger the number is done.

A write whose outcome is unknown (an acknowledgement lost with the connection) is retried: the
retried command either lands or finds the version moved, and the next read shows whether the
request is applied. So a reply is sent only once its write is known to have landed, and nothing
is published for a request after its final reply but that same reply again. A store that stays
away past the retry budget is waited out, not answered 503 (see `WritePath.apply`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random

from customer_async.answering import Answering
from customer_async.customer_ids import created_customer_id
from customer_async.errors import (
    CustomerNotFound,
    InternalError,
    RequestError,
    StoreUnavailable,
    WriteContended,
)
from customer_async.handlers import (
    HandlerContext,
    create_customer,
    customer_id,
    delete_customer,
    patch_customer,
)
from customer_async.protocol.clock import SYSTEM_CLOCK, Clock
from customer_async.protocol.ledger import Ledger
from customer_async.protocol.record import CustomerRecord, Publication, Stamp, new_record
from customer_async.protocol.storage import CustomerWriter, Storage
from customer_async.replies import error_reply
from customer_async.types import Change, Command, Document, Operation, Reply, ReplyAddress

log = logging.getLogger(__name__)

MAX_WRITE_ATTEMPTS = 20
"""A conditional write that loses a race reads again and decides again up to this many times;
then the request gets a 503 (not final: a resend is applied once). With the lease (FerretDB) a
race is lost only to a holder whose lease expired; on MongoDB only to another instance."""


class WritePath:
    """Applies write commands once each, and publishes what they changed in write order."""

    def __init__(
        self,
        context: HandlerContext,
        answering: Answering,
        ledger: Ledger,
        *,
        storage: Storage | None = None,
        clock: Clock = SYSTEM_CLOCK,
        crash_after_write: bool = False,
    ) -> None:
        self._context = context
        self._store: Storage = context.store if storage is None else storage
        self._answering = answering
        self._ledger = ledger
        self._keep = context.settings.requests_remembered
        self._crash_after_write = crash_after_write
        self._writing: set[asyncio.Task[object]] = set()
        self._waiting: set[asyncio.Task[object]] = set()
        self._clock = clock

    def may_abandon(self, task: asyncio.Task[object]) -> bool:
        """Whether `task` may be stopped and its request delivered again later: before it sent a
        write, nothing is left behind; while it waits for the store, what it wrote (if anything)
        is in the customer's outbox and its redelivery answers it. Otherwise it runs to its end
        (publish), so a partition moves without a reply still owed."""
        return task not in self._writing or task in self._waiting

    def _writes_now(self) -> None:
        task = asyncio.current_task()
        if task is not None and task not in self._writing:
            self._writing.add(task)
            task.add_done_callback(self._writing.discard)

    async def apply(self, command: Command, address: ReplyAddress) -> Reply:
        """Apply `command` (at most once) and deliver its reply, which it returns.

        A store that stays away past its retry budget is waited out, never answered: only the
        store knows whether this request (or an earlier delivery or resend of it) was applied
        and answered already, and a 503 after a 2xx/4xx would contradict a final answer. The
        service stops fetching meanwhile, so only the writes in hand wait; a rebalance or a stop
        abandons them (`may_abandon`) to be delivered again.
        """
        task = asyncio.current_task()
        while True:
            try:
                return await self._apply_once(command, address)
            except WriteContended:
                raise
            except StoreUnavailable as away:
                log.warning(
                    "%s %s waits for the store: %s", command.operation, command.correlation_id, away
                )
                if task is None:
                    raise
                self._waiting.add(task)
                try:
                    await self._clock.sleep(away.retry_after)
                finally:
                    self._waiting.discard(task)

    async def _apply_once(self, command: Command, address: ReplyAddress) -> Reply:
        """Apply `command` (at most once) and deliver its reply; store errors propagate."""
        if command.operation is Operation.CREATE:
            wanted = created_customer_id(command.request_key)
            change = create_customer(command, self._context)
            record = new_record(
                wanted,
                _resource(change),
                request_key=command.request_key,
                reply=change.reply,
                address=address,
                events=change.events,
                stamp=await self._ledger.stamp(wanted),
                now=self._clock.now(),
            )
            self._writes_now()
            if await self._store.insert(record, self._context.shadow(record.resource)):
                await self._written(record, superseded=None)
                return change.reply
            # The id is taken: this very create was applied before.
        else:
            wanted = customer_id(command)
        async with self._store.writing(wanted) as customer:
            outcome = await self._apply_held(command, address, customer)
        if isinstance(outcome, Reply):  # applied before: answered again
            return outcome
        written, before = outcome
        await self._written(written, superseded=before.stamp)
        return _remembered(written, command.request_key)

    async def _apply_held(
        self, command: Command, address: ReplyAddress, customer: CustomerWriter
    ) -> tuple[CustomerRecord, CustomerRecord] | Reply:
        """Read, decide, write conditionally: the record written and the one it replaced, or the
        reply of a request applied before (answered again here)."""
        for attempt in range(MAX_WRITE_ATTEMPTS):
            current = await customer.load()
            if current is None:
                raise CustomerNotFound(f"no customer with id {customer.customer_id!r}")
            remembered = current.reply_to(command.request_key)
            if remembered is not None:
                await self._answer_again(current, command.request_key, address, remembered)
                return remembered
            if command.operation is Operation.CREATE:
                # Applied so long ago that the customer no longer remembers the reply.
                again = _created_again(current)
                await self._answering.send(address, again)
                return again
            if not current.live:
                raise CustomerNotFound(f"no customer with id {customer.customer_id!r}")
            published = await self._ledger.published_outbox(current)
            stamp = await self._ledger.stamp(current.customer_id)
            after = self._decide(command, current, address, stamp, published=published)
            self._writes_now()
            if await customer.write(current, after, self._context.shadow(after.resource)):
                return after, current
            # Another writer came first (MongoDB, another instance): read again, after a pause
            # that keeps two instances from colliding in step.
            await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise WriteContended(
            f"customer {customer.customer_id!r} kept changing; {command.operation} not applied",
            retry_after=1,
        )

    def _decide(
        self,
        command: Command,
        current: CustomerRecord,
        address: ReplyAddress,
        stamp: Stamp,
        *,
        published: bool,
    ) -> CustomerRecord:
        """The record after this command, stamped `stamp`, carrying the current outbox unless it
        is `published`; a refusal that depends on the state is remembered."""
        published_up_to = current.version if published else 0
        try:
            change: Change = (
                patch_customer(command, current.resource)
                if command.operation is Operation.PATCH
                else delete_customer(command, current.resource)
            )
        except RequestError as refused:
            reply = error_reply(refused, key=current.customer_id)
            return current.applied_write(
                command.request_key,
                reply,
                resource=current.resource,
                address=address,
                events=(),
                published_up_to=published_up_to,
                keep=self._keep,
                stamp=stamp,
                now=self._clock.now(),
            )
        return current.applied_write(
            command.request_key,
            change.reply,
            resource=change.resource,
            address=address,
            events=change.events,
            published_up_to=published_up_to,
            keep=self._keep,
            stamp=stamp,
            now=self._clock.now(),
        )

    async def _written(self, record: CustomerRecord, *, superseded: Stamp | None) -> None:
        """Publish what this write stored (all of it: it was just written), and mark done the
        stamp it replaced, whose entries it carried when they were unpublished."""
        if self._crash_after_write:
            log.critical("test fault: exiting between the store write and the publish")
            os._exit(70)
        await self._publish_all(record)
        self._ledger.done(superseded)

    async def _answer_again(
        self, current: CustomerRecord, request_key: str, address: ReplyAddress, reply: Reply
    ) -> None:
        """A request applied before: publish what is left, and its reply if that is not among it."""
        published = await self.publish(current)
        if request_key not in {p.request_key for p in published}:
            await self._answering.send(address, reply)

    async def publish(self, record: CustomerRecord) -> tuple[Publication, ...]:
        """Publish the record's outbox, in order, unless its stamp says it is published."""
        if await self._ledger.published_outbox(record):
            return ()
        return await self._publish_all(record)

    async def _publish_all(self, record: CustomerRecord) -> tuple[Publication, ...]:
        entries = record.outbox
        if entries:
            await self._answering.publish(
                [(entry.address, _reply_of(record, entry), entry.events) for entry in entries]
            )
        self._ledger.done(record.stamp)
        return entries


def _resource(change: Change) -> Document:
    if change.resource is None:
        raise InternalError("a create must produce a resource")
    return change.resource


def _reply_of(record: CustomerRecord, entry: Publication) -> Reply:
    reply = record.reply_to(entry.request_key)
    if reply is None:  # a remembered request is kept while its entry waits (record.py)
        raise InternalError(f"no remembered reply for {entry.request_key!r}")
    return reply


def _remembered(record: CustomerRecord, request_key: str) -> Reply:
    reply = record.reply_to(request_key)
    if reply is None:  # the write just made remembers its own request
        raise InternalError(f"no remembered reply for {request_key!r}")
    return reply


def _created_again(current: CustomerRecord) -> Reply:
    """A create whose reply fell out of the customer's memory: 201 with the customer as it is."""
    if current.live:
        return Reply(201, current.resource, key=current.customer_id)
    return Reply(201, None, key=current.customer_id)
