"""The four TMF629 customer notifications, built when a change is decided (fixing eventIds)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from customer_async.types import Document, Event

CREATE = "CustomerCreateEvent"
ATTRIBUTE_VALUE_CHANGE = "CustomerAttributeValueChangeEvent"
STATE_CHANGE = "CustomerStateChangeEvent"
DELETE = "CustomerDeleteEvent"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(event_type: str, customer: Document, correlation_id: str) -> Event:
    event_id = str(uuid.uuid4())
    body = {
        "@type": event_type,
        "eventId": event_id,
        "eventTime": _now(),
        "eventType": event_type,
        "correlationId": correlation_id,
        "event": {"customer": customer},
    }
    return Event(event_id, event_type, str(customer["id"]), correlation_id, body)


def _identity(resource: Document) -> Document:
    return {"@type": resource["@type"], "id": resource["id"], "href": resource["href"]}


def customer_created(resource: Document, correlation_id: str) -> Event:
    """CustomerCreateEvent carrying the full resource."""
    return _event(CREATE, resource, correlation_id)


def customer_deleted(resource: Document, correlation_id: str) -> Event:
    """CustomerDeleteEvent carrying `@type`, `id` and `href`."""
    return _event(DELETE, _identity(resource), correlation_id)


def customer_patched(after: Document, changed: set[str], correlation_id: str) -> tuple[Event, ...]:
    """The events a patch emits: state change for `status`, attribute change for anything else."""
    events: list[Event] = []
    if "status" in changed:
        state = _identity(after)
        for attribute in ("status", "statusReason"):
            if attribute in after:
                state[attribute] = after[attribute]
        events.append(_event(STATE_CHANGE, state, correlation_id))
    if changed - {"status"}:
        events.append(_event(ATTRIBUTE_VALUE_CHANGE, after, correlation_id))
    return tuple(events)
