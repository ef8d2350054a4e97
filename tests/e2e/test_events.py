"""Notifications end to end: kind, content, key and headers of each event."""

from __future__ import annotations

import pytest

from customer_async.settings import Settings
from customer_async.types import Operation
from tests.support.client import Received, ServiceClient
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e


def assert_event_envelope(event: Received, kind: str, correlation_id: str, key: str) -> None:
    assert event.key == key
    assert event.headers["eventType"] == kind
    assert event.headers["Content-Type"] == "application/json"
    assert event.headers["X-Correlation-Id"] == correlation_id
    body = event.body
    assert body["@type"] == kind
    assert body["eventType"] == kind
    assert body["correlationId"] == correlation_id
    assert body["eventId"]
    assert body["eventTime"].endswith("Z")


async def test_create_emits_create_event_with_the_full_resource(
    client: ServiceClient, settings: Settings
) -> None:
    correlation_id = await client.send(Operation.CREATE, create_request())
    assert correlation_id is not None
    reply = await client.reply(correlation_id)
    [event] = await client.events_for(correlation_id, 1)
    assert event.topic == settings.notification_topic
    assert_event_envelope(event, "CustomerCreateEvent", correlation_id, reply.body["id"])
    assert event.body["event"]["customer"] == reply.body


async def test_patch_of_status_emits_state_change_only(client: ServiceClient) -> None:
    created = (await client.call(Operation.CREATE, create_request(statusReason="New"))).body
    patch = {"status": "Approved"}
    correlation_id = await client.send(Operation.PATCH, patch, parameters={"id": created["id"]})
    assert correlation_id is not None
    await client.reply(correlation_id)
    # A later change to the same customer: its event comes after any from the status patch.
    follow = await client.send(Operation.PATCH, {"name": "Later"}, parameters={"id": created["id"]})
    assert follow is not None
    await client.events_for(follow, 1)
    [event] = await client.events_for(correlation_id, 1)
    assert_event_envelope(event, "CustomerStateChangeEvent", correlation_id, created["id"])
    assert event.body["event"]["customer"] == {
        "@type": "Customer",
        "id": created["id"],
        "href": created["href"],
        "status": "Approved",
        "statusReason": "New",
    }


async def test_patch_of_status_and_name_emits_both_events(client: ServiceClient) -> None:
    created = (await client.call(Operation.CREATE, create_request())).body
    correlation_id = await client.send(
        Operation.PATCH, {"status": "Approved", "name": "Renamed"}, parameters={"id": created["id"]}
    )
    assert correlation_id is not None
    reply = await client.reply(correlation_id)
    events = await client.events_for(correlation_id, 2)
    kinds = {e.headers["eventType"]: e for e in events}
    assert set(kinds) == {"CustomerStateChangeEvent", "CustomerAttributeValueChangeEvent"}
    assert kinds["CustomerAttributeValueChangeEvent"].body["event"]["customer"] == reply.body


async def test_no_op_patch_and_failed_request_emit_nothing(client: ServiceClient) -> None:
    created = (await client.call(Operation.CREATE, create_request())).body
    no_op = await client.send(
        Operation.PATCH, {"name": created["name"]}, parameters={"id": created["id"]}
    )
    failed = await client.send(Operation.PATCH, {"id": "other"}, parameters={"id": created["id"]})
    assert no_op is not None
    assert failed is not None
    assert (await client.reply(no_op)).status == 200
    assert (await client.reply(failed)).status == 400
    follow = await client.send(Operation.PATCH, {"name": "Later"}, parameters={"id": created["id"]})
    assert follow is not None
    await client.events_for(follow, 1)
    assert await client.events_for(no_op, 0) == []
    assert await client.events_for(failed, 0) == []


async def test_delete_emits_delete_event_with_identity_only(client: ServiceClient) -> None:
    created = (await client.call(Operation.CREATE, create_request())).body
    correlation_id = await client.send(Operation.DELETE, parameters={"id": created["id"]})
    assert correlation_id is not None
    await client.reply(correlation_id)
    [event] = await client.events_for(correlation_id, 1)
    assert_event_envelope(event, "CustomerDeleteEvent", correlation_id, created["id"])
    assert event.body["event"]["customer"] == {
        "@type": "Customer",
        "id": created["id"],
        "href": created["href"],
    }


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
