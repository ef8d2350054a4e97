"""Static group membership: an instance restarted with its `group_instance_id` serves again."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from customer_async.client import CustomerClient
from customer_async.settings import Settings
from customer_async.types import Operation
from harness.service import start_service_process
from tests.e2e.conftest import StartService
from tests.support.client import watched_customer_client
from tests.support.examples import create_request
from tests.support.groups import wait_until_members_share

pytestmark = pytest.mark.e2e


async def test_a_killed_static_member_restarted_with_its_id_takes_its_partitions_back(
    settings: Settings, tmp_path: Path
) -> None:
    """SIGKILL, restart with the same instance id: its requests are answered again.

    The gap (printed, not asserted: timing is the benchmark's and chaos run's business) is the
    restart's own start-up: a static member's partitions wait for it instead of a rebalance.
    """
    static = settings.model_copy(update={"group_instance_id": "instance-1"})
    log = tmp_path / "service.log"
    first = await start_service_process(static, log)
    second = None
    try:
        async with watched_customer_client(settings) as client:
            created = await client.create(create_request())
            await first.kill()
            killed_at = time.monotonic()
            second = await start_service_process(static, log)
            retrieved = await client.retrieve(created["id"])
            print(f"replies resumed {time.monotonic() - killed_at:.1f} s after the SIGKILL")
    finally:
        for service in (first, second):
            if service is not None:
                await service.stop(60)
    assert retrieved == created


async def test_a_restarted_static_member_releases_the_leases_its_crash_left(
    start_service: StartService, settings: Settings, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """A SIGKILL between taking a customer's lease and giving it back strands the lease until it
    expires (30 s); the instance restarted with its id removes its own at once, no one else's."""
    if "ferretdbVersion" not in await mongo.server_info():
        pytest.skip("leases exist only on a store without isolated updates (FerretDB)")
    leases = mongo[settings.mongodb_database]["customer_lease"]
    expires = datetime.now(UTC) + timedelta(seconds=30)
    await leases.insert_many(
        [
            {"_id": "left-by-me", "token": "t1", "expires": expires, "holder": "instance-7"},
            {"_id": "held-by-other", "token": "t2", "expires": expires, "holder": "instance-8"},
        ]
    )
    await start_service(group_instance_id="instance-7")
    assert [lease["_id"] for lease in await leases.find({}).to_list()] == ["held-by-other"]


async def test_a_rebalance_does_not_wait_for_a_write_stuck_on_a_dead_holders_lease(
    customer_client: CustomerClient,
    start_service: StartService,
    settings: Settings,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    """A patch waiting for the lease a killed instance left (FerretDB) is handed over at a
    rebalance, not waited out: the group shares the partitions while the lease still stands,
    and the patch, delivered again, is applied once when the lease ends."""
    if "ferretdbVersion" not in await mongo.server_info():
        pytest.skip("leases exist only on a store without isolated updates (FerretDB)")
    created = await customer_client.create(create_request())
    leases = mongo[settings.mongodb_database]["customer_lease"]
    expires = datetime.now(UTC) + timedelta(seconds=300)
    # A write of the customer may hold its lease for a moment: take it after that.
    while True:
        try:
            await leases.insert_one({"_id": created["id"], "token": "t", "expires": expires})
            break
        except DuplicateKeyError:
            await asyncio.sleep(0.05)
    patching = asyncio.create_task(
        customer_client.patch(created["id"], {"description": "after the lease"}, timeout=180)
    )
    await start_service()  # a second instance joins: the first revokes with the patch in hand
    await wait_until_members_share(settings, settings.request_topic(Operation.PATCH), members=2)
    assert await leases.count_documents({"_id": created["id"]}) == 1  # it still stands
    assert not patching.done()
    await leases.delete_one({"_id": created["id"]})  # the dead holder's lease ends
    patched = await patching
    assert patched["description"] == "after the lease"
    stored = await mongo[settings.mongodb_database]["customer"].find_one({"_id": created["id"]})
    assert stored is not None
    assert stored["_version"] == 2  # the create, then the patch once
