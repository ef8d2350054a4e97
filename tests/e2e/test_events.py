"""Notifications end to end: kind, content, key and headers of each event.

Which events a request causes, and what they carry, is read as a caller reads them: through
`CustomerClient.events()`. The record's own envelope (its key, and the `eventType`, `Content-Type`
and `X-Correlation-Id` headers, which `CustomerEvent` fills from the body when a header is
missing) and the W3C trace headers the client never sends are checked on raw records.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from customer_async.client import BadRequest, CustomerClient, CustomerEvent
from customer_async.settings import Settings
from customer_async.types import Operation
from tests.support.client import Received, ServiceClient
from tests.support.events import events_before_marker, next_events
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e


def assert_event_envelope(
    event: CustomerEvent, kind: str, correlation_id: str, customer_id: str
) -> None:
    assert event.customer_id == customer_id
    assert event.event_type == kind
    assert event.correlation_id == correlation_id
    assert_event_body(event.body, kind, correlation_id)


def assert_record_envelope(event: Received, kind: str, correlation_id: str, key: str) -> None:
    assert event.key == key
    assert event.headers["eventType"] == kind
    assert event.headers["Content-Type"] == "application/json"
    assert event.headers["X-Correlation-Id"] == correlation_id
    assert_event_body(event.body, kind, correlation_id)


def assert_event_body(body: Mapping[str, Any], kind: str, correlation_id: str) -> None:
    assert body["@type"] == kind
    assert body["eventType"] == kind
    assert body["correlationId"] == correlation_id
    assert body["eventId"]
    assert body["eventTime"].endswith("Z")


async def test_create_emits_create_event_with_the_full_resource(
    customer_client: CustomerClient,
) -> None:
    correlation_id = str(uuid.uuid4())
    async with customer_client.events() as stream:
        created = await customer_client.create(create_request(), correlation_id=correlation_id)
        [event] = await next_events(stream, 1)
    assert_event_envelope(event, "CustomerCreateEvent", correlation_id, created["id"])
    assert event.customer == created


async def test_patch_of_status_emits_state_change_only(customer_client: CustomerClient) -> None:
    created = await customer_client.create(create_request(statusReason="New"))
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        await customer_client.patch(
            created["id"], {"status": "Approved"}, correlation_id=correlation_id
        )
        # Everything before a later change's event: all the status patch caused.
        [event] = await events_before_marker(customer_client, stream, created["id"])
    assert_event_envelope(event, "CustomerStateChangeEvent", correlation_id, created["id"])
    assert event.customer == {
        "@type": "Customer",
        "id": created["id"],
        "href": created["href"],
        "status": "Approved",
        "statusReason": "New",
    }


async def test_patch_of_status_and_name_emits_both_events(customer_client: CustomerClient) -> None:
    created = await customer_client.create(create_request())
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        patched = await customer_client.patch(
            created["id"], {"status": "Approved", "name": "Renamed"}, correlation_id=correlation_id
        )
        events = await events_before_marker(customer_client, stream, created["id"])
    kinds = {event.event_type: event for event in events}
    assert len(events) == 2
    assert set(kinds) == {"CustomerStateChangeEvent", "CustomerAttributeValueChangeEvent"}
    for kind, event in kinds.items():
        assert_event_envelope(event, kind, correlation_id, created["id"])
    assert kinds["CustomerAttributeValueChangeEvent"].customer == patched


async def test_no_op_patch_and_failed_request_emit_nothing(
    customer_client: CustomerClient,
) -> None:
    created = await customer_client.create(create_request())
    async with customer_client.events(customer_id=created["id"]) as stream:
        assert await customer_client.patch(created["id"], {"name": created["name"]}) == created
        with pytest.raises(BadRequest):
            await customer_client.patch(created["id"], {"id": "other"})
        assert await events_before_marker(customer_client, stream, created["id"]) == []


async def test_delete_emits_delete_event_with_identity_only(
    customer_client: CustomerClient,
) -> None:
    created = await customer_client.create(create_request())
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        await customer_client.delete(created["id"], correlation_id=correlation_id)
        [event] = await next_events(stream, 1)
    assert_event_envelope(event, "CustomerDeleteEvent", correlation_id, created["id"])
    assert event.customer == {
        "@type": "Customer",
        "id": created["id"],
        "href": created["href"],
    }


async def test_each_event_kind_carries_its_envelope_on_the_record(
    client: ServiceClient, settings: Settings
) -> None:
    """Raw: key and headers as published, for all four kinds (requests sent without a key)."""
    created = await client.call(Operation.CREATE, create_request())
    assert created.status == 201, created.body
    customer_id = created.body["id"]
    target = {"id": customer_id}
    patched = await client.call(
        Operation.PATCH, {"status": "Approved", "name": "Renamed"}, parameters=target
    )
    assert patched.status == 200, patched.body
    deleted = await client.call(Operation.DELETE, parameters=target)
    assert deleted.status == 204, deleted.body
    for reply, kinds in (
        (created, {"CustomerCreateEvent"}),
        (patched, {"CustomerStateChangeEvent", "CustomerAttributeValueChangeEvent"}),
        (deleted, {"CustomerDeleteEvent"}),
    ):
        correlation_id = reply.headers["X-Correlation-Id"]
        events = await client.events_for(correlation_id, len(kinds))
        assert {event.headers["eventType"] for event in events} == kinds
        for event in events:
            assert event.topic == settings.notification_topic
            assert_record_envelope(event, event.headers["eventType"], correlation_id, customer_id)


async def test_trace_context_reaches_the_reply_and_the_events(client: ServiceClient) -> None:
    """W3C `traceparent`: reply and event carry the caller's trace id in a span of the service."""
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    caller = f"00-{trace_id}-00f067aa0ba902b7-01"
    correlation_id = await client.send(
        Operation.CREATE,
        create_request(),
        raw_headers=[("traceparent", caller.encode()), ("tracestate", b"vendor=1")],
    )
    assert correlation_id is not None
    reply = await client.reply(correlation_id)
    [event] = await client.events_for(correlation_id, 1)
    for record in (reply, event):
        version, trace, span, flags = record.headers["traceparent"].split("-")
        assert (version, trace, flags) == ("00", trace_id, "01")
        assert span != "00f067aa0ba902b7"  # the service's own span, child of the caller's
        assert record.headers["tracestate"] == "vendor=1"
    assert reply.headers["traceparent"] == event.headers["traceparent"]
