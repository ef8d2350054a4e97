"""The running service: wires store, handlers, write path and Kafka, and runs the consume loop.

The loop never waits for a whole batch: each record is handled as soon as it arrives, up to
`max_in_flight` at once, one customer's writes in their lane (lanes.py). Offsets are committed
as each partition's records finish in order (offsets.py); what is published is recorded in the
run's ledger, written every quarter second (protocol/ledger.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable
from dataclasses import replace

from customer_async import schemas
from customer_async.answering import Answering, reply_address
from customer_async.customer_ids import command_customer_id
from customer_async.dispatch import Dispatcher
from customer_async.edge.decode import Rejection, RequestTopics
from customer_async.edge.kafka import KafkaSink, RequestConsumer, dead_letter_topic, ensure_topics
from customer_async.edge.records import HANDLING, IncomingRecord
from customer_async.errors import CustomerAsyncError, StoreUnavailable
from customer_async.handlers import HandlerContext, read_handlers_for
from customer_async.offsets import OffsetTracker, Partition
from customer_async.ops.http import OperationsServer
from customer_async.ops.metrics import ServiceMetrics
from customer_async.ops.readiness import Dependencies, Phase, Readiness, StorePing, assess
from customer_async.ops.tracing import tracing_for
from customer_async.protocol.lanes import Lanes
from customer_async.protocol.sweep import Sweeper
from customer_async.protocol.window import RecognitionWindow
from customer_async.protocol.writes import WritePath
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import Command, Operation

log = logging.getLogger(__name__)

_COMMIT_INTERVAL = 0.1
"""Seconds between offset commits while records keep finishing."""
_REVOKE_GRACE = 1.0
"""Seconds a rebalance waits for requests in hand before abandoning those that wrote nothing."""
UNPUBLISHED_LIMIT = 2048
"""Writes stored and not yet published at which an instance stops fetching until half are (the
broker refuses or is slow): more intake would only grow what the sweep has to publish."""
_RENEW_INTERVAL = 1.0
"""Seconds between two looks for leases held long enough to renew (a write in an outage)."""
_LEDGER_INTERVAL = 0.25
"""Seconds between two writes of the ledger while its `published` moves (protocol/ledger.py)."""


class CustomerService:
    """One instance of the service; several share the work through the consumer group."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._topics = RequestTopics(settings)
        self.metrics = ServiceMetrics()
        self._store = CustomerStore.from_settings(settings, self.metrics)
        self._sink = KafkaSink(settings, self.metrics)
        self.tracing = tracing_for(settings)
        # Every reply goes out through this one; the sink itself when tracing is off.
        self._answering = Answering(self.tracing.sink(self._sink))
        self._consumer = RequestConsumer(settings, self._topics.topics)
        self._lanes = Lanes()
        self._ledger = self._store.ledger()
        context = HandlerContext(settings, self._store)
        self._writes = WritePath(
            context,
            self._answering,
            self._ledger,
            crash_after_write=settings.fault_crash_after_write,
        )
        self._sweeper = Sweeper(
            self._store,
            self._writes,
            self._ledger,
            self._lanes,
            interval=settings.outbox_sweep_seconds,
            retention=settings.tombstone_retention_seconds,
            swept=self.metrics.outbox_swept,
        )
        self._dispatcher = Dispatcher(
            read_handlers_for(context), self._writes, self._answering, self.metrics, self.tracing
        )
        self._offsets = OffsetTracker()
        self._window = RecognitionWindow(settings.requests_remembered)
        self._handling: set[asyncio.Task[None]] = set()
        self.ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._store_ping = StorePing(self._store.ping)
        self.metrics.watch(
            in_flight=lambda: len(self._handling), unpublished=lambda: self._ledger.pending
        )
        self.operations = (
            OperationsServer(
                settings.http_host,
                settings.http_port,
                readiness=self.readiness,
                scrape=self._scrape,
            )
            if settings.http_enabled
            else None
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set; what is in hand is finished and committed first.

        The operations port is open from the start (health while waiting for Kafka or the
        store) to the end (readiness says "stopping" while what is in hand finishes).
        """
        self._stop = stop
        try:
            if self.operations is None:
                await self._serve(stop)
                return
            try:
                await self.operations.start()
            except BaseException:  # nothing has connected: close the clients built for _serve
                await self._consumer.stop()
                await self._sink.stop()
                await self._store.close()
                raise
            # Only /readyz reads the pings: without the port, the store is spared them.
            pinging = asyncio.create_task(self._store_ping.run(stop))
            try:
                await self._serve(stop)
            finally:
                pinging.cancel()
                await asyncio.gather(pinging, return_exceptions=True)
                await self.operations.stop()
        finally:
            await self.tracing.shutdown()

    def readiness(self) -> Readiness:
        """Whether this instance can take its share of the requests now (`/readyz`)."""
        phase = Phase.SERVING if self.ready.is_set() else Phase.STARTING
        dependencies = Dependencies(
            phase=Phase.STOPPING if self._stop.is_set() else phase,
            consumer_joined=self._consumer.joined,
            producer_connected=self._sink.connected,
            store=self._store_ping.answer,
            unpublished=self._ledger.pending,
            unpublished_limit=UNPUBLISHED_LIMIT,
        )
        return assess(dependencies, time.monotonic())

    async def _scrape(self, accept: str) -> tuple[bytes, str]:
        """`/metrics`: the consumer's lag as of now, then every metric."""
        self.metrics.consumer_lag(await self._consumer.lag())
        return self.metrics.exposition(accept)

    async def _serve(self, stop: asyncio.Event) -> None:
        # Each start-up step waits for a broker or store that is not there yet, until `stop`.
        started = (
            not self.settings.create_topics
            or await _until_stopped(ensure_topics(self.settings, self._all_topics()), stop)
        ) and await self._ensure_indexes(stop)
        if not started or not await _until_stopped(self._sink.start(), stop):
            await self._consumer.stop()  # built, never started: closed all the same
            await self._sink.stop()
            await self._store.close()
            return
        background = [
            asyncio.create_task(self._sweeper.run(stop)),
            asyncio.create_task(self._keep_ledger(stop)),
        ]
        try:
            if not await _until_stopped(self._consumer.start(self._partitions_revoked), stop):
                await self._consumer.stop()
                return
            try:
                self.ready.set()
                log.info("serving %s", ", ".join(self._topics.topics))
                await self._consume(stop)
            finally:
                await self._finish_in_hand()
                await self._consumer.stop()
        finally:
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            with contextlib.suppress(CustomerAsyncError):
                await self._ledger.close()
            await self._sink.stop()
            await self._store.close()
            log.info("stopped: offsets committed, clients closed")

    async def _consume(self, stop: asyncio.Event) -> None:
        last_commit = time.monotonic()
        paused = shed = False
        while not stop.is_set():
            room = self.settings.max_in_flight - len(self._handling)
            shed = self._shedding(shed)
            if (self._store.unavailable or shed) != paused:
                # While the store is away, requests wait in Kafka instead of piling up here:
                # only those already in hand wait for it. While publishing lags far behind, new
                # requests wait too, so that the backlog shrinks instead of growing.
                paused = self._store.unavailable or shed
                if paused:
                    self._consumer.pause()
                    log.warning(
                        "fetching paused: %s",
                        "store unavailable"
                        if self._store.unavailable
                        else f"{self._ledger.pending} writes to publish",
                    )
                else:
                    self._consumer.resume()
                    log.info("fetching resumed")
            if self._store.unavailable and not self._handling:
                await self._probe_store()
            if room <= 0:
                # Not forever: a write may be waiting for the next commit (window.py).
                await asyncio.wait(
                    self._handling, timeout=_COMMIT_INTERVAL, return_when=asyncio.FIRST_COMPLETED
                )
            else:
                records = await self._consumer.poll(
                    timeout_ms=50 if self._handling else 500, max_records=room
                )
                for record in records:
                    self._start(record)
            if time.monotonic() - last_commit >= _COMMIT_INTERVAL or not self._handling:
                await self._commit()
                last_commit = time.monotonic()

    def _shedding(self, shedding: bool) -> bool:
        """Whether intake waits for publishing: from `UNPUBLISHED_LIMIT` writes stored and not
        published until half of that (so it does not flap)."""
        backlog = self._ledger.pending
        if shedding:
            return backlog > UNPUBLISHED_LIMIT // 2
        return backlog >= UNPUBLISHED_LIMIT

    async def _probe_store(self) -> None:
        """With nothing in hand to notice the store's return, ask it (about once a second)."""
        with contextlib.suppress(StoreUnavailable):
            await self._store.ping()
        await asyncio.sleep(1.0)

    def _start(self, record: IncomingRecord) -> None:
        partition = (record.topic, record.partition)
        self._offsets.started(partition, record.offset)
        task = asyncio.create_task(self._handle(record))
        self._handling.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._handling.discard(done)
            if not done.cancelled():  # an abandoned record stays uncommitted: delivered again
                self._offsets.done(partition, record.offset)

        task.add_done_callback(finished)

    async def _commit(self) -> None:
        points = self._offsets.committable()
        if points and await self._consumer.commit(points):
            self._offsets.committed(points)
            await self._window.committed(points)

    async def _finish_in_hand(self, grace: float | None = None) -> None:
        """Let the records in hand finish (see `_let_go`; on a stop, for
        `shutdown_grace_seconds`), write the ledger, and commit past them."""
        await self._let_go(self.settings.shutdown_grace_seconds if grace is None else grace)
        with contextlib.suppress(CustomerAsyncError):
            await self._ledger.flush()
        await self._commit()

    async def _let_go(self, grace: float) -> None:
        """Wait for the requests in hand; after `grace`, those that may be delivered again
        instead are abandoned: nothing written yet (most often a write waiting for a busy
        customer's lease), or waiting for a store that is away. Their records stay uncommitted
        and come again to the partition's next owner (or this one after a restart); a write
        under way runs to its end (publish)."""
        while self._handling:
            _, pending = await asyncio.wait(set(self._handling), timeout=grace)
            abandoned = [t for t in pending if self._writes.may_abandon(t)]
            for task in abandoned:
                task.cancel()
            if abandoned:
                log.info("%d requests in hand to be delivered again", len(abandoned))
                await asyncio.wait(abandoned)

    async def _partitions_revoked(self, revoked: set[Partition]) -> None:
        """Before the group moves partitions: finish what is in hand and commit it, abandoning
        after a short grace what can be delivered again, so that this instance rejoins the group
        at once rather than keeping the partitions unserved."""
        await self._finish_in_hand(_REVOKE_GRACE)
        self._offsets.forget(revoked)
        await self._window.forget(revoked)

    async def _handle(self, record: IncomingRecord) -> None:
        HANDLING.set(record)  # this task's own context: a dead letter names the record
        with self.tracing.request(record, self._topics.operation(record.topic)) as span:
            with self.tracing.span("decode"):
                request = self._topics.decode(record)
            request = span.decoded(request)
            await self._dispatch(record, request)

    async def _dispatch(self, record: IncomingRecord, request: Command | Rejection) -> None:
        lane = _lane(request)
        try:
            if lane is None:
                await self._dispatcher.dispatch(request)
            else:
                partition = (record.topic, record.partition)
                async with self._lanes.hold(lane):
                    await self._window.room(partition, lane)
                    try:
                        await self._dispatcher.dispatch(request)
                    finally:
                        self._window.applied(partition, lane, record.offset)
        except Exception as exc:
            # A bug outside the handlers: the request still gets its one (500) reply.
            log.exception("request %s/%d@%d failed", record.topic, record.partition, record.offset)
            address = replace(
                reply_address(request), channel=self._topics.default_reply(request.operation)
            )
            self.tracing.answered(500)
            await self._answering.send_error(address, exc)

    async def _keep_ledger(self, stop: asyncio.Event) -> None:
        """Write the ledger every `_LEDGER_INTERVAL` (when it moved, or to beat); about once a
        second, renew the leases held long."""
        renewed = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(_LEDGER_INTERVAL)
            try:
                await self._ledger.flush()
            except CustomerAsyncError as exc:
                log.warning("writing the ledger failed, will try again: %s", exc)
            if time.monotonic() - renewed >= _RENEW_INTERVAL:
                renewed = time.monotonic()
                with contextlib.suppress(CustomerAsyncError):
                    await self._store.renew_leases()

    async def _prepare_store(self) -> None:
        await self._store.ensure_indexes()
        stranded = await self._store.release_stranded_leases()
        if stranded:
            log.info("released %d customer leases left by this instance's previous run", stranded)

    async def _ensure_indexes(self, stop: asyncio.Event) -> bool:
        """Indexes before serving; a store that is down at start-up is waited for (until stop)."""
        while not stop.is_set():
            try:
                if not await _until_stopped(self._prepare_store(), stop):
                    return False
            except StoreUnavailable as exc:
                log.warning("store unavailable at start-up, waiting: %s", exc)
            else:
                return True
        return False

    def _all_topics(self) -> list[str]:
        topics = [self.settings.notification_topic, dead_letter_topic(self.settings)]
        for operation in Operation:
            topics += [self.settings.request_topic(operation), self.settings.reply_topic(operation)]
        return topics


async def _until_stopped(step: Awaitable[None], stop: asyncio.Event) -> bool:
    """Run `step` unless `stop` is set first (then it is cancelled); whether it completed."""
    running = asyncio.ensure_future(step)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if running.done():
        running.result()  # its exception, if any, is the caller's
        return True
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    return False


def _settle_the_heap() -> None:
    """Load what every request uses, then move all objects alive now out of the collector's
    sight: a full collection over the start-up heap (modules, schemas, ~56,000 objects) took
    40-60 ms, a pause every request in flight would wait out."""
    schemas.default_registry().fast_validator("Customer")
    schemas.default_registry().fast_validator("Customer_FVO")
    gc.collect()
    gc.freeze()


def _lane(request: Command | Rejection) -> str | None:
    """Requests sharing a lane run one after another, in the order they arrived.

    Writes of one customer share a lane (the contract orders them); a create's lane is its
    request-derived id, so a create delivered twice runs once and then finds itself applied.
    Reads and refused requests need no order and run at once.
    """
    if isinstance(request, Command) and request.operation.writes:
        return command_customer_id(request)
    return None


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run one service instance, as this process's main work, until `stop` is set."""
    service = CustomerService(settings)
    running = asyncio.create_task(service.run(stop))
    ready = asyncio.create_task(service.ready.wait())
    await asyncio.wait({running, ready}, return_when=asyncio.FIRST_COMPLETED)
    if ready.done():
        _settle_the_heap()  # a process-wide choice: here, not in a service someone embeds
    else:
        ready.cancel()
    await running
