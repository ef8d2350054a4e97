"""Two service instances in one consumer group patching one customer at once lose no update."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from customer_async.settings import Settings
from customer_async.types import Operation
from tests.e2e.conftest import StartService
from tests.support.batches import replies_to
from tests.support.client import ServiceClient
from tests.support.examples import create_request
from tests.support.groups import wait_until_members_share

pytestmark = pytest.mark.e2e

PATCHES = 40


def email(n: int) -> dict[str, str]:
    return {"@type": "EmailContactMedium", "emailAddress": f"fan{n}@moon.example"}


async def test_concurrent_patches_through_two_instances_all_apply(
    client: ServiceClient, start_service: StartService, settings: Settings
) -> None:
    """40 JSON Patch appends over many partitions: 40 times 200, all 40 in the final customer."""
    await start_service()  # the second instance; `client` already runs the first
    patch_topic = settings.request_topic(Operation.PATCH)
    await wait_until_members_share(settings, patch_topic, members=2)

    created = (await client.call(Operation.CREATE, create_request())).body
    original_media = created["contactMedium"]
    # Distinct keys spread the requests over the topic's partitions, so both instances and
    # several partitions of each work on the one customer at the same time.
    sent = await asyncio.gather(
        *(
            client.send(
                Operation.PATCH,
                [{"op": "add", "path": "/contactMedium/-", "value": email(n)}],
                parameters={"id": created["id"]},
                content_type="application/json-patch+json",
                key=f"request-{n}",
            )
            for n in range(PATCHES)
        )
    )
    replies = await replies_to(client, sent)
    assert [reply.status for reply in replies] == [200] * PATCHES, [r.body for r in replies]
    for n, reply in enumerate(replies):
        assert email(n) in reply.body["contactMedium"]

    final = (await client.call(Operation.RETRIEVE, parameters={"id": created["id"]})).body
    media = final["contactMedium"]
    assert media[: len(original_media)] == original_media
    assert sorted(m["emailAddress"] for m in media[len(original_media) :]) == sorted(
        email(n)["emailAddress"] for n in range(PATCHES)
    )

    # A write that finds another instance's entry still unpublished publishes it first (so the
    # customer's events stay in write order): such an event may arrive twice, with one eventId.
    by_id = {
        event.body["eventId"]: event
        for correlation_id in sent
        for event in await client.events_for(str(correlation_id), 1)
    }
    events = list(by_id.values())
    assert Counter(event.headers["eventType"] for event in events) == {
        "CustomerAttributeValueChangeEvent": PATCHES
    }
    assert len({event.body["eventId"] for event in events}) == PATCHES
    # Each patch was applied on top of all the ones before it: one event per resulting size.
    sizes = sorted(len(event.body["event"]["customer"]["contactMedium"]) for event in events)
    assert sizes == list(range(len(original_media) + 1, len(original_media) + PATCHES + 1))
