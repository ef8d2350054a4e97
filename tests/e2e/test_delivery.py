"""Delivery guarantees: redelivered requests apply once; a crash loses and invents nothing.

The redelivery tests are raw: two copies of one request (same correlation id) in flight together,
which `CustomerClient` refuses to send. The crash test waits on a `CustomerClient` call, as a
caller whose request outlives the instance that took it.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from customer_async.settings import Settings
from customer_async.types import Operation
from harness.service import start_service_process
from tests.e2e.conftest import StartService
from tests.support.client import ServiceClient, watched_customer_client
from tests.support.events import events_before_marker
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e


async def test_same_create_twice_is_applied_once_with_the_same_reply(
    client: ServiceClient, settings: Settings
) -> None:
    correlation_id = str(uuid.uuid4())
    payload = create_request(name=f"Once {correlation_id}")
    for _ in range(2):
        await client.send(Operation.CREATE, payload, correlation_id=correlation_id)
    await client.wait_for(lambda: len(client.replies(correlation_id)) == 2)
    first, second = client.replies(correlation_id)
    assert first.status == second.status == 201
    assert first.body == second.body
    listed = await client.call(Operation.LIST, parameters={"name": payload["name"]})
    assert listed.headers["X-Total-Count"] == "1"
    events = await client.events_for(correlation_id, 1)
    assert len({e.body["eventId"] for e in events}) == 1


async def test_same_patch_twice_is_applied_once(client: ServiceClient) -> None:
    created = (await client.call(Operation.CREATE, create_request())).body
    correlation_id = str(uuid.uuid4())
    patch = [
        {
            "op": "add",
            "path": "/contactMedium/-",
            "value": {"@type": "EmailContactMedium", "emailAddress": "a@b.c"},
        }
    ]
    for _ in range(2):
        await client.send(
            Operation.PATCH, patch, parameters={"id": created["id"]}, correlation_id=correlation_id
        )
    await client.wait_for(lambda: len(client.replies(correlation_id)) == 2)
    first, second = client.replies(correlation_id)
    assert first.body == second.body
    fetched = await client.call(Operation.RETRIEVE, parameters={"id": created["id"]})
    assert len(fetched.body["contactMedium"]) == 3


async def test_crash_between_write_and_publish_loses_nothing(
    settings: Settings, start_service: StartService, tmp_path: Path
) -> None:
    crashing = settings.model_copy(update={"fault_crash_after_write": True})
    service = await start_service_process(crashing, tmp_path / "crashing.log")
    try:
        async with watched_customer_client(settings) as customers:
            correlation_id = str(uuid.uuid4())
            # Long enough for the crash, the restart and the reply.
            created = asyncio.create_task(
                customers.create(
                    create_request(name="Crash"), correlation_id=correlation_id, timeout=300
                )
            )
            exit_code = await service.wait_exit(90)
            assert exit_code == 70, (tmp_path / "crashing.log").read_text()
            assert not created.done()  # no reply before the crash

            await start_service()
            customer = await created
            # The only customer: every event from the beginning up to a marker's is the create's.
            async with customers.events(from_beginning=True) as stream:
                events = await events_before_marker(customers, stream, customer["id"])
            listed = await customers.list({"name": "Crash"})
    finally:
        await service.kill()
    assert [c["id"] for c in listed.items] == [customer["id"]]
    assert {(e.event_type, e.correlation_id) for e in events} == {
        ("CustomerCreateEvent", correlation_id)
    }
    assert len({e.event_id for e in events}) == 1
    assert events[0].customer == customer
