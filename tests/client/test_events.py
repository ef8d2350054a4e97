"""Notification records as events, and which events a stream yields."""

from __future__ import annotations

import json

import pytest

from customer_async.client.events import (
    EVENT_TYPES,
    CustomerEvent,
    EventFilter,
    event_type_name,
    parse_event,
)


def event_record(
    event_type: str, customer_id: str
) -> tuple[bytes, bytes, list[tuple[str, bytes | None]]]:
    body = {
        "@type": event_type,
        "eventId": "e-1",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventType": event_type,
        "correlationId": "corr-1",
        "event": {"customer": {"id": customer_id, "@type": "Customer", "status": "Approved"}},
    }
    headers: list[tuple[str, bytes | None]] = [
        ("eventType", event_type.encode()),
        ("X-Correlation-Id", b"corr-1"),
    ]
    return customer_id.encode(), json.dumps(body).encode(), headers


@pytest.mark.parametrize(
    ("name", "full"),
    [
        ("create", "CustomerCreateEvent"),
        ("attributeValueChange", "CustomerAttributeValueChangeEvent"),
        ("STATECHANGE", "CustomerStateChangeEvent"),
        ("delete", "CustomerDeleteEvent"),
        ("customerdeleteevent", "CustomerDeleteEvent"),
        ("CustomerCreateEvent", "CustomerCreateEvent"),
    ],
)
def test_event_types_are_known_by_full_or_short_name_in_any_case(name: str, full: str) -> None:
    assert event_type_name(name) == full


def test_an_unknown_event_type_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="CustomerCreateEvent"):
        event_type_name("update")


def test_a_notification_record_becomes_an_event() -> None:
    key, value, headers = event_record("CustomerStateChangeEvent", "42")
    event = parse_event(key, value, headers, partition=1, offset=7)
    assert event is not None
    assert (event.event_type, event.customer_id, event.event_id) == (
        "CustomerStateChangeEvent",
        "42",
        "e-1",
    )
    assert (event.correlation_id, event.event_time) == ("corr-1", "2026-01-01T00:00:00Z")
    assert event.customer["status"] == "Approved"
    assert (event.partition, event.offset) == (1, 7)
    assert event.key == "42"
    assert event.headers["eventType"] == "CustomerStateChangeEvent"
    assert event.headers["X-Correlation-Id"] == "corr-1"


def test_without_a_key_the_customer_id_comes_from_the_body() -> None:
    _, value, headers = event_record("CustomerDeleteEvent", "42")
    event = parse_event(None, value, headers, partition=0, offset=0)
    assert event is not None
    assert event.customer_id == "42"
    assert event.key is None  # what the record really carried


def test_headers_say_what_was_there_where_the_fields_fall_back_to_the_body() -> None:
    key, value, _ = event_record("CustomerDeleteEvent", "42")
    event = parse_event(key, value, [], partition=0, offset=0)
    assert event is not None
    assert event.event_type == "CustomerDeleteEvent"  # from the body
    assert event.headers == {}


@pytest.mark.parametrize("value", [b"", b"not json", b"[1, 2]"])
def test_a_value_that_is_not_a_json_object_is_no_event(value: bytes) -> None:
    assert parse_event(b"42", value, [], partition=0, offset=0) is None


def sample(event_type: str, customer_id: str) -> CustomerEvent:
    event = parse_event(*event_record(event_type, customer_id), partition=0, offset=0)
    assert event is not None
    return event


def test_a_filter_keeps_events_of_the_given_types_about_the_given_customer() -> None:
    wanted = EventFilter.of(["stateChange", "delete"], customer_id="42")
    assert wanted.matches(sample("CustomerStateChangeEvent", "42"))
    assert wanted.matches(sample("CustomerDeleteEvent", "42"))
    assert not wanted.matches(sample("CustomerCreateEvent", "42"))
    assert not wanted.matches(sample("CustomerDeleteEvent", "43"))


def test_no_filter_keeps_every_event() -> None:
    everything = EventFilter.of(None, None)
    assert all(everything.matches(sample(kind, "1")) for kind in EVENT_TYPES)
    assert EventFilter.of([], None) == everything
    assert EventFilter.of("create", None).event_types == frozenset({"CustomerCreateEvent"})
