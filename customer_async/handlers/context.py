"""What every handler works with, and the parameter readers they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from customer_async import schemas
from customer_async.customer_ids import command_customer_id, requested_customer_id
from customer_async.query.dates import date_shadow
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import Command, Document, Outcome

MAX_WRITE_ATTEMPTS = 20
"""Conditional writes that lose a race re-read and re-apply up to this many times."""


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """The settings, the store and the Customer attribute types, shared by all handlers."""

    settings: Settings
    store: CustomerStore
    attribute_types: Mapping[str, str] = field(default_factory=schemas.attribute_types)

    def shadow(self, resource: Document) -> Document:
        """The date-time shadow stored beside `resource` for chronological filters."""
        return date_shadow(resource, self.attribute_types)


async def applied_by_retry(command: Command, context: HandlerContext) -> Outcome | None:
    """The reply of this very request if it was already applied.

    A write that lost a race may have lost it to the same request: retried after a dropped
    connection, or sent twice by a client onto two partitions. Its entry is still pending, or
    already published and journalled (journal first, then the entry goes).
    """
    target = command_customer_id(command)
    pending = None if target is None else await context.store.pending(target, command.request_key)
    if pending is not None:
        return Outcome(pending.reply, target, pending)
    journalled = await context.store.journalled_reply(command.request_key)
    return None if journalled is None else Outcome(journalled)


def customer_id(command: Command) -> str:
    """The `id` parameter of a retrieve, patch or delete (400 when missing or malformed)."""
    return requested_customer_id(command.parameters)
