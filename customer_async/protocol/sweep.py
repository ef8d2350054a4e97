"""The sweep: what no write published is published, runs that are gone are recovered, expired
leases are removed, old tombstones are purged.

A crash between a write and its publish normally heals when the uncommitted request is delivered
again, or when the customer is written next; the sweep covers the rest (a request answered 503
whose write did land, one that will not come again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from customer_async.errors import CustomerAsyncError
from customer_async.protocol.clock import SYSTEM_CLOCK, Clock
from customer_async.protocol.lanes import Lanes
from customer_async.protocol.ledger import Ledger, LedgerEntry, unrecovered
from customer_async.protocol.storage import Storage
from customer_async.protocol.writes import WritePath

log = logging.getLogger(__name__)

PURGES_PER_RETENTION = 100
"""Tombstones are purged about this many times per retention (every 15 min for a day), not at
every sweep: the store may have to read every customer to find them."""


class Sweeper:
    """Twice every `interval` seconds: remove expired leases; publish what this run stamped
    `interval` ago and has not published (a publish that failed, a write abandoned); recover the
    runs whose ledger stopped beating (their instance is gone); once after a start, publish
    outboxes written before stamps existed; purge expired tombstones. So what a live instance
    left unpublished is published within 1.5 `interval`, what a dead one left within its
    ledger's `ttl` plus one `interval`."""

    def __init__(
        self,
        store: Storage,
        writes: WritePath,
        ledger: Ledger,
        lanes: Lanes,
        *,
        interval: float,
        retention: float,
        swept: Callable[[int], None] = lambda customers: None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._store = store
        self._writes = writes
        self._ledger = ledger
        self._lanes = lanes
        self.interval = interval
        self._retention = timedelta(seconds=retention)
        self._purge_every = max(interval, retention / PURGES_PER_RETENTION)
        self._swept = swept
        self._clock = clock
        self._unstamped = True  # the first sweep also looks for outboxes without a stamp
        self._last_purge = clock.monotonic()
        self._unmarked = True  # the first purge also looks for tombstones stored unmarked

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every `interval` until `stop` is set; a failed sweep is tried again next time."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval / 2)
            if stop.is_set():
                return
            try:
                await self.sweep()
            except CustomerAsyncError as exc:
                log.warning("outbox sweep failed, will try again: %s", exc)

    async def sweep(self) -> int:
        """One sweep; returns how many customers had entries to publish."""
        reaped = await self._store.reap_leases()
        if reaped:
            log.info("removed %d expired customer leases (their holders are gone)", reaped)
        recovered = await self._own()
        for gone in await self._ledger.gone():
            recovered += await self._recover(gone)
        if self._unstamped:
            written_before = self._clock.now() - timedelta(seconds=self.interval)
            recovered += await self._publish_unstamped(written_before)
            self._unstamped = False
        self._swept(recovered)
        if recovered:
            log.info("published the outbox entries of %d customers", recovered)
        if self._clock.monotonic() - self._last_purge >= self._purge_every:
            coverage = await self._ledger.coverage()
            await self._store.purge_tombstones(
                self._clock.now() - self._retention, coverage, unmarked=self._unmarked
            )
            self._last_purge = self._clock.monotonic()
            self._unmarked = False
        return recovered

    async def _own(self) -> int:
        """This run's stamps left pending for `interval`: published if the customer carries
        the stamp still, else done (a later write carried the entries, or the write never
        landed). Returns how many were published."""
        published = 0
        for stamp, customer_id in self._ledger.stale(self.interval):
            async with self._lanes.hold(customer_id):
                if not self._ledger.waiting(stamp):
                    continue
                current = await self._store.load(customer_id)
                if current is not None and current.stamp == stamp and current.outbox:
                    await self._writes.publish(current)
                    published += 1
                self._ledger.done(stamp)
        return published

    async def _recover(self, gone: LedgerEntry) -> int:
        """A gone run's customers that may hold unpublished entries are published and settled;
        then its ledger goes. Returns how many were published."""
        left = published = 0
        for found in await self._store.stamped(unrecovered(gone)):
            async with self._lanes.hold(found.customer_id):
                current = await self._store.load(found.customer_id)
                if current is None or current.stamp != found.stamp or not current.outbox:
                    continue  # written since: that write carried the entries
                if await self._writes.publish(current):
                    published += 1
                settled = await self._store.settle({current.customer_id: current.version})
                left += current.customer_id not in settled  # held by a writer: next sweep
        if left:
            log.info("run %s: %d customers to settle at the next sweep", gone.run, left)
        else:
            await self._ledger.forget(gone)
            log.info("recovered run %s (its instance is gone): %d customers", gone.run, published)
        return published

    async def _publish_unstamped(self, written_before: datetime) -> int:
        """Publish and settle the outboxes without a stamp written before the given time (by a
        version before stamps); returns how many customers."""
        found = await self._store.unstamped(written_before)
        for stale in found:
            async with self._lanes.hold(stale.customer_id):
                current = await self._store.load(stale.customer_id)
                if current is not None and current.stamp is None and current.outbox:
                    await self._writes.publish(current)
                    await self._store.settle({current.customer_id: current.version})
        return len(found)
