"""patchCustomer: apply the patch to the current customer, validate, emit by what changed."""

from __future__ import annotations

from customer_async import events, schemas
from customer_async.errors import InvalidPatch
from customer_async.patch import apply_patch, changed_attributes
from customer_async.query.fields import parse_fields, select_fields
from customer_async.types import Change, Command, Document, Reply


def patch_customer(command: Command, current: Document) -> Change:
    """200 with the patched customer; a no-op patch changes nothing and emits nothing.

    Raises a 4xx error when the patch does not apply to `current` (the write path remembers
    that answer, since it depends on the customer's state).
    """
    fields = parse_fields(command.parameters.get("fields"))
    after = apply_patch(current, command.content_type, command.payload)
    if "status" in current and "status" not in after:
        # Every customer has a lifecycle state; a state-change event without one is void.
        raise InvalidPatch("`status` can be changed but not removed")
    schemas.validate("Customer", after)
    changed = changed_attributes(current, after)
    reply = Reply(200, select_fields(after, fields), key=str(current["id"]))
    return Change(after, reply, events.customer_patched(after, changed, command.correlation_id))
