"""The plain peer: the customer service a Python team would write instead, run as a child.

Create and retrieve only, the obvious way: an aiokafka consumer-group member on the two request
topics (named as the service names them, under the prefix it is given), a task per record,
PyMongo's async `insert_one` / `find_one` on a database of its own, and a reply on the request's
Reply-Channel (else the operation's reply topic) with `X-Correlation-Id` and `Status-Code`; a
create first publishes one CustomerCreateEvent on the notification topic. Its producer is the
service's (idempotent, `acks=all`), so both pay the same for a durable send. Nothing else: no
validation, no deduplication of a redelivered request, no outbox (a crash between the insert and
the sends loses the event and the reply), offsets committed automatically every few seconds.
The benchmark holds the service's create and retrieve rates against this one's
(peer_comparison.py).

`python -m benchmarks.plain_peer --bootstrap-servers … --mongodb-uri … --database …
--topic-prefix … --group-id …` serves until SIGTERM or SIGINT, or until `--max-seconds` pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import click
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from harness.children import serve_until_signalled

log = logging.getLogger(__name__)

Customer = dict[str, Any]

_STOP_GRACE_SECONDS = 10.0
_CREATED = "CustomerCreateEvent"
_HREF_BASE = "http://localhost:8080/tmf-api/customerManagement/v5/customer"


@dataclass(frozen=True, slots=True)
class PeerTopics:
    """The service's topic names under one prefix, for the two operations the peer serves."""

    prefix: str

    def request(self, operation: str) -> str:
        """`{prefix}.customerManagement.v5.{operation}Customer.commandRequest`."""
        return f"{self.prefix}.customerManagement.v5.{operation}Customer.commandRequest"

    def reply(self, operation: str) -> str:
        """The operation's default reply topic."""
        return f"{self.prefix}.customerManagement.v5.{operation}Customer.commandReply"

    @property
    def notification(self) -> str:
        """Where the CustomerCreateEvents go."""
        return f"{self.prefix}.customerManagement.v5.customer.notificationEvent"


class PlainPeer:
    """Handles one record at a time, in a task of its own."""

    def __init__(
        self,
        topics: PeerTopics,
        producer: AIOKafkaProducer,
        customers: AsyncCollection[Customer],
    ) -> None:
        self._topics = topics
        self._producer = producer
        self._customers = customers
        self._operations = {topics.request(op): op for op in ("create", "retrieve")}

    async def handle(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Answer one request: 201/200 with the customer, 404, or 500 when anything failed."""
        headers = {name: (value or b"").decode() for name, value in record.headers}
        operation = self._operations[record.topic]
        try:
            if operation == "create":
                status, body = await self._create(record.value or b"{}", headers)
            else:
                status, body = await self._retrieve(headers)
        except Exception as exc:  # a handler that fails still answers, as any team's would
            log.exception("%s failed", operation)
            status, body = 500, {"code": "500", "reason": "Internal error", "message": str(exc)}
        await self._producer.send_and_wait(
            headers.get("Reply-Channel") or self._topics.reply(operation),
            json.dumps(body).encode(),
            key=record.key,
            headers=[
                ("X-Correlation-Id", headers.get("X-Correlation-Id", "").encode()),
                ("Status-Code", str(status).encode()),
                ("Content-Type", b"application/json"),
            ],
        )

    async def _create(self, value: bytes, headers: dict[str, str]) -> tuple[int, Customer]:
        customer: Customer = json.loads(value)
        customer_id = str(uuid.uuid4())
        customer["id"] = customer_id
        customer["href"] = f"{_HREF_BASE}/{customer_id}"
        customer.setdefault("@type", "Customer")
        await self._customers.insert_one({"_id": customer_id, **customer})
        event = {
            "@type": _CREATED,
            "eventId": str(uuid.uuid4()),
            "eventTime": datetime.now(UTC).isoformat(),
            "eventType": _CREATED,
            "correlationId": headers.get("X-Correlation-Id", ""),
            "event": {"customer": customer},
        }
        await self._producer.send_and_wait(
            self._topics.notification,
            json.dumps(event).encode(),
            key=customer_id.encode(),
            headers=[("eventType", _CREATED.encode())],
        )
        return 201, customer

    async def _retrieve(self, headers: dict[str, str]) -> tuple[int, Customer]:
        customer_id = str(json.loads(headers.get("Parameters") or "{}").get("id", ""))
        customer = await self._customers.find_one({"_id": customer_id}, {"_id": 0})
        if customer is None:
            return 404, {"code": "404", "reason": "Not found", "message": customer_id}
        return 200, customer


@dataclass(frozen=True, slots=True)
class PeerOptions:
    """Where the plain peer serves."""

    bootstrap_servers: str
    mongodb_uri: str
    database: str
    topic_prefix: str
    group_id: str


async def serve_plain_peer(options: PeerOptions, stop: asyncio.Event) -> None:
    """Serve creates and retrieves until `stop` is set."""
    topics = PeerTopics(options.topic_prefix)
    producer = AIOKafkaProducer(
        bootstrap_servers=options.bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=2,
    )
    consumer = AIOKafkaConsumer(
        topics.request("create"),
        topics.request("retrieve"),
        bootstrap_servers=options.bootstrap_servers,
        group_id=options.group_id,
        auto_offset_reset="earliest",
    )
    client: AsyncMongoClient[Customer] = AsyncMongoClient(options.mongodb_uri)
    peer = PlainPeer(topics, producer, client[options.database]["customer"])
    handling: set[asyncio.Task[None]] = set()

    async def consume() -> None:
        async for record in consumer:
            task = asyncio.create_task(peer.handle(record))
            handling.add(task)
            task.add_done_callback(handling.discard)

    await producer.start()
    await consumer.start()
    consuming = asyncio.create_task(consume())
    try:
        await stop.wait()
    finally:
        consuming.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consuming
        if handling:
            await asyncio.wait(handling, timeout=_STOP_GRACE_SECONDS)
        await consumer.stop()
        await producer.stop()
        await client.close()


@click.command()
@click.option("--bootstrap-servers", required=True)
@click.option("--mongodb-uri", required=True)
@click.option("--database", required=True)
@click.option("--topic-prefix", required=True)
@click.option("--group-id", required=True)
@click.option("--max-seconds", type=click.FloatRange(min=1), default=600.0, show_default=True)
def main(
    *,
    bootstrap_servers: str,
    mongodb_uri: str,
    database: str,
    topic_prefix: str,
    group_id: str,
    max_seconds: float,
) -> None:
    """Run the plain peer (the benchmark's comparison) until signalled or `--max-seconds` pass."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    options = PeerOptions(bootstrap_servers, mongodb_uri, database, topic_prefix, group_id)
    serve_until_signalled(partial(serve_plain_peer, options), max_seconds)


if __name__ == "__main__":
    main()
