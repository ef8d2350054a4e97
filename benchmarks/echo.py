"""The Kafka echo ceiling: the least a request/reply service over Kafka can do, run as a child.

It has the service's Kafka shape and nothing else: a consumer-group member reading the request
topic by batches, an idempotent `acks=all` producer answering each record on the reply topic
with the same correlation header and value, and offsets committed after each batch's replies
are acknowledged. Nothing is decoded, validated or stored, so no service can answer faster.

`python -m benchmarks.echo --bootstrap-servers … --request-topic … --reply-topic … --group-id …`
serves until SIGTERM or SIGINT, or until `--max-seconds` pass.
"""

from __future__ import annotations

import asyncio
from functools import partial

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from harness.children import serve_until_signalled

_OK = (("Status-Code", b"200"),)


async def serve_echo(
    bootstrap_servers: str,
    request_topic: str,
    reply_topic: str,
    group_id: str,
    stop: asyncio.Event,
) -> None:
    """Answer every request on `request_topic` until `stop` is set."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=f"{group_id}-producer",
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
    )
    consumer = AIOKafkaConsumer(
        request_topic,
        bootstrap_servers=bootstrap_servers,
        client_id=f"{group_id}-consumer",
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    channel = ("X-Request-Channel", request_topic.encode())
    await producer.start()
    try:
        await consumer.start()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=500)
                acks = []
                for records in batch.values():
                    for record in records:
                        correlation = [(k, v) for k, v in record.headers if k == "X-Correlation-Id"]
                        headers = [*correlation, *_OK, channel]
                        acks.append(
                            await producer.send(
                                reply_topic, record.value, key=record.key, headers=headers
                            )
                        )
                await asyncio.gather(*acks)
                offsets: dict[TopicPartition, int] = {
                    tp: records[-1].offset + 1 for tp, records in batch.items() if records
                }
                if offsets:
                    await consumer.commit(offsets)
        finally:
            await consumer.stop()
    finally:
        await producer.stop()


@click.command()
@click.option("--bootstrap-servers", required=True)
@click.option("--request-topic", required=True)
@click.option("--reply-topic", required=True)
@click.option("--group-id", required=True)
@click.option("--max-seconds", type=click.FloatRange(min=1), default=600.0, show_default=True)
def main(
    bootstrap_servers: str, request_topic: str, reply_topic: str, group_id: str, max_seconds: float
) -> None:
    """Run the echo service (a benchmark ceiling) until signalled or `--max-seconds` pass."""
    serve_until_signalled(
        partial(serve_echo, bootstrap_servers, request_topic, reply_topic, group_id), max_seconds
    )


if __name__ == "__main__":
    main()
