"""What every handler works with, and the parameter readers they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from customer_async import schemas
from customer_async.errors import InvalidParameter
from customer_async.query.dates import date_shadow
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import Command, Document, Reply

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


async def applied_by_retry(command: Command, context: HandlerContext) -> Reply | None:
    """The reply of this very request if it was already applied.

    A write that lost a race may have lost it to the same request: retried after a dropped
    connection, or sent twice by a client onto two partitions. Its entry is still pending, or
    already published and journalled (journal first, then the entry goes).
    """
    pending = await context.store.pending_for_request(command.request_key)
    if pending is not None:
        return pending[1].reply
    return await context.store.journalled_reply(command.request_key)


def customer_id(command: Command) -> str:
    """The `id` parameter: a non-empty string or a number, compared as a string."""
    raw = command.parameters.get("id")
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise InvalidParameter("the `id` parameter is missing or not a string or number")
    text = str(raw).strip()
    if not text:
        raise InvalidParameter("the `id` parameter is empty")
    return text
