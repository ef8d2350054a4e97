"""What the protocol needs from a store: the write side of `store.CustomerStore`.

Every method goes through the store's retry policy (`retry.StoreRetry`) and raises
`StoreUnavailable` once it is spent; `writing` and `settle` hold the customers through the
store's `lease.Writers`. The store also keeps the runs' ledgers (`ledger.LedgerTable`).
tests/protocol implements it in memory, with faults, for the simulation; the real-server tests
are the contract test of `CustomerStore` against the same promises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from customer_async.protocol.record import CustomerRecord, Stamp
from customer_async.types import Document


class CustomerWriter(Protocol):
    """Reads and writes one customer while `Storage.writing` holds it."""

    customer_id: str

    async def load(self) -> CustomerRecord | None:
        """The customer with its bookkeeping, a tombstone included."""
        ...

    async def write(self, before: CustomerRecord, after: CustomerRecord, shadow: Document) -> bool:
        """Writes `after` if the customer is still at `before.version`: one conditional update.

        False when another write came first, or when this very write landed already (an
        acknowledgement lost in a retried command): the caller reads again to tell which.
        """
        ...


class Storage(Protocol):
    """Customers with their bookkeeping (record.py), as the write path and sweep use them."""

    @property
    def unavailable(self) -> bool:
        """Whether the latest command failed to reach the store (an outage under way)."""
        ...

    async def insert(self, record: CustomerRecord, shadow: Document) -> bool:
        """Stores a new customer; False when its id is taken (the create was applied before)."""
        ...

    def writing(self, customer_id: str) -> contextlib.AbstractAsyncContextManager[CustomerWriter]:
        """The one way to write an existing customer: read it and write it conditionally, while
        no other instance writes it."""
        ...

    async def load(self, customer_id: str) -> CustomerRecord | None:
        """The customer with its bookkeeping, a tombstone included."""
        ...

    async def settle(self, published: Mapping[str, int]) -> list[str]:
        """Empties the outbox of each customer still at the version given; the customers dealt
        with (the others were held by a writer: settled later). Only the recovery of what
        another run left needs it: a run's own writes are published by its ledger."""
        ...

    async def stamped(self, stamps: Sequence[Stamp]) -> list[CustomerRecord]:
        """The customers whose outbox carries one of these stamps."""
        ...

    async def unstamped(self, written_before: datetime, limit: int = 1000) -> list[CustomerRecord]:
        """Customers with outbox entries written before the given time and no stamp (stored by a
        version before stamps), oldest id first."""
        ...

    async def purge_tombstones(
        self, deleted_before: datetime, published: Mapping[str, int], *, unmarked: bool = False
    ) -> int:
        """Removes deleted customers whose retention ended and whose outbox is published by the
        runs' `published` numbers given (`ledger.outbox_published`); `unmarked`: also look for
        tombstones a version before the store's tombstone mark left (a costlier read)."""
        ...

    async def release_stranded_leases(self) -> int:
        """At start-up: leases this instance's previous run left (stable instance id only)."""
        ...

    async def reap_leases(self) -> int:
        """Removes every expired lease (their holders are gone)."""
        ...

    async def renew_leases(self) -> None:
        """Extends the leases this instance has held for a while."""
        ...
