"""The running service: wires store, handlers, dispatcher and Kafka, and runs the consume loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from customer_async.customer_ids import command_customer_id
from customer_async.dispatch import Dispatcher, ReplyAddress, error_reply
from customer_async.edge.decode import Rejection, RequestTopics
from customer_async.edge.kafka import KafkaSink, RequestConsumer, ensure_topics
from customer_async.edge.records import IncomingRecord
from customer_async.errors import CustomerAsyncError, InternalError, StoreUnavailable
from customer_async.handlers import HandlerContext, handlers_for
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import Command, Operation

log = logging.getLogger(__name__)


class CustomerService:
    """One instance of the service; several share the work through the consumer group."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._topics = RequestTopics(settings)
        self._store = CustomerStore.from_settings(settings)
        self._sink = KafkaSink(settings)
        self._consumer = RequestConsumer(settings, self._topics.topics)
        self._dispatcher = Dispatcher(
            handlers_for(HandlerContext(settings, self._store)),
            self._store,
            self._sink,
            crash_after_write=settings.fault_crash_after_write,
        )
        self.ready = asyncio.Event()
        self._in_flight = asyncio.Semaphore(settings.max_in_flight)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; the batch in hand is finished and committed first."""
        if self.settings.create_topics:
            await ensure_topics(self.settings, self._all_topics())
        await self._ensure_indexes()
        await self._sink.start()
        sweeper = asyncio.create_task(self._sweep_outbox(stop))
        try:
            await self._consumer.start()
            try:
                self.ready.set()
                log.info("serving %s", ", ".join(self._topics.topics))
                while not stop.is_set():
                    records = await self._consumer.poll()
                    if records:
                        await self._handle_batch(records)
                        await self._consumer.commit(records)
            finally:
                await self._consumer.stop()
                sweeper.cancel()
                await asyncio.gather(sweeper, return_exceptions=True)
        finally:
            await self._sink.stop()
            await self._store.close()
            log.info("stopped: offsets committed, clients closed")

    async def _ensure_indexes(self) -> None:
        """Indexes before serving; a store that is down at start-up is waited for."""
        while True:
            try:
                await self._store.ensure_indexes()
                return
            except StoreUnavailable as exc:
                log.warning("store unavailable at start-up, waiting: %s", exc)

    async def _sweep_outbox(self, stop: asyncio.Event) -> None:
        """Every `outbox_sweep_seconds`, publish entries that redelivery did not heal."""
        interval = self.settings.outbox_sweep_seconds
        while not stop.is_set():
            try:
                cutoff = datetime.now(UTC) - timedelta(seconds=interval)
                recovered = await self._dispatcher.recover(cutoff)
                if recovered:
                    log.info("published %d outbox entries left by an earlier run", recovered)
            except CustomerAsyncError as exc:
                log.warning("outbox sweep failed, will try again: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    def _all_topics(self) -> list[str]:
        topics = [self.settings.notification_topic]
        for operation in Operation:
            topics += [self.settings.request_topic(operation), self.settings.reply_topic(operation)]
        return topics

    async def _handle_batch(self, records: Sequence[IncomingRecord]) -> None:
        """Every record of the batch handled; one customer's writes in partition order."""
        lanes: dict[str, asyncio.Task[None]] = {}
        handling: list[asyncio.Task[None]] = []
        for record in records:
            request = self._topics.decode(record)
            lane = _lane(request)
            before = lanes.get(lane) if lane is not None else None
            task = asyncio.create_task(self._handle_after(before, record, request))
            if lane is not None:
                lanes[lane] = task
            handling.append(task)
        await asyncio.gather(*handling)

    async def _handle_after(
        self,
        before: asyncio.Task[None] | None,
        record: IncomingRecord,
        request: Command | Rejection,
    ) -> None:
        if before is not None:
            await asyncio.wait({before})  # its outcome is its own; only the order matters here
        async with self._in_flight:
            await self._handle(record, request)

    async def _handle(self, record: IncomingRecord, request: Command | Rejection) -> None:
        try:
            await self._dispatcher.dispatch(request)
        except Exception:
            # A bug outside the handlers: the request still gets its one (500) reply.
            log.exception("request %s/%d@%d failed", record.topic, record.partition, record.offset)
            address = ReplyAddress(
                self._topics.default_reply(request.operation),
                request.correlation_id,
                record.topic,
                request.key,
            )
            await self._sink.deliver(address, error_reply(InternalError()), ())


def _lane(request: Command | Rejection) -> str | None:
    """Requests sharing a lane run one after another, in partition order.

    Writes of one customer share a lane (the contract orders them); a create's lane is its
    request-derived id, so a create delivered twice runs once and then finds itself applied.
    Reads and refused requests need no order and run at once.
    """
    if isinstance(request, Command) and request.operation.writes:
        return command_customer_id(request)
    return None


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run one service instance until `stop` is set."""
    await CustomerService(settings).run(stop)
