"""The ledger: which of this run's writes are published, kept in the store as one number.

Every write stamps the outbox it stores with this run's id and a number this run issues, one
higher each time (`record.Stamp`). Once the write's entries are published its number is done.
The run's ledger entry in the store holds the highest number up to which every number is done
(`published`), the highest number it may issue (`reserved`, raised a block at a time before a
number past it is issued) and a heartbeat. So nothing is written to a customer after publishing
(on FerretDB a settle rewrites the whole document: it cost more than the write itself):

- this run knows its own numbers (`published_outbox`);
- another run's outbox is published when its number is at or below that run's `published`; a run
  without an entry was recovered, or stopped with everything published;
- a run whose heartbeat stopped for `ttl` is recovered by the sweep of any instance: the customers
  stamped past its `published` and up to its `reserved` (at most a block plus what was in
  flight) are published and settled, then its entry is removed (sweep.py) unless its heartbeat
  moved meanwhile. A run issues a number only within half of `ttl` after its last successful
  write of the entry (else it writes the entry first): a run taken for gone while it was silent
  (a store outage, a stalled process) writes its entry back before it stamps anything again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from customer_async.protocol.clock import SYSTEM_CLOCK, Clock
from customer_async.protocol.record import CustomerRecord, Stamp
from customer_async.protocol.retry import StoreRetry

log = logging.getLogger(__name__)

BLOCK = 512
"""Numbers reserved by one write of the ledger entry: a run that dies leaves at most this many
(plus those in flight) for the sweep to look up one by one."""
_EVERYTHING = 2**63 - 1
"""What a run without a ledger has published: every number."""
_RUNS_REMEMBERED = 1024
"""Other runs' `published` remembered at most (they only grow: a stale one is just cautious)."""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One run's ledger as stored."""

    run: str
    published: int
    reserved: int
    beat: datetime


class LedgerTable(Protocol):
    """Where ledgers are kept: one document per run."""

    async def keep(self, entry: LedgerEntry) -> None:
        """Write the run's entry (created when missing)."""
        ...

    async def get(self, run: str) -> LedgerEntry | None:
        """The run's entry, if it has one."""
        ...

    async def all(self) -> list[LedgerEntry]:
        """Every run's entry."""
        ...

    async def remove(self, run: str, beat: datetime | None = None) -> None:
        """Remove the run's entry (only if its heartbeat is still `beat`, when given)."""
        ...


def outbox_published(record: CustomerRecord, published: Mapping[str, int]) -> bool:
    """Whether the record's outbox is published, by the runs' `published` numbers given (every
    run with a ledger; a run missing has nothing unpublished). An outbox without a stamp was
    written before stamps existed: it is published when the sweep settles it."""
    if not record.outbox:
        return True
    stamp = record.stamp
    if stamp is None:
        return False
    return stamp.run not in published or stamp.number <= published[stamp.run]


