"""Encoding replies and events: the contract's headers and key rule."""

from __future__ import annotations

import json

from customer_async.edge.encode import event_record, reply_record
from customer_async.types import Event, Reply


def headers(pairs: list[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in pairs}


def test_reply_with_body_has_all_headers_and_the_customer_key() -> None:
    record = reply_record(
        Reply(201, {"id": "c1"}, key="c1"),
        reply_channel="t.reply",
        correlation_id="corr",
        request_topic="t.request",
        request_key="rk",
    )
    assert record.topic == "t.reply"
    assert record.key == b"c1"
    assert json.loads(record.value or b"") == {"id": "c1"}
    assert headers(record.headers) == {
        "X-Correlation-Id": "corr",
        "Status-Code": "201",
        "X-Request-Channel": "t.request",
        "Content-Type": "application/json",
    }


def test_reply_without_customer_is_keyed_by_the_request_key_and_extra_headers_follow() -> None:
    record = reply_record(
        Reply(200, [], headers={"X-Total-Count": "0", "X-Result-Count": "0"}),
        reply_channel="t.reply",
        correlation_id="corr",
        request_topic="t.request",
        request_key="rk",
    )
    assert record.key == b"rk"
    assert headers(record.headers)["X-Total-Count"] == "0"
    assert record.value == b"[]"


def test_reply_without_body_has_no_content_type() -> None:
    record = reply_record(
        Reply(204, key="c1"),
        reply_channel="t.reply",
        correlation_id="corr",
        request_topic="t.request",
        request_key=None,
    )
    assert record.value is None
    assert "Content-Type" not in headers(record.headers)


def test_keyless_bodiless_reply_gets_an_empty_value() -> None:
    record = reply_record(
        Reply(204), reply_channel="r", correlation_id="c", request_topic="t", request_key=None
    )
    assert (record.key, record.value) == (None, b"")


def test_event_is_keyed_by_customer_with_event_headers() -> None:
    event = Event("e1", "CustomerDeleteEvent", "c1", "corr", {"eventId": "e1", "name": "é"})
    record = event_record(event, "t.events")
    assert record.topic == "t.events"
    assert record.key == b"c1"
    assert headers(record.headers) == {
        "eventType": "CustomerDeleteEvent",
        "Content-Type": "application/json",
        "X-Correlation-Id": "corr",
    }
    assert json.loads(record.value or b"") == {"eventId": "e1", "name": "é"}


def test_reply_repeats_the_echoed_headers_in_their_raw_form() -> None:
    raw = bytes(range(16))
    record = reply_record(
        Reply(200, {"id": "c1"}, key="c1"),
        reply_channel="t.reply",
        correlation_id=raw.hex(),
        request_topic="t.request",
        request_key=None,
        echo=[("kafka_correlationId", raw)],
    )
    assert ("kafka_correlationId", raw) in record.headers
    assert ("X-Correlation-Id", raw.hex().encode()) in record.headers
