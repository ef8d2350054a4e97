"""Static group membership: an instance restarted with its `group_instance_id` serves again."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from customer_async.settings import Settings
from tests.e2e.conftest import StartService
from tests.support.client import watched_customer_client
from tests.support.examples import create_request
from tests.support.process import start_service_process

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
            first.kill()
            await first.wait()
            killed_at = time.monotonic()
            second = await start_service_process(static, log)
            retrieved = await client.retrieve(created["id"])
            print(f"replies resumed {time.monotonic() - killed_at:.1f} s after the SIGKILL")
    finally:
        for process in (first, second):
            if process is not None and process.returncode is None:
                process.terminate()
                await asyncio.wait_for(process.wait(), 60)
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
