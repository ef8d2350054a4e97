"""patchCustomer: apply the patch, validate, write conditionally on the version, emit by change."""

from __future__ import annotations

from customer_async import events, schemas
from customer_async.errors import CustomerNotFound, InternalError, InvalidPatch
from customer_async.handlers.context import (
    MAX_WRITE_ATTEMPTS,
    HandlerContext,
    applied_by_retry,
    customer_id,
)
from customer_async.outbox import OutboxEntry
from customer_async.patch import apply_patch, changed_attributes
from customer_async.query.fields import parse_fields, select_fields
from customer_async.types import Command, Outcome, Reply


async def patch_customer(command: Command, *, context: HandlerContext) -> Outcome:
    """200 with the patched customer; a no-op patch writes nothing and emits nothing.

    Two instances patching one customer never lose an update: the write is conditioned on
    the version read, and a lost race re-reads and re-applies the patch.
    """
    wanted = customer_id(command)
    fields = parse_fields(command.parameters.get("fields"))
    for _ in range(MAX_WRITE_ATTEMPTS):
        found = await context.store.get(wanted)
        if found is None:
            raise CustomerNotFound(f"no customer with id {wanted!r}")
        after = apply_patch(found.resource, command.content_type, command.payload)
        if "status" in found.resource and "status" not in after:
            # Every customer has a lifecycle state; a state-change event without one is void.
            raise InvalidPatch("`status` can be changed but not removed")
        schemas.validate("Customer", after)
        changed = changed_attributes(found.resource, after)
        reply = Reply(200, select_fields(after, fields), key=wanted)
        if not changed:
            return Outcome(reply)
        emitted = events.customer_patched(after, changed, command.correlation_id)
        entry = OutboxEntry.for_command(command, reply, emitted)
        if await context.store.replace(
            found.version, found.resource, after, context.shadow(after), entry
        ):
            return Outcome(reply, wanted, entry)
        applied = await applied_by_retry(command, context)
        if applied is not None:
            return applied
    raise InternalError(f"customer {wanted!r} kept changing; patch not applied")
