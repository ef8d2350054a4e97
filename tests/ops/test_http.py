"""The operations port over a real loopback socket: routes, statuses, bodies, clean stop; and
`customer-async serve` whose port is taken."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest

from customer_async.cli import EXIT_PORT_UNAVAILABLE
from customer_async.errors import OperationsPortUnavailable
from customer_async.ops.http import OperationsServer
from customer_async.ops.readiness import Readiness
from customer_async.settings import Settings
from harness.operations_port import exchange, http_get
from harness.repository import REPO
from harness.service import service_environment


class Service:
    """What the server asks of the service: readiness and a scrape (recording the Accept)."""

    def __init__(self) -> None:
        self.readiness = Readiness({"store": "ping failed: refused"})
        self.accepts: list[str] = []

    async def scrape(self, accept: str) -> tuple[bytes, str]:
        self.accepts.append(accept)
        return b"up 1\n", "text/plain; version=0.0.4; charset=utf-8"


@pytest.fixture
async def served() -> AsyncIterator[tuple[Service, OperationsServer]]:
    service = Service()
    server = OperationsServer(
        "127.0.0.1", 0, readiness=lambda: service.readiness, scrape=service.scrape
    )
    await server.start()
    try:
        yield service, server
    finally:
        await server.stop()


async def test_healthz_is_200(served: tuple[Service, OperationsServer]) -> None:
    _, server = served
    status, headers, body = await http_get(server.port, "/healthz")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"status": "up"}


async def test_readyz_is_503_naming_what_is_missing_then_200(
    served: tuple[Service, OperationsServer],
) -> None:
    service, server = served
    status, _, body = await http_get(server.port, "/readyz")
    assert status == 503
    assert json.loads(body) == {
        "status": "not ready",
        "notReady": {"store": "ping failed: refused"},
    }
    service.readiness = Readiness()
    status, _, body = await http_get(server.port, "/readyz?verbose=1")
    assert status == 200
    assert json.loads(body) == {"status": "ready"}


async def test_metrics_passes_the_accept_header_and_returns_the_scrape(
    served: tuple[Service, OperationsServer],
) -> None:
    service, server = served
    status, headers, body = await http_get(server.port, "/metrics", accept="text/plain")
    assert status == 200
    assert headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert body == b"up 1\n"
    assert service.accepts == ["text/plain"]


async def test_head_answers_headers_without_a_body(
    served: tuple[Service, OperationsServer],
) -> None:
    _, server = served
    status, headers, body = await exchange(server.port, b"HEAD /healthz HTTP/1.1\r\n\r\n")
    assert status == 200
    assert int(headers["content-length"]) > 0
    assert body == b""


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"GET /nothing HTTP/1.1\r\n\r\n", 404),
        (b"POST /readyz HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405),
        (b"NONSENSE\r\n\r\n", 400),
    ],
)
async def test_other_requests_are_refused(
    served: tuple[Service, OperationsServer], request_bytes: bytes, expected: int
) -> None:
    _, server = served
    status, _, _ = await exchange(server.port, request_bytes)
    assert status == expected


async def test_a_failing_scrape_is_a_500_and_the_server_goes_on() -> None:
    async def broken(accept: str) -> tuple[bytes, str]:
        raise RuntimeError(f"bug ({accept})")

    server = OperationsServer("127.0.0.1", 0, readiness=Readiness, scrape=broken)
    await server.start()
    try:
        assert (await http_get(server.port, "/metrics"))[0] == 500
        assert (await http_get(server.port, "/healthz"))[0] == 200
    finally:
        await server.stop()


async def test_stop_closes_the_port_and_open_connections() -> None:
    server = OperationsServer("127.0.0.1", 0, readiness=Readiness, scrape=Service().scrape)
    await server.start()
    port = server.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\n")  # a head that never ends
    await writer.drain()
    await asyncio.sleep(0.05)
    await asyncio.wait_for(server.stop(), 5)
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_a_port_in_use_fails_the_start() -> None:
    first = OperationsServer("127.0.0.1", 0, readiness=Readiness, scrape=Service().scrape)
    await first.start()
    try:
        second = OperationsServer(
            "127.0.0.1", first.port, readiness=Readiness, scrape=Service().scrape
        )
        with pytest.raises(OperationsPortUnavailable, match=f"127.0.0.1:{first.port} is in use"):
            await second.start()
    finally:
        await first.stop()


def test_serve_on_a_taken_port_says_so_in_one_line_and_exits_8() -> None:
    """A second `serve` on one machine: one ERROR line naming the address and the setting, no
    traceback, no unclosed Kafka client, the port's own exit status, before Kafka is tried."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(
            kafka_bootstrap_servers="127.0.0.1:1",  # nothing listens: reaching Kafka would hang
            kafka_security_protocol="PLAINTEXT",
            http_enabled=True,
            http_host="127.0.0.1",
            http_port=port,
            tracing="off",
            log_format="text",
        )
        serve = subprocess.run(
            [sys.executable, "-m", "customer_async", "serve"],
            cwd=REPO,
            env=service_environment(settings),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    output = serve.stdout + serve.stderr
    assert serve.returncode == EXIT_PORT_UNAVAILABLE, output
    errors = [line for line in output.splitlines() if " ERROR " in line]
    assert len(errors) == 1, output
    assert f"operations port 127.0.0.1:{port} is in use" in errors[0]
    assert "CUSTOMER_ASYNC_HTTP_PORT" in errors[0]
    assert "CUSTOMER_ASYNC_HTTP_ENABLED=false" in errors[0]
    assert "Traceback" not in output
    assert "Unclosed" not in output
