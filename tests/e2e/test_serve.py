"""`service.serve`, the process runner: once ready, the start-up heap is out of the GC's sight."""

from __future__ import annotations

import asyncio
import gc

import pytest

from customer_async.service import serve
from customer_async.settings import Settings
from tests.support.client import watched_customer_client
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e


async def test_the_serving_process_freezes_its_start_up_heap_and_serves(
    settings: Settings,
) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    stop = asyncio.Event()
    running = asyncio.create_task(serve(settings, stop))
    try:
        async with watched_customer_client(settings) as client:
            created = await client.create(create_request())
            assert await client.retrieve(created["id"]) == created
        # Modules, schemas and clients: tens of thousands of objects no full collection walks.
        assert gc.get_freeze_count() > 10_000
    finally:
        stop.set()
        await asyncio.wait_for(running, 60)
        gc.unfreeze()
