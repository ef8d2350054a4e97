"""A real Spring for Apache Kafka client talks to the service (CONTRACT.md, Request).

tests/interop/spring is a plain spring-kafka program: a `ReplyingKafkaTemplate` with its default
settings sends `kafka_replyTopic` and a binary `kafka_correlationId` (a UUID's 16 bytes) and no
header of ours but `Parameters`. It prints a reply only when its own template matched the reply to
the request, so a printed reply proves Spring's correlation worked. A raw consumer on Spring's
reply topic then checks the bytes on the wire.
"""
# Raw records: Spring's own headers (kafka_replyTopic, binary kafka_correlationId), not ours.

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from customer_async.client import CustomerClient
from customer_async.service import CustomerService
from customer_async.settings import Settings
from customer_async.types import Operation
from tests.support.spring_client import SpringBuildError, SpringClient, build_spring_client

pytestmark = pytest.mark.e2e

CUSTOMER = {
    "name": "Spring Football Club",
    "engagedParty": {"id": "700", "name": "Spring Travellers", "@referredType": "Organization"},
    "contactMedium": [
        {"@type": "EmailContactMedium", "emailAddress": "club@example.org", "preferred": True}
    ],
}


@pytest.fixture(scope="session")
def spring_client() -> SpringClient:
    """The Spring client, built once a session (and only when its sources changed)."""
    started = time.perf_counter()
    try:
        client = build_spring_client()
    except SpringBuildError as exc:
        pytest.fail(str(exc), pytrace=False)
    print(f"Spring client ready in {time.perf_counter() - started:.1f} s: {client.build}")
    return client


def spring_reply_topic(settings: Settings) -> str:
    """The reply topic the Spring client listens on (the allow-list wants `.commandReply`)."""
    return f"{settings.topic_prefix}.spring.commandReply"


async def spring(spring_client: SpringClient, settings: Settings, *command: str) -> dict[str, Any]:
    """Runs one Spring command to a reply and returns the reply as the client printed it."""
    started = time.perf_counter()
    run = await spring_client.run(settings.kafka_bootstrap_servers, settings.topic_prefix, *command)
    print(f"spring {command[0]}: {time.perf_counter() - started:.1f} s")
    return run.reply


def correlation_text(raw: bytes) -> str:
    """How the service names a Spring correlation: its UTF-8 text when printable, else hex."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.hex()
    return text if text.isprintable() else raw.hex()


def check_spring_reply(
    reply: dict[str, Any], settings: Settings, operation: Operation, status: str, key: str
) -> Any:
    """Asserts what Spring's template received; returns the reply's JSON value."""
    assert reply["status"] == status, reply
    assert reply["requestTopic"] == settings.request_topic(operation)
    assert reply["replyTopicSent"] == spring_reply_topic(settings)  # Spring's own default
    assert reply["replyTopic"] == spring_reply_topic(settings)
    # Spring's default correlation: a UUID's 16 bytes, matched by the template itself.
    sent = bytes.fromhex(reply["correlationSent"])
    assert len(sent) == 16
    assert reply["correlationReceived"] == reply["correlationSent"]
    assert reply["correlationMatched"] is True
    assert reply["key"] == key
    headers = reply["headers"]
    assert headers["Status-Code"] == status
    assert headers["X-Request-Channel"] == settings.request_topic(operation)
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Correlation-Id"] == correlation_text(sent)
    return json.loads(reply["value"])


async def check_wire(settings: Settings, replies: list[dict[str, Any]]) -> None:
    """Each reply on Spring's topic carries exactly the bytes Spring sent, and X-Correlation-Id."""
    consumer = AIOKafkaConsumer(
        spring_reply_topic(settings),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = time.monotonic() + 30
        while len(records) < len(replies) and time.monotonic() < deadline:
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    assert len(records) == len(replies), records
    for record, reply in zip(records, replies, strict=True):
        names = [name for name, _ in record.headers]
        assert names.count("kafka_correlationId") == 1, names
        assert names.count("X-Correlation-Id") == 1, names
        headers = dict(record.headers)
        sent = bytes.fromhex(reply["correlationSent"])
        assert headers["kafka_correlationId"] == sent
        assert headers["X-Correlation-Id"] == correlation_text(sent).encode()
        assert headers["Status-Code"] == reply["status"].encode()
        assert record.key == reply["key"].encode()
        assert record.value == reply["value"].encode()


async def test_spring_replying_template_creates_then_retrieves(
    settings: Settings, service: CustomerService, spring_client: SpringClient, tmp_path: Path
) -> None:
    del service  # requested for its side effect: the service is running on the test's prefix
    payload = tmp_path / "customer.json"
    payload.write_text(json.dumps(CUSTOMER))

    created_reply = await spring(spring_client, settings, "create", str(payload))
    assert created_reply["status"] == "201", json.dumps(created_reply)
    customer_id = created_reply["key"]
    created = check_spring_reply(created_reply, settings, Operation.CREATE, "201", customer_id)
    assert created == {
        **CUSTOMER,
        "id": customer_id,
        "href": settings.customer_href(customer_id),
        "@type": "Customer",
        "status": "Created",
        "topicRef": settings.topic_ref,
    }

    retrieved_reply = await spring(spring_client, settings, "retrieve", customer_id)
    retrieved = check_spring_reply(
        retrieved_reply, settings, Operation.RETRIEVE, "200", customer_id
    )
    assert retrieved == created
    assert created_reply["correlationSent"] != retrieved_reply["correlationSent"]

    await check_wire(settings, [created_reply, retrieved_reply])


async def test_spring_replying_template_retrieves(
    settings: Settings, service: CustomerService, spring_client: SpringClient
) -> None:
    """The read path alone: a customer created by the project's client, retrieved by Spring."""
    del service  # requested for its side effect: the service is running on the test's prefix
    async with CustomerClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        topic_prefix=settings.topic_prefix,
        timeout=30,
    ) as client:
        created = await client.create(CUSTOMER)
    customer_id = created["id"]

    retrieved_reply = await spring(spring_client, settings, "retrieve", customer_id)
    retrieved = check_spring_reply(
        retrieved_reply, settings, Operation.RETRIEVE, "200", customer_id
    )
    assert retrieved == created

    await check_wire(settings, [retrieved_reply])


async def test_spring_client_reports_a_timeout_when_no_service_answers(
    settings: Settings, spring_client: SpringClient
) -> None:
    # No service on this prefix: the request waits on its topic and Spring's template times out.
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        topic = settings.request_topic(Operation.RETRIEVE)
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    run = await spring_client.run(
        settings.kafka_bootstrap_servers,
        settings.topic_prefix,
        "retrieve",
        "nobody-answers",
        reply_timeout=3.0,
    )
    assert run.returncode == 3, run.stderr[-3000:]
    assert "no reply in" in run.stderr
    assert run.stdout == ""
