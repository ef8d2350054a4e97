"""deleteCustomer: the write path keeps a tombstone until the delete event is out."""

from __future__ import annotations

from customer_async import events
from customer_async.types import Change, Command, Document, Reply


def delete_customer(command: Command, current: Document) -> Change:
    """204 with the CustomerDeleteEvent of `current` (the write path answers 404 itself)."""
    reply = Reply(204, key=str(current["id"]))
    return Change(None, reply, (events.customer_deleted(current, command.correlation_id),))
