"""The four notifications: which a change emits and what each carries."""

from __future__ import annotations

from customer_async import events, schemas
from customer_async.types import Document

CUSTOMER: Document = {
    "id": "c1",
    "href": "http://h/tmf-api/customerManagement/v5/customer/c1",
    "@type": "Customer",
    "name": "Moon",
    "status": "Approved",
    "statusReason": "checked",
}


def test_create_event_carries_the_full_resource_and_validates() -> None:
    event = events.customer_created(CUSTOMER, "corr")
    assert event.customer_id == "c1"
    assert event.body["event"]["customer"] == CUSTOMER
    assert event.body["eventId"] == event.event_id
    assert event.body["correlationId"] == "corr"
    schemas.validate("CustomerCreateEvent", event.body)


def test_delete_event_carries_identity_only() -> None:
    event = events.customer_deleted(CUSTOMER, "corr")
    assert event.body["event"]["customer"] == {
        "@type": "Customer",
        "id": "c1",
        "href": CUSTOMER["href"],
    }
    schemas.validate("CustomerDeleteEvent", event.body)


def test_status_change_alone_emits_a_state_change_with_status_and_reason() -> None:
    [event] = events.customer_patched(CUSTOMER, {"status"}, "corr")
    assert event.event_type == events.STATE_CHANGE
    assert event.body["event"]["customer"]["statusReason"] == "checked"
    schemas.validate("CustomerStateChangeEvent", event.body)


def test_other_changes_emit_an_attribute_value_change_with_the_resource() -> None:
    [event] = events.customer_patched(CUSTOMER, {"name"}, "corr")
    assert event.event_type == events.ATTRIBUTE_VALUE_CHANGE
    assert event.body["event"]["customer"] == CUSTOMER
    schemas.validate("CustomerAttributeValueChangeEvent", event.body)


def test_status_and_other_changes_emit_both_and_nothing_emits_nothing() -> None:
    kinds = [e.event_type for e in events.customer_patched(CUSTOMER, {"status", "name"}, "c")]
    assert kinds == [events.STATE_CHANGE, events.ATTRIBUTE_VALUE_CHANGE]
    assert events.customer_patched(CUSTOMER, set(), "c") == ()


def test_every_event_gets_its_own_id() -> None:
    ids = {events.customer_created(CUSTOMER, "c").event_id for _ in range(50)}
    assert len(ids) == 50
