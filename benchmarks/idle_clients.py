"""The memory baseline: an idle Python process holding the clients the service holds.

It imports aiokafka and pymongo, starts a producer and a consumer-group member (which polls
once), pings the store, prints `ready` and then does nothing until a SIGTERM/SIGINT arrives or
`--max-seconds` pass. Its peak RSS is the least any Python service
on these clients could use; the parent reads it from /proc (see memory.py).

`python -m benchmarks.idle_clients --bootstrap-servers … --mongodb-uri … --topic … --group-id …`
"""

from __future__ import annotations

import asyncio
from functools import partial

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient

from harness.children import serve_until_signalled

READY = "ready"


async def hold_clients(
    bootstrap_servers: str, mongodb_uri: str, topic: str, group_id: str, stop: asyncio.Event
) -> None:
    """Start the clients, announce `READY` on stdout, and hold them until `stop` is set."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True
    )
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    store: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongodb_uri, serverSelectionTimeoutMS=10_000
    )
    await producer.start()
    try:
        await consumer.start()
        try:
            await consumer.getmany(timeout_ms=1000)
            await store.admin.command("ping")
            print(READY, flush=True)
            await stop.wait()
        finally:
            await consumer.stop()
    finally:
        await producer.stop()
        await store.close()


@click.command()
@click.option("--bootstrap-servers", required=True)
@click.option("--mongodb-uri", required=True)
@click.option("--topic", required=True)
@click.option("--group-id", required=True)
@click.option("--max-seconds", type=click.FloatRange(min=1), default=120.0, show_default=True)
def main(
    bootstrap_servers: str, mongodb_uri: str, topic: str, group_id: str, max_seconds: float
) -> None:
    """Hold idle Kafka and MongoDB clients (the benchmark's memory baseline)."""
    serve_until_signalled(
        partial(hold_clients, bootstrap_servers, mongodb_uri, topic, group_id), max_seconds
    )


if __name__ == "__main__":
    main()
