"""One writer per customer at a time, for a server that does not isolate updates (FerretDB v1).

FerretDB v1 applies an update by reading the document and writing it back, unisolated, so two
conditional updates of one customer can both "succeed" and one change is lost. An insert of a
unique `_id` is atomic there, so a lease document per customer serialises its writers.

A lease never blocks anything longer than its holder is alive:
- it names its holder (the instance's id) and expires `ttl` seconds after it was taken (the
  group's session timeout: the time in which Kafka, too, gives a silent member's partitions to
  another); a holder that keeps a lease longer (a write retried through a store outage) renews it;
- an expired lease is taken over by whoever needs it, whether a writer (`acquire`) or a settle
  (`hold_many`);
- the sweep removes every expired lease (`reap`), so none outlives its holder by more than
  `ttl` plus one sweep, and an instance with a stable id removes its previous run's at start.

MongoDB updates one document atomically, so there `NoLease` coordinates nothing: the version
condition of the write decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from customer_async.protocol.clock import SYSTEM_CLOCK, Clock
from customer_async.protocol.retry import StoreRetry

log = logging.getLogger(__name__)

_FIRST_POLL = 0.002
_LAST_POLL = 0.05
"""Seconds between two looks at a lease someone else holds (doubling from the first)."""


@dataclass(frozen=True, slots=True)
class LeaseEntry:
    """One customer's lease as stored."""

    customer_id: str
    token: str
    holder: str
    expires: datetime


class LeaseTable(Protocol):
    """Where leases are kept: a collection with a unique key on the customer id."""

    async def insert(self, leases: Sequence[LeaseEntry]) -> set[str]:
        """Insert each lease (atomic per customer); the customers whose lease existed already."""
        ...

    async def remove(self, customer_ids: Sequence[str], token: str) -> None:
        """Remove those customers' leases carrying `token` (only their taker has it)."""
        ...

    async def remove_expired(self, now: datetime, customer_ids: Sequence[str] | None) -> int:
        """Remove the leases that expired before `now` (of these customers, or all); how many."""
        ...

    async def remove_held_by(self, holder: str) -> int:
        """Remove every lease `holder` holds; how many."""
        ...

    async def extend(self, customer_ids: Sequence[str], holder: str, expires: datetime) -> None:
        """Move the expiry of those of `holder`'s leases to `expires`."""
        ...


