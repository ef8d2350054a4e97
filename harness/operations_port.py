"""The service's operations port from outside: a bare HTTP exchange over loopback, its
Prometheus text read series by series, and the wait for the outbox to be published.

The port serves one request per connection and closes it, so a few lines of HTTP/1.1 need no
HTTP client. A reply can reach a driver just before the service's ledger counts its write as
published, so the outbox counts as published only at two readings of 0 in a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re

from harness.ports import LOOPBACK

UNPUBLISHED_GAUGE = "customer_async_outbox_unpublished_writes"
"""Writes the service stored and has not published yet (its ledger's pending stamps)."""
POLL_SECONDS = 0.25
ZEROS_TO_DRAIN = 2
_READ_SECONDS = 5.0
_SERIES = re.compile(r"^(?P<name>[^\s{]+)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="([^"]*)"')

Labels = dict[str, str]


async def exchange(
    port: int, request: bytes, seconds: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """Send a raw request to `port` on loopback; the response's status (0: none readable),
    headers (lower-case names) and body. OSError or TimeoutError when nothing answers."""
    async with asyncio.timeout(seconds):
        reader, writer = await asyncio.open_connection(LOOPBACK, port)
        try:
            writer.write(request)
            await writer.drain()
            response = await reader.read()
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {n.strip().lower(): v.strip() for n, _, v in (x.partition(":") for x in lines)}
    code = status_line.split(" ")[1:2]
    return int(code[0]) if code and code[0].isdigit() else 0, headers, body


async def http_get(
    port: int, path: str, *, accept: str = "", seconds: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """GET `path`; the status, headers (lower-case names) and body (raises like `exchange`)."""
    extra = f"Accept: {accept}\r\n" if accept else ""
    request = f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}\r\n{extra}Connection: close\r\n\r\n"
    return await exchange(port, request.encode(), seconds)


async def read(port: int, path: str, seconds: float = _READ_SECONDS) -> tuple[int, str]:
    """GET `path`: the status and body text, (0, '') when nothing answers within `seconds`."""
    try:
        status, _, body = await http_get(port, path, seconds=seconds)
    except (OSError, TimeoutError):
        return 0, ""
    return status, body.decode(errors="replace")


def samples(exposition: str, name: str) -> list[tuple[Labels, float]]:
    """Every series of metric `name` in Prometheus text: its labels and its value."""
    found = []
    for line in exposition.splitlines():
        match = _SERIES.match(line)
        if match is None or match.group("name") != name:
            continue
        try:
            value = float(match.group("value"))
        except ValueError:
            continue
        found.append((dict(_LABEL.findall(match.group("labels") or "")), value))
    return found


def gauge_value(exposition: str, name: str) -> float | None:
    """The value of the unlabelled series `name` in Prometheus text (None when absent)."""
    for labels, value in samples(exposition, name):
        if not labels:
            return value if math.isfinite(value) else None
    return None


async def read_gauge(port: int, name: str) -> float | None:
    """`name`'s value on the service's `/metrics` at `port` (None: no answer, or no such gauge)."""
    status, body = await read(port, "/metrics")
    return gauge_value(body, name) if status == 200 else None


async def outbox_published(port: int, within: float) -> float | None:
    """Seconds until the service's outbox read 0 twice in a row (None: not within `within`
    seconds, or the port did not say)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    zeros = 0
    while loop.time() - started < within:
        zeros = zeros + 1 if await read_gauge(port, UNPUBLISHED_GAUGE) == 0 else 0
        if zeros >= ZEROS_TO_DRAIN:
            return loop.time() - started
        await asyncio.sleep(POLL_SECONDS)
    return None
