"""A bare HTTP/1.1 exchange over loopback, for the operations port's tests."""

from __future__ import annotations

import asyncio


async def exchange(
    port: int, request: bytes, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """Send a raw request; the response's status, headers (lower-case names) and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {n.strip().lower(): v.strip() for n, _, v in (x.partition(":") for x in lines)}
    return int(status_line.split(" ")[1]), headers, body


async def http_get(port: int, path: str, *, accept: str = "") -> tuple[int, dict[str, str], bytes]:
    """GET `path`; the status, headers (lower-case names) and body."""
    extra = f"Accept: {accept}\r\n" if accept else ""
    return await exchange(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
