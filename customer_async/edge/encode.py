"""Turns replies and events into records with the contract's headers and key rule."""

from __future__ import annotations

import json
from collections.abc import Sequence

from customer_async.edge.records import OutgoingRecord
from customer_async.types import JSON, Event, Reply

JSON_CONTENT_TYPE = "application/json"


def _json(value: JSON) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def reply_record(
    reply: Reply,
    *,
    reply_channel: str,
    correlation_id: str,
    request_topic: str,
    request_key: str | None,
    echo: Sequence[tuple[str, bytes]] = (),
) -> OutgoingRecord:
    """The reply record: keyed by the customer id when known, else by the request's key."""
    headers = [
        ("X-Correlation-Id", correlation_id.encode()),
        ("Status-Code", str(reply.status).encode()),
        ("X-Request-Channel", request_topic.encode()),
    ]
    value = None
    if reply.body is not None:
        headers.append(("Content-Type", JSON_CONTENT_TYPE.encode()))
        value = _json(reply.body)
    headers.extend((name, text.encode()) for name, text in reply.headers.items())
    headers.extend(echo)
    key = reply.key if reply.key is not None else request_key
    if key is None and value is None:
        value = b""  # a record needs a key or a value; an empty value is "no payload"
    return OutgoingRecord(reply_channel, None if key is None else key.encode(), value, headers)


def event_record(
    event: Event, topic: str, trace: Sequence[tuple[str, bytes]] = ()
) -> OutgoingRecord:
    """The notification record, keyed by customer id so one customer's events stay in order."""
    headers = [
        ("eventType", event.event_type.encode()),
        ("Content-Type", JSON_CONTENT_TYPE.encode()),
        ("X-Correlation-Id", event.correlation_id.encode()),
    ]
    if event.resource_version:
        # A subscriber keeps a customer's newest state by this number (redeliveries repeat one).
        headers.append(("X-Resource-Version", str(event.resource_version).encode()))
    headers.extend(trace)
    return OutgoingRecord(topic, event.customer_id.encode(), _json(event.body), headers)
