"""The operations port of a running service: health, readiness across a store outage, metrics
that count exactly the requests and events a client caused (through `CustomerClient`)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from customer_async.client import MERGE_PATCH, NotFound, ServiceUnavailable
from customer_async.settings import Settings
from customer_async.types import Operation
from harness.operations_port import http_get
from harness.ports import free_port
from harness.service import start_service_process
from tests.e2e.conftest import StartService
from tests.support.client import watched_customer_client
from tests.support.examples import create_request
from tests.support.ferretdb import PrivateFerretDB

pytestmark = pytest.mark.e2e

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def readyz(port: int) -> tuple[int, Any]:
    status, _, body = await http_get(port, "/readyz")
    return status, json.loads(body)


async def until(check: Callable[[], Any], what: str, timeout: float = 60) -> None:
    """Wait (polling) until the awaitable `check()` returns something true."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        await asyncio.sleep(0.2)


async def scrape(port: int) -> Samples:
    status, headers, body = await http_get(port, "/metrics")
    assert status == 200
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def series(samples: Samples, name: str, label: str | None = None) -> dict[Any, float]:
    """The values of metric `name`, by the value of `label` (or by their whole label set)."""
    found: dict[Any, float] = {}
    for (sample_name, labels), value in samples.items():
        if sample_name == name:
            key = dict(labels).get(label) if label else labels
            found[key] = value
    return found


def with_port(**overrides: object) -> dict[str, object]:
    """Overrides that open the operations port on a free loopback port."""
    return {"http_enabled": True, "http_host": "127.0.0.1", "http_port": free_port(), **overrides}


async def test_healthz_answers_200(start_service: StartService) -> None:
    overrides = with_port()
    await start_service(**overrides)
    status, headers, body = await http_get(int(str(overrides["http_port"])), "/healthz")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"status": "up"}


async def test_readyz_flips_while_the_store_is_stopped_and_back_after(
    start_service: StartService, settings: Settings, tmp_path: Path
) -> None:
    store = PrivateFerretDB(tmp_path / "ferretdb.log")
    await store.start()
    overrides = with_port(mongodb_uri=store.uri, store_retry_seconds=1.0, store_timeout_ms=300)
    port = int(str(overrides["http_port"]))
    try:
        await start_service(**overrides)
        async with watched_customer_client(settings) as client:
            await until(lambda: _is(readyz(port), 200), "ready after start-up")
            await store.stop()
            await until(lambda: _is(readyz(port), 503), "not ready while the store is stopped")
            during = await readyz(port)
            with pytest.raises(ServiceUnavailable) as refused:
                await client.retrieve(str(uuid.uuid4()))
            outage = await scrape(port)
            await store.start()
            await until(lambda: _is(readyz(port), 200), "ready again once the store is back")
            after = await readyz(port)
    finally:
        await store.stop()
    assert during[1]["status"] == "not ready"
    assert list(during[1]["notReady"]) == ["store"]  # Kafka was fine all along
    assert during[1]["notReady"]["store"].startswith("ping failed")
    assert after == (200, {"status": "ready"})
    assert refused.value.status == 503
    assert series(outage, "customer_async_requests_total", "status") == {"503": 1}
    assert series(outage, "customer_async_store_retries_total", "command")["get"] >= 1


async def _is(answer: Any, status: int) -> bool:
    return bool((await answer)[0] == status)


async def test_metrics_count_exactly_the_requests_and_events_sent(
    start_service: StartService, settings: Settings
) -> None:
    overrides = with_port()
    port = int(str(overrides["http_port"]))
    await start_service(**overrides)
    async with watched_customer_client(settings) as client:
        created = [await client.create(create_request()) for _ in range(3)]
        ids = [customer["id"] for customer in created]
        assert [await client.retrieve(i) for i in ids[:2]] == created[:2]
        for n in range(4):
            with pytest.raises(NotFound) as missing:
                await client.retrieve(f"missing-{n}")
            assert missing.value.status == 404
        patched = await client.patch(ids[0], {"status": "Approved"}, content_type=MERGE_PATCH)
        assert patched["status"] == "Approved"
        await client.delete(ids[1])
    sent = 3 + 2 + 4 + 1 + 1

    async def all_counted() -> bool:
        counted = series(await scrape(port), "customer_async_requests_total")
        return sum(counted.values()) >= sent

    await until(all_counted, "every request counted", timeout=10)
    samples = await scrape(port)
    requests = {
        (dict(labels)["operation"], dict(labels)["status"]): value
        for labels, value in series(samples, "customer_async_requests_total").items()
    }
    assert requests == {
        ("create", "201"): 3,
        ("retrieve", "200"): 2,
        ("retrieve", "404"): 4,
        ("patch", "200"): 1,
        ("delete", "204"): 1,
    }
    assert series(samples, "customer_async_request_duration_seconds_count", "operation") == {
        "create": 3,
        "retrieve": 6,
        "patch": 1,
        "delete": 1,
    }
    assert series(samples, "customer_async_events_published_total", "event_type") == {
        "CustomerCreateEvent": 3,
        "CustomerStateChangeEvent": 1,
        "CustomerDeleteEvent": 1,
    }
    assert series(samples, "customer_async_requests_in_flight") == {frozenset(): 0}
    lag = series(samples, "customer_async_consumer_lag")
    request_topics = {settings.request_topic(op) for op in Operation}
    assert lag, "the lag of the assigned request partitions is reported"
    assert {dict(labels)["topic"] for labels in lag} <= request_topics
    assert set(lag.values()) == {0}  # everything sent was taken


async def test_serve_logs_json_lines_with_one_line_per_request(
    settings: Settings, tmp_path: Path
) -> None:
    """`customer-async serve` with JSON logs: every line is JSON, each request has its line."""
    overrides = with_port(log_format="json")
    port = int(str(overrides["http_port"]))
    log = tmp_path / "service.log"
    service = await start_service_process(settings.model_copy(update=overrides), log)
    correlation_id = str(uuid.uuid4())
    try:
        await until(lambda: _ready_or_refused(port), "the process ready", timeout=90)
        async with watched_customer_client(settings) as client:
            reply = await client.call(
                Operation.CREATE, payload=create_request(), correlation_id=correlation_id
            )
        exit_code = await service.stop(60)
    finally:
        await service.kill()
    assert reply.status == 201
    assert exit_code == 0
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    answered = [line for line in lines if line.get("correlation_id") == correlation_id]
    assert [(a["logger"], a["operation"], a["status"]) for a in answered] == [
        ("customer_async.requests", "create", 201)
    ]
    assert answered[0]["duration_ms"] >= 0
    with pytest.raises(ConnectionRefusedError):
        await http_get(port, "/healthz")  # the port closed with the service


async def _ready_or_refused(port: int) -> bool:
    try:
        return await _is(readyz(port), 200)
    except ConnectionRefusedError:
        return False  # not listening yet