class Ledger:
    """This run's numbers: issued, in flight, done; kept in a `LedgerTable` through the store's
    retry policy."""

    def __init__(
        self,
        table: LedgerTable,
        retry: StoreRetry,
        *,
        run: str,
        ttl: float,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._table = table
        self._retry = retry
        self.run = run
        self.ttl = ttl
        self._clock = clock
        self._issued = 0
        self._reserved = 0
        self._pending: dict[int, tuple[str, float]] = {}  # number -> (customer, when issued)
        self._kept: tuple[int, int] | None = None  # (published, reserved) as last written
        self._beat = float("-inf")
        self._reserving = asyncio.Lock()
        self._others: dict[str, int] = {}

    @property
    def pending(self) -> int:
        """Writes stamped and not yet known published."""
        return len(self._pending)

    @property
    def published(self) -> int:
        """The highest number up to which every number this run issued is done."""
        return next(iter(self._pending)) - 1 if self._pending else self._issued

    async def stamp(self, customer_id: str) -> Stamp:
        """A new number for a write of the customer, reserved in the store before it is used."""
        while self._issued >= self._reserved or self._silent():
            async with self._reserving:
                if self._issued >= self._reserved:
                    await self._keep(self._issued + BLOCK)
                elif self._silent():
                    await self._keep(self._reserved)
        self._issued += 1
        self._pending[self._issued] = (customer_id, self._clock.monotonic())
        return Stamp(self.run, self._issued)

    def _silent(self) -> bool:
        """Whether the entry was last written half of `ttl` ago or more (another instance may
        take this run for gone soon)."""
        return self._clock.monotonic() - self._beat >= self.ttl / 2

    def done(self, stamp: Stamp | None) -> None:
        """The write stamped so is published (or its stamp is carried by no customer)."""
        if stamp is not None and stamp.run == self.run:
            self._pending.pop(stamp.number, None)

    def waiting(self, stamp: Stamp) -> bool:
        """Whether this run's stamp is not done yet."""
        return stamp.run == self.run and stamp.number in self._pending

    def stale(self, seconds: float) -> list[tuple[Stamp, str]]:
        """This run's stamps not done `seconds` after they were issued, with their customers:
        a publish that failed, a write abandoned or lost to another writer (the sweep looks)."""
        before = self._clock.monotonic() - seconds
        return [
            (Stamp(self.run, number), customer_id)
            for number, (customer_id, issued) in self._pending.items()
            if issued <= before
        ]

    async def published_outbox(self, record: CustomerRecord) -> bool:
        """Whether the record's outbox is published (a foreign run's ledger is read when what is
        remembered of it does not say so)."""
        stamp = record.stamp
        if not record.outbox or stamp is None:
            return not record.outbox
        if stamp.run == self.run:
            return stamp.number <= self._issued and stamp.number not in self._pending
        if stamp.number <= self._others.get(stamp.run, 0):
            return True
        entry = await self._retry.run("read ledger", lambda: self._table.get(stamp.run))
        # A run without a ledger has published everything it will ever stamp.
        published = _EVERYTHING if entry is None else entry.published
        if len(self._others) >= _RUNS_REMEMBERED:
            self._others.clear()
        self._others[stamp.run] = published
        return stamp.number <= published

    async def flush(self) -> None:
        """Write `published` when it moved, or the heartbeat when a third of `ttl` passed."""
        due = self._clock.monotonic() - self._beat >= self.ttl / 3
        if self._kept is not None and (due or self._kept[0] != self.published):
            await self._keep(self._reserved)

    async def close(self) -> None:
        """At a stop: with every write published the entry goes (nothing left to recover);
        else `published` is written and the sweep of another instance recovers the rest."""
        if self._kept is None:
            return
        if self._pending:
            await self._keep(self._reserved)
        else:
            await self._retry.run("remove ledger", lambda: self._table.remove(self.run))
            self._kept = None

    async def _keep(self, reserved: int) -> None:
        entry = LedgerEntry(self.run, self.published, reserved, self._clock.now())
        await self._retry.run("keep ledger", lambda: self._table.keep(entry))
        self._reserved = max(self._reserved, reserved)
        self._kept = (entry.published, reserved)
        self._beat = self._clock.monotonic()

    async def coverage(self) -> dict[str, int]:
        """Every run's `published` (this run's as it is now): what `outbox_published` needs."""
        entries = await self._retry.run("read ledgers", self._table.all)
        covered = {e.run: e.published for e in entries}
        covered[self.run] = self.published
        return covered

    async def gone(self) -> list[LedgerEntry]:
        """Other runs whose heartbeat stopped `ttl` ago: to be recovered."""
        entries = await self._retry.run("read ledgers", self._table.all)
        silent_since = self._clock.now() - timedelta(seconds=self.ttl)
        return [e for e in entries if e.run != self.run and e.beat < silent_since]

    async def forget(self, gone: LedgerEntry) -> None:
        """Remove a recovered run's entry, unless it beat since it was read (it is alive)."""
        await self._retry.run("remove ledger", lambda: self._table.remove(gone.run, gone.beat))
        self._others.pop(gone.run, None)


def unrecovered(entry: LedgerEntry) -> Sequence[Stamp]:
    """The stamps a gone run may have left unpublished."""
    return [Stamp(entry.run, n) for n in range(entry.published + 1, entry.reserved + 1)]
