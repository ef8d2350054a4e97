"""The harness's reader of the operations port: Prometheus text read series by series, and a
bare GET that says 0 rather than raising when nothing answers."""

from __future__ import annotations

import asyncio

from harness.operations_port import gauge_value, read, samples
from harness.ports import free_port

EXPOSITION = """\
# HELP customer_async_outbox_unpublished_writes Customers whose outbox waits.
# TYPE customer_async_outbox_unpublished_writes gauge
customer_async_outbox_unpublished_writes_total 9.0
customer_async_outbox_unpublished_writes 2048.0
customer_async_consumer_lag{partition="0",topic="p.v5.createCustomer.commandRequest"} 3.0
customer_async_consumer_lag{partition="2",topic="p.v5.listCustomer.commandRequest"} 0.0
"""


def test_the_unlabelled_gauge_is_read_and_its_help_lines_skipped() -> None:
    assert gauge_value(EXPOSITION, "customer_async_outbox_unpublished_writes") == 2048.0
    assert gauge_value(EXPOSITION, "customer_async_requests_in_flight") is None


def test_every_series_of_a_metric_comes_with_its_labels() -> None:
    found = samples(EXPOSITION, "customer_async_consumer_lag")

    assert [(labels["partition"], value) for labels, value in found] == [("0", 3.0), ("2", 0.0)]
    assert found[0][0]["topic"].endswith("createCustomer.commandRequest")


async def test_a_get_reads_status_and_body_and_nothing_listening_reads_as_0() -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\nnot yet")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        assert await read(port, "/readyz") == (503, "not yet")
    finally:
        server.close()
        await server.wait_closed()
    assert await read(free_port(), "/readyz", 2.0) == (0, "")
