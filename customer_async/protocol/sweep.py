"""The sweep: what no write published is published, expired leases are removed, old tombstones
are purged.

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
from customer_async.protocol.settle import Settler
from customer_async.protocol.storage import Storage
from customer_async.protocol.writes import WritePath

log = logging.getLogger(__name__)

_PURGES_PER_RETENTION = 100
"""Tombstones are purged about this many times per retention (every 15 min for a day), not at
every sweep: the store may have to read every customer to find them."""


class Sweeper:
    """Twice every `interval` seconds: remove expired leases, publish entries older than
    `interval` (what a live instance publishes it settles within milliseconds; what is older
    was left by one that died, or whose settle failed), purge expired tombstones. So an entry
    left unsettled is published again within 1.5 `interval`."""

    def __init__(
        self,
        store: Storage,
        writes: WritePath,
        settler: Settler,
        lanes: Lanes,
        *,
        interval: float,
        retention: float,
        swept: Callable[[int], None] = lambda customers: None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._store = store
        self._writes = writes
        self._settler = settler
        self._lanes = lanes
        self.interval = interval
        self._retention = timedelta(seconds=retention)
        self._purge_every = max(interval, retention / _PURGES_PER_RETENTION)
        self._swept = swept
        self._clock = clock
        self._unmarked = True  # the first sweep also looks at documents older than `_pending`
        self._last_purge = clock.monotonic()

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
        written_before = self._clock.now() - timedelta(seconds=self.interval)
        recovered = await self.recover(written_before, unmarked=self._unmarked)
        self._unmarked = False
        self._swept(recovered)
        if recovered:
            log.info("published the outbox entries of %d customers", recovered)
        if self._clock.monotonic() - self._last_purge >= self._purge_every:
            await self._store.purge_tombstones(self._clock.now() - self._retention)
            self._last_purge = self._clock.monotonic()
        return recovered

    async def recover(self, written_before: datetime, *, unmarked: bool = False) -> int:
        """Publish the outbox entries written before the given time; returns how many customers.

        Each customer is published in its lane, oldest entry first, and read again there.
        """
        found = await self._store.unpublished(written_before)
        if unmarked:
            found += await self._store.unpublished(written_before, unmarked=True)
        for stale in found:
            async with self._lanes.hold(stale.customer_id):
                current = await self._store.load(stale.customer_id)
                if current is not None:
                    await self._writes.publish(current)
        await self._settler.flush()
        return len(found)
