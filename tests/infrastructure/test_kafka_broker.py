"""The broker under test is a real Kafka that carries records with headers both ways."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.support.servers import Servers

pytestmark = pytest.mark.e2e


async def test_record_with_headers_round_trips_through_the_broker(
    servers: Servers, unique_name: str
) -> None:
    topic = f"{unique_name}.smoke"
    headers = [("X-Correlation-Id", b"c-1"), ("Parameters", b'{"id": "42", "fields": "a,b"}')]
    producer = AIOKafkaProducer(
        bootstrap_servers=servers.kafka_bootstrap_servers, acks="all", enable_idempotence=True
    )
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=servers.kafka_bootstrap_servers,
        group_id=f"{unique_name}-g",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    try:
        value = uuid.uuid4().hex.encode()
        await producer.send_and_wait(topic, value, key=b"k1", headers=headers)
        record = await consumer.getone()
    finally:
        await consumer.stop()
        await producer.stop()
    assert record.value == value
    assert record.key == b"k1"
    assert list(record.headers) == headers
