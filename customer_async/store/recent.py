"""The customers this instance wrote last, as it wrote them: the first read of a write.

A write reads the customer and writes it conditionally on the version read. When this instance
wrote the customer last (its requests come keyed by customer to one instance, so it usually
did), the record it wrote is what the store holds, and the read can be skipped: a stale copy
(another instance wrote since, after a rebalance) only makes the conditional write find the
version moved, and the write path then reads the store, as after any lost race. A write that
did not land drops its copy, so the retry reads the store. Bounded: the least recently written
go first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from customer_async.protocol.record import CustomerRecord

RECENT_CUSTOMERS = 1024
"""Records kept at most (a few kilobytes each)."""


class RecentWrites:
    """Bounded, least recently written first out."""

    def __init__(self, size: int = RECENT_CUSTOMERS) -> None:
        self._size = size
        self._records: OrderedDict[str, CustomerRecord] = OrderedDict()

    def get(self, customer_id: str) -> CustomerRecord | None:
        """The record this instance wrote last for the customer, if it is still kept."""
        return self._records.get(customer_id)

    def wrote(self, record: CustomerRecord) -> None:
        """`record` is now what the store holds."""
        self._records[record.customer_id] = record
        self._records.move_to_end(record.customer_id)
        while len(self._records) > self._size:
            self._records.popitem(last=False)

    def forget(self, customer_ids: Iterable[str]) -> None:
        """The store may hold something else for these now."""
        for customer_id in customer_ids:
            self._records.pop(customer_id, None)
