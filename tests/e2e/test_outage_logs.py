"""A broker outage leaves a readable log: a bounded number of lines, then the service serves."""
# Raw records: sends across a broker outage whose replies are collected after it, apart from them.

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from customer_async.settings import Settings
from customer_async.types import Operation
from harness.private_stack import PrivateStack
from harness.service import start_service_process
from tests.support.client import ServiceClient
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 10.0
SEND_EVERY_SECONDS = 2.0
# Unlimited, aiokafka's reconnect loop alone wrote ~100,000 lines in such an outage; limited,
# each kind of line is written once and summarised once per window (10 s).
MAX_LINES_IN_OUTAGE = 200


def log_lines(log: Path) -> list[str]:
    return log.read_text(errors="replace").splitlines()


async def send_until(client: ServiceClient, deadline: float) -> list[asyncio.Task[str | None]]:
    """A request every few seconds until `deadline`, as other services keep doing; each send
    runs on (the client's producer retries it) while the next one goes out."""
    sends: list[asyncio.Task[str | None]] = []
    while time.monotonic() < deadline:
        request = create_request(name=f"During Outage {len(sends)}")
        sends.append(asyncio.create_task(client.send(Operation.CREATE, request)))
        await asyncio.sleep(SEND_EVERY_SECONDS)
    return sends


@pytest.mark.timeout(900)
async def test_a_broker_outage_writes_a_bounded_log_and_the_service_serves_again(
    private_stack: PrivateStack, settings: Settings, tmp_path: Path
) -> None:
    private = settings.model_copy(update=private_stack.servers())
    log = tmp_path / "service.log"
    service = await start_service_process(private, log)
    client = ServiceClient(private)
    try:
        await client.start()
        before = await client.call(Operation.CREATE, create_request())
        assert before.status == 201, log.read_text()[-3000:]

        served_lines = len(log_lines(log))
        await private_stack.stop_kafka()
        stopped = time.monotonic()
        sends = await send_until(client, stopped + OUTAGE_SECONDS)
        outage = log_lines(log)[served_lines:]
        outage_seconds = time.monotonic() - stopped

        await private_stack.up()
        after = await client.call(Operation.RETRIEVE, parameters={"id": before.body["id"]})
        again = await client.call(Operation.CREATE, create_request(name="After Restart"))
        restart = log_lines(log)[served_lines + len(outage) :]
        sent = await asyncio.gather(*sends, return_exceptions=True)
        delivered = [c for c in sent if isinstance(c, str)]
        replies = [await client.reply(correlation_id) for correlation_id in delivered]

        exit_code = await service.stop(60)
    finally:
        await service.kill()
        await client.stop()

    report = (
        f"{len(outage)} lines in {outage_seconds:.1f} s of outage, {len(restart)} while the "
        "broker restarted; the first ones:\n" + "\n".join(outage[:60])
    )
    print(report)  # the measurement, for `pytest -s`
    assert len(outage) < MAX_LINES_IN_OUTAGE, report
    assert len(restart) < MAX_LINES_IN_OUTAGE, report
    assert any("repeated" in line and "times in the last" in line for line in outage + restart), (
        "repeats were summarised, not silently dropped\n" + report
    )
    assert after.status == 200
    assert after.body == before.body
    assert again.status == 201
    assert [reply.status for reply in replies] == [201] * len(delivered)
    assert exit_code == 0, log.read_text()[-3000:]
