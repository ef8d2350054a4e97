"""Two service instances in one consumer group patching one customer at once lose no update."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import pytest

from customer_async.client import JSON_PATCH, CustomerClient
from customer_async.settings import Settings
from customer_async.types import Operation
from tests.e2e.conftest import StartService
from tests.support.events import events_before_marker
from tests.support.examples import create_request
from tests.support.groups import wait_until_members_share

pytestmark = pytest.mark.e2e

PATCHES = 40


def email(n: int) -> dict[str, str]:
    return {"@type": "EmailContactMedium", "emailAddress": f"fan{n}@moon.example"}


async def test_concurrent_patches_through_two_instances_all_apply(
    customer_client: CustomerClient, start_service: StartService, settings: Settings
) -> None:
    """40 JSON Patch appends over many partitions: 40 times 200, all 40 in the final customer."""
    await start_service()  # the second instance; `customer_client` already runs the first
    patch_topic = settings.request_topic(Operation.PATCH)
    await wait_until_members_share(settings, patch_topic, members=2)

    created = await customer_client.create(create_request())
    original_media = created["contactMedium"]
    sent = [f"patch-{n}-{uuid.uuid4()}" for n in range(PATCHES)]
    async with customer_client.events(customer_id=created["id"]) as stream:
        # Distinct keys spread the requests over the topic's partitions, so both instances and
        # several partitions of each work on the one customer at the same time (a typed patch
        # would be keyed by the customer id: one partition).
        replies = await asyncio.gather(
            *(
                customer_client.call(
                    Operation.PATCH,
                    payload=[{"op": "add", "path": "/contactMedium/-", "value": email(n)}],
                    parameters={"id": created["id"]},
                    content_type=JSON_PATCH,
                    key=f"request-{n}",
                    correlation_id=correlation_id,
                )
                for n, correlation_id in enumerate(sent)
            )
        )
        assert [reply.status for reply in replies] == [200] * PATCHES, [r.body for r in replies]
        for n, reply in enumerate(replies):
            assert email(n) in reply.body["contactMedium"]

        final = await customer_client.retrieve(created["id"])
        media = final["contactMedium"]
        assert media[: len(original_media)] == original_media
        assert sorted(m["emailAddress"] for m in media[len(original_media) :]) == sorted(
            email(n)["emailAddress"] for n in range(PATCHES)
        )
        caused = await events_before_marker(customer_client, stream, created["id"])

    # A write that finds another instance's entry still unpublished publishes it first (so the
    # customer's events stay in write order): such an event may arrive twice, with one eventId;
    # the create's own entry too, when the first patch read it before the creating instance's
    # ledger said it was published.
    again = [e for e in caused if e.event_type == "CustomerCreateEvent"]
    assert all(e.event_id == again[0].event_id for e in again)
    caused = [e for e in caused if e.event_type != "CustomerCreateEvent"]
    assert {event.correlation_id for event in caused} == set(sent)
    events = list({event.event_id: event for event in caused}.values())
    assert Counter(event.event_type for event in events) == {
        "CustomerAttributeValueChangeEvent": PATCHES
    }
    assert len(events) == PATCHES
    # Each patch was applied on top of all the ones before it: one event per resulting size.
    sizes = sorted(len(event.customer["contactMedium"]) for event in events)
    assert sizes == list(range(len(original_media) + 1, len(original_media) + PATCHES + 1))
