"""The service's operations port, from the outside: a free port to give it, one gauge read,
and the wait for its outbox to be settled.

The service serves `/metrics` in Prometheus text on its operations port; the benchmark gives it a
port nobody listens on and reads one gauge at a time with a bare HTTP/1.0 GET (three lines of
protocol need no HTTP client). A reply can reach the driver just before the service hands its
customer to the settler, so the outbox counts as settled only at two readings of 0 in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket

LOOPBACK = "127.0.0.1"
UNSETTLED_GAUGE = "customer_async_outbox_unsettled_customers"
"""Customers whose published outbox the service has not emptied yet (settle.py's backlog)."""
POLL_SECONDS = 0.25
ZEROS_TO_SETTLE = 2
_READ_SECONDS = 5.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def gauge_value(exposition: str, name: str) -> float | None:
    """The value of the unlabelled series `name` in Prometheus text (None when absent)."""
    for line in exposition.splitlines():
        metric, _, rest = line.partition(" ")
        if metric == name:
            try:
                value = float(rest.split()[0])
            except (IndexError, ValueError):
                return None
            return value if math.isfinite(value) else None
    return None


async def read_gauge(port: int, name: str) -> float | None:
    """`name`'s value on the service's `/metrics` at `port` (None: no answer, or no such gauge)."""
    try:
        async with asyncio.timeout(_READ_SECONDS):
            reader, writer = await asyncio.open_connection(LOOPBACK, port)
            try:
                writer.write(f"GET /metrics HTTP/1.0\r\nHost: {LOOPBACK}\r\n\r\n".encode())
                await writer.drain()
                response = await reader.read()
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError):
        return None
    head, _, body = response.decode(errors="replace").partition("\r\n\r\n")
    status_line = head.split("\r\n", 1)[0].split()
    if status_line[1:2] != ["200"]:
        return None
    return gauge_value(body, name)


async def outbox_settled(port: int, within: float) -> float | None:
    """Seconds until the service's outbox read 0 twice in a row (None: not within `within`
    seconds, or the port did not say)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    zeros = 0
    while loop.time() - started < within:
        zeros = zeros + 1 if await read_gauge(port, UNSETTLED_GAUGE) == 0 else 0
        if zeros >= ZEROS_TO_SETTLE:
            return loop.time() - started
        await asyncio.sleep(POLL_SECONDS)
    return None
