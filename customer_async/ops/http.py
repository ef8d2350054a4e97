"""The operations port: `/healthz`, `/readyz` and `/metrics`, served in the service's event loop.

Three GET endpoints without request bodies need no web framework: asyncio's stream server reads
one request head per connection and answers with `Connection: close`. Running in the service's
loop, the handlers read the service's state directly (no threads, no locks) and the server
starts and stops with the service. prometheus-client renders the metrics; its own
`start_http_server` would serve them from a thread of its own, apart from the service's life.

- `GET /healthz`: 200 while the process runs.
- `GET /readyz`: 200 when ready, else 503 naming what is not (see readiness.py).
- `GET /metrics`: Prometheus text (or OpenMetrics, when the `Accept` header asks for it).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import urlsplit

from customer_async.errors import OperationsPortUnavailable
from customer_async.ops.readiness import Readiness

log = logging.getLogger(__name__)

Scrape = Callable[[str], Awaitable[tuple[bytes, str]]]
"""Given the `Accept` header: the metrics, and their content type."""

_MAX_HEAD_BYTES = 8192
_HEAD_TIMEOUT = 5.0
"""Seconds a client has to send its request head."""
_JSON = "application/json"


class OperationsServer:
    """The HTTP server of the operations port."""

    def __init__(
        self, host: str, port: int, *, readiness: Callable[[], Readiness], scrape: Scrape
    ) -> None:
        self._host = host
        self._port = port
        self._readiness = readiness
        self._scrape = scrape
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[object]] = set()

    @property
    def port(self) -> int:
        """The port listened on (the configured one, once started)."""
        if self._server is None or not self._server.sockets:
            return self._port
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Listen; an address in use (or one that cannot be bound) raises
        `OperationsPortUnavailable`: a service without its probes must not run."""
        try:
            self._server = await asyncio.start_server(
                self._connection, self._host, self._port, limit=_MAX_HEAD_BYTES
            )
        except OSError as exc:
            raise OperationsPortUnavailable(
                f"the operations port {_address(self._host, self._port)} {_bind_failure(exc)}; "
                "set CUSTOMER_ASYNC_HTTP_PORT to a free port, or CUSTOMER_ASYNC_HTTP_ENABLED=false "
                "to serve without /healthz, /readyz and /metrics"
            ) from exc
        log.info("operations port %s:%d: /healthz /readyz /metrics", self._host, self.port)

    async def stop(self) -> None:
        """Stop listening and end the connections still open."""
        if self._server is None:
            return
        self._server.close()
        for connection in self._connections:
            connection.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEAD_TIMEOUT)
            writer.write(await self._respond(head))
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass  # a head that never ended or is too large: nothing sensible to answer
        except ConnectionError:
            pass  # the client went away
        finally:
            if task is not None:
                self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, head: bytes) -> bytes:
        """The whole response to one request head."""
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return _response(HTTPStatus.BAD_REQUEST, _JSON, b'{"error": "bad request line"}')
        method, target, _ = parts
        if method not in ("GET", "HEAD"):
            return _response(
                HTTPStatus.METHOD_NOT_ALLOWED,
                _JSON,
                b'{"error": "only GET and HEAD"}',
                extra={"Allow": "GET, HEAD"},
            )
        try:
            status, content_type, body = await self._route(
                urlsplit(target).path, _header(header_lines, "accept")
            )
        except Exception:  # a bug in a handler must not leave the probe hanging
            log.exception("operations port: %s %s failed", method, target)
            status, content_type, body = HTTPStatus.INTERNAL_SERVER_ERROR, _JSON, b"{}"
        return _response(status, content_type, body, with_body=method == "GET")

    async def _route(self, path: str, accept: str) -> tuple[HTTPStatus, str, bytes]:
        if path == "/healthz":
            return HTTPStatus.OK, _JSON, b'{"status": "up"}'
        if path == "/readyz":
            readiness = self._readiness()
            status = HTTPStatus.OK if readiness.ready else HTTPStatus.SERVICE_UNAVAILABLE
            return status, _JSON, json.dumps(readiness.body()).encode()
        if path == "/metrics":
            body, content_type = await self._scrape(accept)
            return HTTPStatus.OK, content_type, body
        return HTTPStatus.NOT_FOUND, _JSON, b'{"error": "not found"}'


def _address(host: str, port: int) -> str:
    """`host:port`, with an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bind_failure(exc: OSError) -> str:
    """Why the bind failed, in a few words (asyncio's message repeats the address as a tuple)."""
    if exc.errno == errno.EADDRINUSE:
        return "is in use (another customer-async serve on this machine?)"
    if isinstance(exc, socket.gaierror) or not exc.errno:
        return f"cannot be bound ({exc.strerror or exc})"
    return f"cannot be bound ({os.strerror(exc.errno)})"


def _header(lines: list[str], wanted: str) -> str:
    """The value of the first header named `wanted` (lower case), or ""."""
    for line in lines:
        name, separator, value = line.partition(":")
        if separator and name.strip().lower() == wanted:
            return value.strip()
    return ""


def _response(
    status: HTTPStatus,
    content_type: str,
    body: bytes,
    *,
    with_body: bool = True,
    extra: dict[str, str] | None = None,
) -> bytes:
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Cache-Control": "no-store",
        "Connection": "close",
        **(extra or {}),
    }
    head = f"HTTP/1.1 {status.value} {status.phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (head + "\r\n").encode("latin-1") + (body if with_body else b"")