class Writers(Protocol):
    """How writers of one customer are kept apart on the server at hand."""

    def holding(self, customer_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold the customer for a read and the write it decides (waits for another holder)."""
        ...

    def hold_many(
        self, customer_ids: Sequence[str]
    ) -> contextlib.AbstractAsyncContextManager[Sequence[str]]:
        """Hold as many of `customer_ids` as are free now; yields those."""
        ...

    async def release_predecessors(self) -> int:
        """Remove the leases an earlier run of this instance left; how many."""
        ...

    async def reap(self) -> int:
        """Remove every expired lease; how many."""
        ...

    async def renew(self) -> None:
        """Extend the leases this instance has held for a while."""
        ...


class NoLease:
    """MongoDB: writers of one customer need no coordination, the server applies updates
    atomically and the version condition decides."""

    @contextlib.asynccontextmanager
    async def holding(self, customer_id: str) -> AsyncIterator[None]:
        del customer_id
        yield

    @contextlib.asynccontextmanager
    async def hold_many(self, customer_ids: Sequence[str]) -> AsyncIterator[Sequence[str]]:
        yield customer_ids

    async def release_predecessors(self) -> int:
        return 0

    async def reap(self) -> int:
        return 0

    async def renew(self) -> None:
        return None


class CustomerLease:
    """Leases in a `LeaseTable`, every command through the store's retry policy.

    `holder` is this instance's id: its stable `GROUP_INSTANCE_ID` when it has one (`stable`),
    else an id of this run. `ttl` is how long a lease lasts unless renewed.
    """

    def __init__(
        self,
        table: LeaseTable,
        retry: StoreRetry,
        *,
        holder: str,
        stable: bool,
        ttl: float,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._table = table
        self._retry = retry
        self.holder = holder
        self._stable = stable
        self.ttl = ttl
        self._clock = clock
        self._held: dict[str, float] = {}  # customer id -> when its expiry was last set

    def _entry(self, customer_id: str, token: str) -> LeaseEntry:
        expires = self._clock.now() + timedelta(seconds=self.ttl)
        return LeaseEntry(customer_id, token, self.holder, expires)

    @contextlib.asynccontextmanager
    async def holding(self, customer_id: str) -> AsyncIterator[None]:
        token = await self._retry.run("take lease", lambda: self._acquire(customer_id))
        given_up = False
        try:
            yield
        except asyncio.CancelledError:
            given_up = True
            raise
        finally:
            self._held.pop(customer_id, None)
            await self._give_back(customer_id, token, once=given_up)

    async def _give_back(self, customer_id: str, token: str, *, once: bool) -> None:
        """Remove the lease; `once` (a request given up: a rebalance, a stop) tries one command
        instead of the outage budget. A lease left behind expires within `ttl` and is reaped."""
        try:
            if once:
                await asyncio.shield(self._table.remove([customer_id], token))
            else:
                await self._retry.run(
                    "give lease back", lambda: self._table.remove([customer_id], token)
                )
        except Exception as exc:
            log.warning("lease of %s not given back (%s); it expires by itself", customer_id, exc)

    async def _acquire(self, customer_id: str) -> str:
        """Waits until the customer's lease is free (or expired), takes it; returns its token."""
        token = uuid.uuid4().hex
        delay = _FIRST_POLL
        while True:
            try:
                taken = await self._table.insert([self._entry(customer_id, token)])
            except asyncio.CancelledError:
                # The insert may have landed: give back what may be ours, then stop.
                await asyncio.shield(self._table.remove([customer_id], token))
                raise
            if not taken:
                self._held[customer_id] = self._clock.monotonic()
                return token
            if await self._table.remove_expired(self._clock.now(), [customer_id]):
                continue  # its holder is gone: take it over at once
            # A little jitter, so two instances polling one lease do not stay in step.
            await self._clock.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, _LAST_POLL)

    @contextlib.asynccontextmanager
    async def hold_many(self, customer_ids: Sequence[str]) -> AsyncIterator[Sequence[str]]:
        """Leases for as many of `customer_ids` as are free now or held by nobody alive (two
        commands; two more when some lease had expired)."""
        token = uuid.uuid4().hex
        entries = [self._entry(c, token) for c in customer_ids]

        async def take() -> set[str]:
            taken = await self._table.insert(entries)
            if taken and await self._table.remove_expired(self._clock.now(), sorted(taken)):
                taken = await self._table.insert([e for e in entries if e.customer_id in taken])
            return taken

        taken = await self._retry.run("take leases", take)
        held = [c for c in customer_ids if c not in taken]
        try:
            yield held
        finally:
            if held:
                await self._retry.run("give leases back", lambda: self._table.remove(held, token))

    async def release_predecessors(self) -> int:
        """Only with a stable instance id: the leases its previous run left (a crash strands
        them until they expire) are removed as it starts; this run holds none yet."""
        if not self._stable:
            return 0
        return await self._retry.run(
            "release stranded leases", lambda: self._table.remove_held_by(self.holder)
        )

    async def reap(self) -> int:
        return await self._retry.run(
            "reap leases", lambda: self._table.remove_expired(self._clock.now(), None)
        )

    async def renew(self) -> None:
        """Leases held for a third of their time get their full time again (one command)."""
        now = self._clock.monotonic()
        old = [c for c, since in self._held.items() if now - since >= self.ttl / 3]
        if not old:
            return
        expires = self._clock.now() + timedelta(seconds=self.ttl)
        await self._retry.run("renew leases", lambda: self._table.extend(old, self.holder, expires))
        for customer_id in old:
            if customer_id in self._held:
                self._held[customer_id] = now
