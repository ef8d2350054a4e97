"""A deterministic model of the service around the real protocol code: processes of the service
(each its write path, ledger, lanes, sweep and dispatcher, as `CustomerService` wires them), a
consumer group over request partitions with committed offsets, a store in memory (memory.py) and
a log of everything published, on one virtual clock.

What it leaves out on purpose: encoding (edge/), Kafka itself (a partition here is a list and a
committed offset) and the read handlers. What it keeps: every store command, every await between
them, and what a process keeps in memory (lost when it dies).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from customer_async.answering import Answering
from customer_async.customer_ids import command_customer_id, created_customer_id
from customer_async.dispatch import Dispatcher
from customer_async.errors import CustomerAsyncError
from customer_async.handlers import HandlerContext
from customer_async.protocol.lanes import Lanes
from customer_async.protocol.sweep import Sweeper
from customer_async.protocol.window import Partition as PartitionKey
from customer_async.protocol.window import RecognitionWindow
from customer_async.protocol.writes import WritePath
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import Command, Event, Operation, Reply, ReplyAddress
from tests.protocol.memory import MemoryStore, Process, ProcessDied, World, run_to_end
from tests.support.examples import create_request

SETTINGS = Settings(
    topic_prefix="sim", mongodb_database="sim", group_id="sim", requests_remembered=2
)
"""Two remembered requests: a short window, so that falling out of it is within reach."""
SESSION_TIMEOUT = SETTINGS.session_timeout_ms / 1000
LEASE_TTL = SESSION_TIMEOUT


@dataclass(frozen=True)
class Published:
    """One record a process published: a reply or an event."""

    at: float
    process: str
    correlation_id: str
    status: int | None = None  # a reply's
    body: object = None
    event_id: str | None = None  # an event's
    customer_id: str | None = None
    version: int | None = None


class SimSink:
    """The broker's side of publishing: one command per batch, then everything in it is out."""

    def __init__(self, world: World, process: Process, log: list[Published]) -> None:
        self._world = world
        self._process = process
        self._log = log

    async def deliver(self, batch: Sequence[tuple[ReplyAddress, Reply, Sequence[Event]]]) -> None:
        dies = self._process.step()
        at = self._world.clock.seconds
        for address, reply, events in batch:
            for event in events:
                self._log.append(
                    Published(
                        at,
                        self._process.name,
                        event.correlation_id,
                        event_id=event.event_id,
                        customer_id=event.customer_id,
                        version=event.resource_version,
                    )
                )
            self._log.append(
                Published(at, self._process.name, address.correlation_id, reply.status, reply.body)
            )
        if dies:
            raise ProcessDied(self._process.name)


class SimService:
    """One process of the service, wired as `CustomerService` wires it."""

    def __init__(self, world: World, name: str, log: list[Published]) -> None:
        self.name = name
        self.process = Process(name)
        self.store = MemoryStore(
            world,
            self.process,
            retry_seconds=SETTINGS.store_retry_seconds,
            lease_ttl=LEASE_TTL,
        )
        self.lanes = Lanes()
        self.ledger = self.store.ledger()
        context = HandlerContext(SETTINGS, cast("CustomerStore", self.store))
        answering = Answering(SimSink(world, self.process, log))
        self.writes = WritePath(
            context,
            answering,
            self.ledger,
            storage=self.store,
            clock=world.clock,
        )
        self.sweeper = Sweeper(
            self.store,
            self.writes,
            self.ledger,
            self.lanes,
            interval=SETTINGS.outbox_sweep_seconds,
            retention=SETTINGS.tombstone_retention_seconds,
            clock=world.clock,
        )
        self.dispatcher = Dispatcher({}, self.writes, answering)
        self.window = RecognitionWindow(SETTINGS.requests_remembered)

    @property
    def alive(self) -> bool:
        return self.process.alive

    async def handle(self, command: Command, partition: PartitionKey, offset: int) -> bool:
        """Handle one request to its reply, as `CustomerService._dispatch` does (a write in its
        customer's lane, within the recognition window); whether the process lived through it.
        The caller commits first when the window asks for it (the service's loop commits every
        100 ms meanwhile)."""
        lane = command_customer_id(command)
        if lane is not None:
            await self.window.room(partition, lane)
        await run_to_end(self.dispatcher.dispatch(command))
        if lane is not None and self.alive:
            self.window.applied(partition, lane, offset)
        return self.alive

    async def keep_ledger(self) -> None:
        """One round of the ledger loop, which logs a failure and tries again next time."""
        with contextlib.suppress(CustomerAsyncError):
            await run_to_end(self.ledger.flush())

    async def sweep(self) -> None:
        """One round of the sweep loop, which logs a failed sweep and tries again next time."""
        with contextlib.suppress(CustomerAsyncError):
            await run_to_end(self.sweeper.sweep())


@dataclass
class Partition:
    """A request partition: its records, its committed offset, and who reads it from where."""

    records: list[Command] = field(default_factory=list)
    committed: int = 0
    owner: str | None = None
    position: int = 0
    assigned_end: int = 0
    """The log's end when the owner got the partition: a record before it may have been
    answered by an earlier owner."""
    done: set[int] = field(default_factory=set)

    def commit(self) -> None:
        while self.committed in self.done:
            self.committed += 1


@dataclass
class Group:
    """The consumer group: partitions shared among the live members, eagerly rebalanced."""

    partitions: list[Partition]
    members: list[str] = field(default_factory=list)

    def rebalance(self, members: Sequence[str]) -> None:
        """Every partition to a member (round robin); each owner starts at the committed
        offset. A live member's finished records are committed first (it is told to)."""
        for partition in self.partitions:
            if partition.owner in members:  # a dead owner commits nothing more
                partition.commit()
        self.members = sorted(members)
        for index, partition in enumerate(self.partitions):
            partition.owner = self.members[index % len(self.members)] if self.members else None
            partition.position = partition.committed
            partition.assigned_end = len(partition.records)
            partition.done = {o for o in partition.done if o >= partition.committed}


def create(customer: int, topic: str = SETTINGS.request_topic(Operation.CREATE)) -> Command:
    """The create of customer number `customer`."""
    return Command(
        Operation.CREATE,
        f"create-{customer}",
        topic,
        SETTINGS.reply_topic(Operation.CREATE),
        payload=create_request(name=f"customer {customer}"),
    )


def customer_id(customer: int) -> str:
    """The id the create of customer number `customer` gives it."""
    return created_customer_id(create(customer).request_key)


def patch(customer: int, serial: int) -> Command:
    """The `serial`-th merge patch of customer number `customer`."""
    return Command(
        Operation.PATCH,
        f"patch-{customer}-{serial}",
        SETTINGS.request_topic(Operation.PATCH),
        SETTINGS.reply_topic(Operation.PATCH),
        parameters={"id": customer_id(customer)},
        content_type="application/merge-patch+json",
        payload={"description": f"change {serial}"},
    )


def delete(customer: int) -> Command:
    """The delete of customer number `customer`."""
    return Command(
        Operation.DELETE,
        f"delete-{customer}",
        SETTINGS.request_topic(Operation.DELETE),
        SETTINGS.reply_topic(Operation.DELETE),
        parameters={"id": customer_id(customer)},
    )
