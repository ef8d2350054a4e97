"""Knowing that a request's events are all in: one customer's events arrive in order.

Events are keyed by customer id, so a customer's events share one partition of the notification
topic and arrive in the order they were published. Once the event of a later change to the same
customer has arrived, every event an earlier (already answered) request caused has arrived too,
so "no event" can be asserted without waiting for a timeout: a `CustomerClient` event stream of
one customer (`client.events(customer_id=…)`) entered before the requests holds, before a marker
patch's event, exactly the events those requests caused (`events_before_marker`).
"""

from __future__ import annotations

import asyncio
import uuid

from customer_async.client import CustomerClient, CustomerEvent, EventStream
from tests.support.client import REPLY_TIMEOUT

MARKER_ATTRIBUTE = "description"
"""What the marker patch changes; assert on the customer before asking for settled events."""


async def next_events(
    stream: EventStream, count: int, timeout: float = REPLY_TIMEOUT
) -> list[CustomerEvent]:
    """The next `count` events of an entered stream."""
    async with asyncio.timeout(timeout):
        return [await anext(stream) for _ in range(count)]


async def events_before_marker(
    client: CustomerClient,
    stream: EventStream,
    customer_id: str,
    timeout: float = REPLY_TIMEOUT,
) -> list[CustomerEvent]:
    """The events `stream` (of this one customer's events, entered before the requests of
    interest) yields before the event of a marker patch sent now; the marker is consumed.

    The marker changes the customer's `description`.
    """
    marker = f"marker-{uuid.uuid4()}"
    await client.patch(customer_id, {MARKER_ATTRIBUTE: marker}, correlation_id=marker)
    earlier: list[CustomerEvent] = []
    async with asyncio.timeout(timeout):
        async for event in stream:
            if event.correlation_id == marker:
                return earlier
            earlier.append(event)
    raise AssertionError(f"the stream of {customer_id} ended before the marker event")
