"""Finds a real Kafka broker and a real MongoDB-protocol store for the end-to-end tests.

Order: the `CUSTOMER_ASYNC_*` environment when it names servers; else Testcontainers when a
Docker engine answers; else the project's native stack (`scripts/stack up`). A server that
cannot be reached is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from harness.repository import REPO


@dataclass(frozen=True)
class Servers:
    """Where the broker and the store answer, and who provided them."""

    kafka_bootstrap_servers: str
    mongodb_uri: str
    origin: str


def reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    """Whether something accepts TCP connections there."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(address if "//" in address else f"//{address}")
    return parts.hostname or "localhost", parts.port or default_port


def _docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    return probe.returncode == 0


def _from_environment() -> Servers | None:
    kafka = os.environ.get("CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS")
    mongo = os.environ.get("CUSTOMER_ASYNC_MONGODB_URI")
    if not (kafka and mongo):
        return None
    kafka_first = kafka.split(",")[0]
    mongo_first = urlsplit(mongo).netloc.split("@")[-1].split(",")[0]
    for what, address, port in (("Kafka", kafka_first, 9092), ("MongoDB", mongo_first, 27017)):
        if not reachable(*_host_port(address, port)):
            raise RuntimeError(f"{what} named by the environment does not answer at {address}")
    return Servers(kafka, mongo, "environment")


@contextmanager
def _from_testcontainers() -> Iterator[Servers]:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.mongodb import MongoDbContainer

    with KafkaContainer().with_kraft() as kafka, MongoDbContainer("mongo:7") as mongo:
        yield Servers(kafka.get_bootstrap_server(), mongo.get_connection_url(), "testcontainers")


def _from_native_stack() -> Servers:
    stack = REPO / "scripts" / "stack"
    started = subprocess.run([str(stack), "up"], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise RuntimeError(f"scripts/stack up failed:\n{started.stderr[-4000:]}")
    env = subprocess.run([str(stack), "env"], capture_output=True, text=True, check=True).stdout
    values = dict(
        line.removeprefix("export ").split("=", 1) for line in env.splitlines() if "=" in line
    )
    return Servers(
        values["CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS"],
        values["CUSTOMER_ASYNC_MONGODB_URI"],
        "native stack",
    )


@contextmanager
def provide_servers() -> Iterator[Servers]:
    """Yields servers for the session, starting them when nothing is running yet."""
    from_env = _from_environment()
    if from_env is not None:
        yield from_env
    elif _docker_engine_answers():
        with _from_testcontainers() as servers:
            yield servers
    else:
        yield _from_native_stack()


async def remove_test_data(servers: Servers, name: str) -> None:
    """Deletes the topics whose names start with `name.` and drops the database `name`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=servers.kafka_bootstrap_servers)
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if t.startswith(f"{name}.")]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(servers.mongodb_uri)
    try:
        await client.drop_database(name)
    finally:
        await client.close()
