"""`Storage` in memory, with the faults a real store and a real process show: a command that
fails before or after it lands, a frozen store, a process that dies at any command it sends (its
leases stay behind), on a virtual clock so that waits of 30 s cost nothing.

Leases and retries are the service's own (`protocol.lease`, `protocol.retry`): only the
documents and the lease table are in memory, so the simulation exercises the protocol's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from pymongo.errors import AutoReconnect, NetworkTimeout, PyMongoError

from customer_async.log_limits import OutageLog
from customer_async.protocol.lease import CustomerLease, LeaseEntry
from customer_async.protocol.ledger import Ledger, LedgerEntry, outbox_published
from customer_async.protocol.record import CustomerRecord, Stamp
from customer_async.protocol.retry import StoreRetry
from customer_async.store.errors import is_transient
from customer_async.types import Document

T = TypeVar("T")

STORE_TIMEOUT = 5.0
"""Virtual seconds a command waits on a frozen store before the driver gives up on it."""


class ProcessDied(BaseException):
    """The process running this code is gone: nothing after this point runs (not even a
    `finally` that sends a command: a dead process's commands never arrive)."""


class VirtualClock:
    """Time that moves only when someone sleeps or the simulation advances it."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._epoch = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._epoch + timedelta(seconds=self.seconds)

    def monotonic(self) -> float:
        return self.seconds

    async def sleep(self, seconds: float) -> None:
        self.seconds += max(seconds, 0.0)
        await asyncio.sleep(0)


@dataclass
class World:
    """What every process shares: the store's contents, its health, and the clock."""

    clock: VirtualClock = field(default_factory=VirtualClock)
    customers: dict[str, CustomerRecord] = field(default_factory=dict)
    leases: dict[str, LeaseEntry] = field(default_factory=dict)
    ledgers: dict[str, LedgerEntry] = field(default_factory=dict)
    events_written: set[str] = field(default_factory=set)
    """Every event of every write that landed: each must be published at least once."""
    frozen_until: float = 0.0
    fail_next: str | None = None  # "before" or "after": the next command fails that way
    commands: int = 0

    def written(self, record: CustomerRecord) -> None:
        """A write of `record` landed."""
        self.events_written.update(e.event_id for p in record.outbox for e in p.events)

    def frozen(self) -> bool:
        return self.clock.seconds < self.frozen_until


@dataclass
class Process:
    """One service process: alive until it dies, optionally at its n-th next command."""

    name: str
    alive: bool = True
    die_in: int | None = None  # commands (store or broker) until it dies
    die_after_landing: bool = False

    def step(self) -> bool:
        """Count one command about to be sent; whether the process dies with it (after it
        lands when `die_after_landing`). A dead process sends nothing."""
        if not self.alive:
            raise ProcessDied(self.name)
        if self.die_in is None:
            return False
        self.die_in -= 1
        if self.die_in > 0:
            return False
        self.alive = False
        if not self.die_after_landing:
            raise ProcessDied(self.name)
        return True


class MemoryStore:
    """One process's connection to the world's store (`protocol.storage.Storage`)."""

    def __init__(
        self,
        world: World,
        process: Process,
        *,
        retry_seconds: float,
        lease_ttl: float,
        instance_id: str | None = None,
    ) -> None:
        self.world = world
        self.process = process
        self._retry = StoreRetry(
            retry_seconds,
            is_transient,
            PyMongoError,
            outage=OutageLog(f"memory store {process.name}"),
            clock=world.clock,
        )
        self.lease = CustomerLease(
            _MemoryLeases(self),
            self._retry,
            holder=instance_id or f"run-{uuid.uuid4().hex}",
            stable=instance_id is not None,
            ttl=lease_ttl,
            clock=world.clock,
        )
        self._lease_ttl = lease_ttl
        self.purges: list[bool] = []
        """Each purge's `unmarked`, in order."""

    def ledger(self) -> Ledger:
        """This process's ledger, in the world's dictionary (as `CustomerStore.ledger`)."""
        return Ledger(
            _MemoryLedgers(self),
            self._retry,
            run=f"{self.process.name}/{uuid.uuid4().hex[:8]}",
            ttl=self._lease_ttl,
            clock=self.world.clock,
        )

    async def command(self, apply: Callable[[], T]) -> T:
        """One command to the store, with whatever fault is due."""
        world = self.world
        dies = self.process.step()
        await asyncio.sleep(0)  # another task may run meanwhile, as over a socket
        if world.frozen():
            waited = min(STORE_TIMEOUT, world.frozen_until - world.clock.seconds)
            await world.clock.sleep(waited)
            if world.frozen():
                raise NetworkTimeout("the store did not answer in time")
        fault, world.fail_next = world.fail_next, None
        if fault == "before":
            raise AutoReconnect("connection closed before the command arrived")
        world.commands += 1
        result = apply()
        if dies:
            raise ProcessDied(self.process.name)
        if fault == "after":
            raise AutoReconnect("connection closed before the answer arrived")
        return result

    async def _run(self, what: str, apply: Callable[[], T]) -> T:
        return await self._retry.run(what, lambda: self.command(apply))

    # Storage

    @property
    def unavailable(self) -> bool:
        return self._retry.outage.failures > 0

    async def insert(self, record: CustomerRecord, shadow: Document) -> bool:
        def apply() -> bool:
            if record.customer_id in self.world.customers:
                return False
            self.world.customers[record.customer_id] = record
            self.world.written(record)
            return True

        return await self._run("insert", apply)

    @contextlib.asynccontextmanager
    async def writing(self, customer_id: str) -> AsyncIterator[MemoryWriter]:
        async with self.lease.holding(customer_id):
            yield MemoryWriter(self, customer_id)

    async def load(self, customer_id: str) -> CustomerRecord | None:
        return await self._run("load", lambda: self.world.customers.get(customer_id))

    async def write(self, before: CustomerRecord, after: CustomerRecord) -> bool:
        def apply() -> bool:
            current = self.world.customers.get(before.customer_id)
            if current is None or current.version != before.version:
                return False
            self.world.customers[before.customer_id] = after
            self.world.written(after)
            return True

        return await self._run("write", apply)

    async def settle(self, published: Mapping[str, int]) -> list[str]:
        if not published:
            return []
        async with self.lease.hold_many(list(published)) as held:

            def apply() -> None:
                for customer_id in held:
                    current = self.world.customers.get(customer_id)
                    if current is not None and current.version == published[customer_id]:
                        self.world.customers[customer_id] = dataclasses.replace(current, outbox=())

            await self._run("settle", apply)
        return list(held)

    async def stamped(self, stamps: Sequence[Stamp]) -> list[CustomerRecord]:
        wanted = set(stamps)

        def apply() -> list[CustomerRecord]:
            return [r for _, r in sorted(self.world.customers.items()) if r.stamp in wanted]

        return await self._run("stamp lookup", apply)

    async def unstamped(self, written_before: datetime, limit: int = 1000) -> list[CustomerRecord]:
        def apply() -> list[CustomerRecord]:
            found = [
                r
                for _, r in sorted(self.world.customers.items())
                if r.stamp is None and any(p.written_at < written_before for p in r.outbox)
            ]
            return found[:limit]

        return await self._run("unstamped scan", apply)

    async def purge_tombstones(
        self, deleted_before: datetime, published: Mapping[str, int], *, unmarked: bool = False
    ) -> int:
        self.purges.append(unmarked)  # every tombstone of the simulation is found either way

        def apply() -> int:
            gone = [
                c
                for c, r in self.world.customers.items()
                if r.deleted_at is not None
                and r.deleted_at < deleted_before
                and outbox_published(r, published)
            ]
            for customer_id in gone:
                del self.world.customers[customer_id]
            return len(gone)

        return await self._run("purge tombstones", apply)

    async def release_stranded_leases(self) -> int:
        return await self.lease.release_predecessors()

    async def reap_leases(self) -> int:
        return await self.lease.reap()

    async def renew_leases(self) -> None:
        await self.lease.renew()


class MemoryWriter:
    """`protocol.storage.CustomerWriter` over a `MemoryStore`."""

    def __init__(self, store: MemoryStore, customer_id: str) -> None:
        self._store = store
        self.customer_id = customer_id

    async def load(self) -> CustomerRecord | None:
        return await self._store.load(self.customer_id)

    async def write(self, before: CustomerRecord, after: CustomerRecord, shadow: Document) -> bool:
        del shadow
        return await self._store.write(before, after)


class _MemoryLeases:
    """`protocol.lease.LeaseTable` in the world's dictionary, each call one store command."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._leases = store.world.leases

    async def insert(self, leases: Sequence[LeaseEntry]) -> set[str]:
        def apply() -> set[str]:
            taken = {e.customer_id for e in leases if e.customer_id in self._leases}
            for entry in leases:
                self._leases.setdefault(entry.customer_id, entry)
            return taken

        return await self._store.command(apply)

    async def remove(self, customer_ids: Sequence[str], token: str) -> None:
        def apply() -> None:
            for customer_id in customer_ids:
                lease = self._leases.get(customer_id)
                if lease is not None and lease.token == token:
                    del self._leases[customer_id]

        await self._store.command(apply)

    async def remove_expired(self, now: datetime, customer_ids: Sequence[str] | None) -> int:
        def apply() -> int:
            ids = list(self._leases) if customer_ids is None else customer_ids
            gone = [c for c in ids if c in self._leases and self._leases[c].expires < now]
            for customer_id in gone:
                del self._leases[customer_id]
            return len(gone)

        return await self._store.command(apply)

    async def remove_held_by(self, holder: str) -> int:
        def apply() -> int:
            gone = [c for c, lease in self._leases.items() if lease.holder == holder]
            for customer_id in gone:
                del self._leases[customer_id]
            return len(gone)

        return await self._store.command(apply)

    async def extend(self, customer_ids: Sequence[str], holder: str, expires: datetime) -> None:
        def apply() -> None:
            for customer_id in customer_ids:
                lease = self._leases.get(customer_id)
                if lease is not None and lease.holder == holder:
                    self._leases[customer_id] = dataclasses.replace(lease, expires=expires)

        await self._store.command(apply)


class _MemoryLedgers:
    """`protocol.ledger.LedgerTable` in the world's dictionary, each call one store command."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self._ledgers = store.world.ledgers

    async def keep(self, entry: LedgerEntry) -> None:
        def apply() -> None:
            self._ledgers[entry.run] = entry

        await self._store.command(apply)

    async def get(self, run: str) -> LedgerEntry | None:
        return await self._store.command(lambda: self._ledgers.get(run))

    async def all(self) -> list[LedgerEntry]:
        return await self._store.command(lambda: list(self._ledgers.values()))

    async def remove(self, run: str, beat: datetime | None = None) -> None:
        def apply() -> None:
            entry = self._ledgers.get(run)
            if entry is not None and (beat is None or entry.beat == beat):
                del self._ledgers[run]

        await self._store.command(apply)


async def run_to_end(coroutine: Awaitable[T]) -> T | None:
    """`coroutine`'s result, or None when its process died on the way."""
    try:
        return await coroutine
    except ProcessDied:
        return None
