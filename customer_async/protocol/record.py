"""A customer as the write path sees it: its resource plus the bookkeeping that keeps promises.

One stored document carries everything one write needs, so a write is one read and one
conditional write:
- `version` orders the customer's writes; every write is conditioned on it and raises it.
- `applied` holds the replies of the last requests applied to this customer (bounded): a request
  delivered again finds its reply here and is answered with it, never applied twice.
- `outbox` holds what applied writes still have to publish, oldest first: their events, then
  their reply. A write publishes every entry it finds unpublished before its own, so one
  customer's events leave in the order its writes were applied, and the sweep publishes what
  nobody else did.
- `stamp` names the write that stored the outbox: its run and a number of that run's own. The
  outbox is published once that run's ledger (ledger.py) says the number is, so nothing is
  written to the customer after publishing; the next write leaves the published entries out.
- `deleted_at` marks a tombstone: a deleted customer's bookkeeping is kept for a while so that a
  redelivered delete (or create) still finds its reply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from customer_async.types import Document, Event, Reply, ReplyAddress


@dataclass(frozen=True, slots=True)
class AppliedRequest:
    """A request applied to (or finally refused by) this customer, and the reply it got."""

    request_key: str
    reply: Reply


@dataclass(frozen=True, slots=True)
class Publication:
    """What one applied write still has to publish: its events, then its reply."""

    seq: int
    """The customer version the write produced; publications of one customer go in this order."""
    request_key: str
    address: ReplyAddress
    events: tuple[Event, ...] = ()
    written_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True, order=True)
class Stamp:
    """The write that stored an outbox: a run of the service and a number that run issued."""

    run: str
    number: int

    def __str__(self) -> str:
        return f"{self.run}#{self.number}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        """The stamp `str(stamp)` wrote."""
        run, _, number = text.rpartition("#")
        return cls(run, int(number))


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A stored customer with its bookkeeping (see the module docstring)."""

    customer_id: str
    resource: Document
    version: int
    applied: tuple[AppliedRequest, ...] = ()
    outbox: tuple[Publication, ...] = ()
    deleted_at: datetime | None = None
    stamp: Stamp | None = None

    @property
    def live(self) -> bool:
        """Whether the customer exists for clients (not a tombstone)."""
        return self.deleted_at is None

    def reply_to(self, request_key: str) -> Reply | None:
        """The reply a request already got here, if it was applied to this customer."""
        for applied in reversed(self.applied):
            if applied.request_key == request_key:
                return applied.reply
        return None

    def unpublished(self, published_up_to: int = 0) -> tuple[Publication, ...]:
        """Outbox entries past a known published sequence, oldest first."""
        return tuple(p for p in self.outbox if p.seq > published_up_to)

    def applied_write(
        self,
        request_key: str,
        reply: Reply,
        *,
        resource: Document | None,
        address: ReplyAddress | None,
        events: Iterable[Event],
        published_up_to: int,
        keep: int,
        stamp: Stamp | None = None,
        now: datetime | None = None,
    ) -> CustomerRecord:
        """The record after one more write, stamped `stamp` (the write path always stamps; an
        outbox without a stamp counts as unpublished): `resource` None deletes (keeps a
        tombstone).

        The write carries its own publication (when `address` is given) behind every entry not
        yet published, and remembers its reply among the last `keep` requests (an entry still
        waiting to be published keeps its request remembered beyond that).
        """
        version = self.version + 1
        when = now or datetime.now(UTC)
        stamped = tuple(replace(event, resource_version=version) for event in events)
        outbox = self.unpublished(published_up_to)
        if address is not None:
            outbox += (Publication(version, request_key, address, stamped, when),)
        return CustomerRecord(
            customer_id=self.customer_id,
            resource=self.resource if resource is None else resource,
            version=version,
            applied=_bounded((*self.applied, AppliedRequest(request_key, reply)), keep, outbox),
            outbox=outbox,
            deleted_at=when if resource is None else self.deleted_at,
            stamp=stamp,
        )


def new_record(
    customer_id: str,
    resource: Document,
    *,
    request_key: str,
    reply: Reply,
    address: ReplyAddress,
    events: Iterable[Event],
    stamp: Stamp | None = None,
    now: datetime | None = None,
) -> CustomerRecord:
    """The record a create stores: version 1, its reply remembered, its events to publish."""
    empty = CustomerRecord(customer_id, resource, 0)
    return empty.applied_write(
        request_key,
        reply,
        resource=resource,
        address=address,
        events=events,
        published_up_to=0,
        keep=1,
        stamp=stamp,
        now=now,
    )


def _bounded(
    applied: tuple[AppliedRequest, ...], keep: int, outbox: tuple[Publication, ...]
) -> tuple[AppliedRequest, ...]:
    pinned = {p.request_key for p in outbox}
    overflow = len(applied) - keep
    kept: list[AppliedRequest] = []
    for request in applied:
        if overflow > 0 and request.request_key not in pinned:
            overflow -= 1
            continue
        kept.append(request)
    return tuple(kept)
