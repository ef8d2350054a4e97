"""The outbox entry survives its trip through the store's document form unchanged."""

from __future__ import annotations

from customer_async import events
from customer_async.outbox import OutboxEntry
from customer_async.types import Command, Event, Operation, Reply

CUSTOMER = {"id": "c1", "href": "h", "@type": "Customer", "name": "n"}


def entry(operation: Operation, *emitted: Event) -> OutboxEntry:
    command = Command(operation, "corr", f"t.{operation}", "t.reply")
    return OutboxEntry.for_command(command, Reply(201, CUSTOMER, key="c1"), emitted)


def test_document_round_trip_keeps_reply_events_and_raw_form() -> None:
    original = entry(Operation.CREATE, events.customer_created(CUSTOMER, "corr"))
    stored = original.to_document()
    restored = OutboxEntry.from_document(stored)
    assert restored == original
    assert restored.raw is stored
    assert restored.request_key == "t.create|corr"


def test_only_a_delete_entry_removes_the_customer() -> None:
    assert entry(Operation.DELETE, events.customer_deleted(CUSTOMER, "corr")).removes_customer
    assert not entry(Operation.CREATE, events.customer_created(CUSTOMER, "corr")).removes_customer
    assert not entry(Operation.PATCH).removes_customer
