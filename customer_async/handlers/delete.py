"""deleteCustomer: tombstone with the delete event; the document goes once the event is out."""

from __future__ import annotations

from customer_async import events
from customer_async.errors import CustomerNotFound, InternalError
from customer_async.handlers.context import (
    MAX_WRITE_ATTEMPTS,
    HandlerContext,
    applied_by_retry,
    customer_id,
)
from customer_async.outbox import OutboxEntry
from customer_async.types import Command, Outcome, Reply


async def delete_customer(command: Command, *, context: HandlerContext) -> Outcome:
    """204, or 404 when there is no such customer."""
    wanted = customer_id(command)
    for _ in range(MAX_WRITE_ATTEMPTS):
        found = await context.store.get(wanted)
        if found is None:
            raise CustomerNotFound(f"no customer with id {wanted!r}")
        reply = Reply(204, key=wanted)
        entry = OutboxEntry.for_command(
            command, reply, (events.customer_deleted(found.resource, command.correlation_id),)
        )
        if await context.store.tombstone(wanted, found.version, entry):
            return Outcome(reply, wanted, entry)
        applied = await applied_by_retry(command, context)
        if applied is not None:
            return applied
    raise InternalError(f"customer {wanted!r} kept changing; delete not applied")
