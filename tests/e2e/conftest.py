"""End-to-end fixtures: the service running on the real broker and store, and its clients.

`customer_client` is the project's own `CustomerClient`, for tests that use the service the way a
caller would; `client` is the raw-record test client, for what that client never sends (malformed
records, missing or repeated headers, a chosen Reply-Channel or key, resends, Spring headers).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from customer_async.client import CustomerClient
from customer_async.service import CustomerService
from customer_async.settings import Settings
from harness.private_stack import PrivateStack
from tests.support.client import ServiceClient, watched_customer_client

StartService = Callable[..., Awaitable[CustomerService]]


@pytest.fixture
async def start_service(settings: Settings) -> AsyncIterator[StartService]:
    """Starts service instances in this event loop; all are stopped cleanly at the end."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start(**overrides: object) -> CustomerService:
        service = CustomerService(settings.model_copy(update=overrides))
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))
        running.append((stop, task))
        ready = asyncio.create_task(service.ready.wait())
        await asyncio.wait({ready, task}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # start-up failed: raise its error here
        assert service.ready.is_set(), "service did not become ready in 60 s"
        return service

    yield start
    for stop, _ in running:
        stop.set()
    await asyncio.gather(*(task for _, task in running))


@pytest.fixture
async def service(start_service: StartService) -> CustomerService:
    """One running instance with the test's settings."""
    return await start_service()


@pytest.fixture
async def client(settings: Settings, service: CustomerService) -> AsyncIterator[ServiceClient]:
    """A client of the running service."""
    del service  # requested for its side effect: the service is running
    client = ServiceClient(settings)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


@pytest.fixture
async def customer_client(
    settings: Settings, client: ServiceClient
) -> AsyncIterator[CustomerClient]:
    """A started `CustomerClient` of the running service, on a reply topic of its own; `client`
    watches every reply and event it causes (see `watched_customer_client`)."""
    async with watched_customer_client(settings, client) as started:
        yield started


@pytest.fixture
async def private_stack(tmp_path: Path) -> AsyncIterator[PrivateStack]:
    """A stack of this test's own, whose servers the test may stop and start at will."""
    stack = PrivateStack(tmp_path / "stack")
    try:
        await stack.up()
        yield stack
    finally:
        await stack.remove()  # also after a failed `up`: nothing of it outlives the test
