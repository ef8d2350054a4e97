"""The benchmark's one network rule: every server it loads answers on a loopback address."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from pymongo.errors import PyMongoError
from pymongo.uri_parser import parse_uri


class NotLoopback(ValueError):
    """A server address that is not (or does not resolve only to) a loopback address."""


def _require(host: str, port: int | None, what: str) -> None:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise NotLoopback(f"{what} host {host!r} does not resolve: {exc}") from exc
    addresses = {str(info[4][0]) for info in infos}
    outside = sorted(a for a in addresses if not ipaddress.ip_address(a).is_loopback)
    if outside:
        raise NotLoopback(
            f"{what} host {host!r} resolves to {', '.join(outside)}: the benchmark only loads "
            "servers on this machine's loopback addresses"
        )


def require_loopback(kafka_bootstrap_servers: str, mongodb_uri: str) -> None:
    """Raise `NotLoopback` unless every Kafka bootstrap server and store host is on loopback."""
    for server in kafka_bootstrap_servers.split(","):
        address = server.strip()
        parts = urlsplit(address if "//" in address else f"//{address}")
        _require(parts.hostname or "localhost", parts.port, "Kafka")
    try:
        nodes = parse_uri(mongodb_uri)["nodelist"]
    except PyMongoError as exc:
        raise NotLoopback(f"MongoDB URI {mongodb_uri!r} is not usable: {exc}") from exc
    for host, port in nodes:
        _require(host, port, "MongoDB")
