"""The service process: clean shutdown on signals, and 503 when the store stays away."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from customer_async.settings import Settings
from customer_async.types import Operation
from tests.e2e.conftest import StartService
from tests.support.client import ServiceClient
from tests.support.examples import create_request
from tests.support.ferretdb import PrivateFerretDB
from tests.support.private_stack import PrivateStack
from tests.support.process import start_service_process

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_stops_the_service_cleanly_after_serving(
    settings: Settings, tmp_path: Path, sig: signal.Signals
) -> None:
    log = tmp_path / "service.log"
    process = await start_service_process(settings, log)
    client = ServiceClient(settings)
    await client.start()
    try:
        reply = await client.call(
            Operation.CREATE,
            create_request(),
        )
        assert reply.status == 201
        process.send_signal(sig)
        exit_code = await asyncio.wait_for(process.wait(), 60)
    finally:
        if process.returncode is None:
            process.kill()
        await client.stop()
    assert exit_code == 0, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()


async def test_store_outage_gets_503_then_waits_and_the_service_recovers(
    start_service: StartService, settings: Settings, tmp_path: Path
) -> None:
    """The store goes away: the request in hand gets a TMF 503 with Retry-After after the retry
    budget; then fetching pauses, so a request sent during the outage waits in Kafka and gets
    its real answer once the store is back, instead of a 503."""
    store = PrivateFerretDB(tmp_path / "ferretdb.log")
    await store.start()
    client = ServiceClient(settings)
    try:
        await start_service(mongodb_uri=store.uri, store_retry_seconds=1.0, store_timeout_ms=300)
        await client.start()
        before = await client.call(Operation.CREATE, create_request())
        await store.stop()
        during = await client.call(Operation.CREATE, create_request())
        waiting = await client.send(Operation.RETRIEVE, parameters={"id": before.body["id"]})
        assert waiting is not None
        await asyncio.sleep(3)
        unanswered_while_down = client.replies(waiting) == []
        await store.start()
        after = await client.reply(waiting)
    finally:
        await client.stop()
        await store.stop()
    assert before.status == 201
    assert during.status == 503
    assert during.body["@type"] == "Error"
    assert during.body["status"] == "503"
    assert int(during.headers["Retry-After"]) >= 1
    assert unanswered_while_down
    assert after.status == 200
    assert after.body == before.body


async def test_service_serves_again_after_a_broker_restart(
    private_stack: PrivateStack, start_service: StartService, settings: Settings
) -> None:
    """The broker stops and comes back: the service does not crash and serves again."""
    private = settings.model_copy(update=private_stack.servers())
    await start_service(
        kafka_bootstrap_servers=private.kafka_bootstrap_servers, mongodb_uri=private.mongodb_uri
    )
    client = ServiceClient(private)
    await client.start()
    try:
        before = await client.call(Operation.CREATE, create_request())
    finally:
        await client.stop()
    await private_stack.stop_kafka()
    await asyncio.sleep(3)  # the service meets the missing broker
    await private_stack.up()
    client = ServiceClient(private)
    await client.start()
    try:
        after = await client.call(Operation.RETRIEVE, parameters={"id": before.body["id"]})
        created = await client.call(Operation.CREATE, create_request(name="After Restart"))
    finally:
        await client.stop()
    assert before.status == 201
    assert after.status == 200
    assert after.body == before.body
    assert created.status == 201
