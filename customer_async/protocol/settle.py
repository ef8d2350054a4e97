"""Settling: once a customer's outbox is published, it is emptied, for many customers at once.

The write path tells the settler what it published for which customer and at which version; the
service flushes every few milliseconds, so one bulk write settles the whole poll's customers.
Until the flush, the settler also tells the next write of that customer what is published
already, so nothing is published twice by this instance.
"""

from __future__ import annotations

import itertools
import logging

from customer_async.errors import CustomerAsyncError
from customer_async.protocol.lanes import Lanes
from customer_async.protocol.storage import Storage

log = logging.getLogger(__name__)

SETTLE_BATCH = 256
"""Customers settled by one flush at most, the longest published first."""


class Settler:
    """What this instance published and has not settled yet, per customer."""

    def __init__(self, store: Storage, lanes: Lanes) -> None:
        self._store = store
        self._lanes = lanes
        self._published: dict[str, int] = {}
        self._versions: dict[str, int] = {}

    def published_up_to(self, customer_id: str) -> int:
        """The highest outbox sequence this instance published for the customer, unsettled."""
        return self._published.get(customer_id, 0)

    def published(self, customer_id: str, seq: int, version: int) -> None:
        """Everything up to `seq` is out for the customer, whose document is at `version`."""
        self._published[customer_id] = max(seq, self._published.get(customer_id, 0))
        self._versions[customer_id] = version

    @property
    def pending(self) -> int:
        """Customers waiting to be settled."""
        return len(self._versions)

    async def flush(self) -> int:
        """Settle the `SETTLE_BATCH` customers published longest ago in one bulk write; returns
        how many were settled. Failures wait for a later flush.

        Bounded, so that a backlog never makes one flush too large for the store's timeout (a
        flush of the whole backlog, retried whole, would fail forever once it grew past that).
        A failed settle is harmless: the next write of the customer carries only what it finds
        unpublished, and the sweep publishes (again, with the same eventIds) what is left. A
        customer whose lane is busy is left for the next flush (or for the write in its lane,
        which trims its outbox itself), so settles never contend with this instance's writes.
        """
        if not self._versions:
            return 0
        async with self._lanes.hold_free(itertools.islice(self._versions, SETTLE_BATCH)) as free:
            batch = {c: self._versions[c] for c in free}
            if not batch:
                return 0
            try:
                settled = await self._store.settle(batch)
            except CustomerAsyncError as exc:
                log.warning("settling %d customers failed, will try again: %s", len(batch), exc)
                return 0
        for customer_id in settled:
            if self._versions.get(customer_id) == batch[customer_id]:  # not written again since
                del self._versions[customer_id]
                self._published.pop(customer_id, None)
        return len(settled)
