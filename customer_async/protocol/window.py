"""How far back a redelivery is recognised, kept within what the customer remembers.

A customer remembers the replies of its last `keep` write requests (record.py). A record is
delivered again only while its offset is not committed, and then so is every later record of its
partition. So if this instance applied `keep` writes of one customer from one partition since
that partition's commit point, a crash now would deliver the earliest of them again after its
reply had left the customer's memory, and it would be applied twice. The window makes the next
write of that customer wait until the commit point has passed enough of them: at most `keep - 1`
of a customer's applied writes per partition are ever uncommitted before the next is applied.

Writes of one customer arriving on other partitions (requests not keyed by the customer id) are
not counted: the contract orders only one partition, and clients key a customer's writes by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping

Partition = tuple[str, int]


class RecognitionWindow:
    """Per partition and customer: offsets of writes applied here and not committed yet."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._applied: dict[Partition, dict[str, list[int]]] = {}
        self._moved = asyncio.Condition()

    def uncommitted(self, partition: Partition, customer_id: str) -> int:
        """Writes of the customer applied from `partition` since its commit point."""
        return len(self._applied.get(partition, {}).get(customer_id, ()))

    async def room(self, partition: Partition, customer_id: str) -> None:
        """Wait until one more write of the customer from `partition` keeps the earliest
        uncommitted one recognisable (fewer than `keep` are uncommitted)."""
        if self.uncommitted(partition, customer_id) < self.keep:
            return
        async with self._moved:
            await self._moved.wait_for(lambda: self.uncommitted(partition, customer_id) < self.keep)

    def applied(self, partition: Partition, customer_id: str, offset: int) -> None:
        """A write of the customer at `offset` was handled (applied, refused or answered)."""
        self._applied.setdefault(partition, {}).setdefault(customer_id, []).append(offset)

    async def committed(self, points: Mapping[Partition, int]) -> None:
        """The partitions' commit points moved to `points`: what lies before is never
        delivered again."""
        for partition, point in points.items():
            customers = self._applied.get(partition)
            if not customers:
                continue
            for customer_id in list(customers):
                kept = [o for o in customers[customer_id] if o >= point]
                if kept:
                    customers[customer_id] = kept
                else:
                    del customers[customer_id]
        async with self._moved:
            self._moved.notify_all()

    async def forget(self, partitions: Iterable[Partition]) -> None:
        """Partitions this instance no longer owns."""
        for partition in partitions:
            self._applied.pop(partition, None)
        async with self._moved:
            self._moved.notify_all()
