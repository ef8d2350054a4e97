"""The service process: clean shutdown on signals, and 503 when the store stays away."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from customer_async.client import ServiceUnavailable
from customer_async.settings import Settings
from harness.private_stack import PrivateStack
from harness.service import start_service_process
from tests.e2e.conftest import StartService
from tests.support.client import watched_customer_client
from tests.support.examples import create_request
from tests.support.ferretdb import PrivateFerretDB

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_stops_the_service_cleanly_after_serving(
    settings: Settings, tmp_path: Path, sig: signal.Signals
) -> None:
    log = tmp_path / "service.log"
    service = await start_service_process(settings, log)
    try:
        async with watched_customer_client(settings) as client:
            created = await client.create(create_request())
            assert await client.retrieve(created["id"]) == created
        exit_code = await service.stop(60, sig)
    finally:
        await service.kill()
    assert exit_code == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()


async def test_store_outage_gets_503_for_a_read_then_waits_and_the_service_recovers(
    start_service: StartService, settings: Settings, tmp_path: Path
) -> None:
    """The store goes away: the read in hand gets a TMF 503 with Retry-After after the retry
    budget; then fetching pauses, so a request sent during the outage waits in Kafka and gets
    its real answer once the store is back, instead of a 503. (A write in hand is never answered
    503: it waits for the store; tests/e2e/test_faults.py.)"""
    store = PrivateFerretDB(tmp_path / "ferretdb.log")
    await store.start()
    try:
        await start_service(mongodb_uri=store.uri, store_retry_seconds=1.0, store_timeout_ms=300)
        async with watched_customer_client(settings) as client:
            before = await client.create(create_request())
            await store.stop()
            with pytest.raises(ServiceUnavailable) as during:
                await client.retrieve(before["id"])
            # Long enough for the outage and the store's restart.
            waiting = asyncio.create_task(client.retrieve(before["id"], timeout=180))
            await asyncio.sleep(3)
            unanswered_while_down = not waiting.done()
            await store.start()
            after = await waiting
    finally:
        await store.stop()
    assert during.value.status == 503
    assert during.value.error["@type"] == "Error"
    assert during.value.error["status"] == "503"
    assert during.value.retry_after is not None
    assert during.value.retry_after >= 1
    assert unanswered_while_down
    assert after == before


async def test_service_serves_again_after_a_broker_restart(
    private_stack: PrivateStack, start_service: StartService, settings: Settings
) -> None:
    """The broker stops and comes back: the service does not crash and serves again."""
    private = settings.model_copy(update=private_stack.servers())
    await start_service(
        kafka_bootstrap_servers=private.kafka_bootstrap_servers, mongodb_uri=private.mongodb_uri
    )
    async with watched_customer_client(private) as client:
        before = await client.create(create_request())
    await private_stack.stop_kafka()
    await asyncio.sleep(3)  # the service meets the missing broker
    await private_stack.up()
    async with watched_customer_client(private) as client:
        after = await client.retrieve(before["id"])
        created = await client.create(create_request(name="After Restart"))
    assert after == before
    assert created["name"] == "After Restart"


@pytest.mark.parametrize("create_topics", [True, False])
async def test_a_signal_stops_the_service_while_the_broker_is_not_there_yet(
    settings: Settings, tmp_path: Path, create_topics: bool
) -> None:
    """Started before its broker answers (topic creation, or the producer's start, retries
    until it does): SIGTERM still stops it at once, with status 0 and nothing left open."""
    log = tmp_path / "service.log"
    waiting = settings.model_copy(
        update={
            "kafka_bootstrap_servers": "127.0.0.1:1",  # nothing listens there
            "create_topics": create_topics,
            "http_enabled": False,
        }
    )
    service = await start_service_process(waiting, log)
    try:
        await asyncio.sleep(3)  # past start-up, into the retries
        assert not service.exited, log.read_text()[-3000:]
        exit_code = await service.stop(20)
    finally:
        await service.kill()
    output = log.read_text()
    assert exit_code == 0, output[-3000:]
    assert "Traceback" not in output
    assert "Unclosed" not in output
