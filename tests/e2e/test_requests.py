"""The contract's Request section end to end: headers, channels, parameters, bad input."""
# Raw records: the request headers and bytes CustomerClient never sends are what is under test.

from __future__ import annotations

import json
import uuid

import pytest

from customer_async.service import CustomerService
from customer_async.settings import Settings
from customer_async.types import Operation
from tests.e2e.conftest import StartService
from tests.support.client import ServiceClient
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e


async def test_reply_echoes_correlation_id_and_request_channel(
    client: ServiceClient, settings: Settings
) -> None:
    correlation_id = f"4226B739-{uuid.uuid4()}"
    await client.send(Operation.RETRIEVE, parameters={"id": "x"}, correlation_id=correlation_id)
    reply = await client.reply(correlation_id)
    assert reply.headers["X-Correlation-Id"] == correlation_id
    assert reply.headers["X-Request-Channel"] == settings.request_topic(Operation.RETRIEVE)
    assert reply.headers["Status-Code"] == "404"


async def test_missing_correlation_id_gets_a_generated_one(
    client: ServiceClient, settings: Settings
) -> None:
    marker = f"no-correlation-{uuid.uuid4()}"
    await client.send(Operation.CREATE, create_request(name=marker), correlation_id=None)
    topic = settings.reply_topic(Operation.CREATE)

    def replies() -> list[object]:
        return [r for r in client.replies_on(topic) if r.body.get("name") == marker]

    await client.wait_for(lambda: bool(replies()))
    reply = client.replies_on(topic)[-1]
    generated = reply.headers["X-Correlation-Id"]
    assert str(uuid.UUID(generated)) == generated
    assert reply.status == 201


async def test_reply_goes_to_an_allowed_custom_channel(
    client: ServiceClient, settings: Settings
) -> None:
    channel = f"{settings.topic_prefix}.myApp.commandReply"
    await client.create_topic(channel)
    reply = await client.call(Operation.RETRIEVE, parameters={"id": "x"}, reply_channel=channel)
    assert reply.topic == channel
    assert reply.status == 404


@pytest.mark.parametrize(
    "channel",
    [
        "somewhere.else",
        "{prefix}.customerManagement.v5.createCustomer.commandRequest",
        "{prefix}.customerManagement.v5.customer.notificationEvent",
    ],
)
async def test_refused_reply_channel_gets_403_on_the_default_topic(
    client: ServiceClient, settings: Settings, channel: str
) -> None:
    reply = await client.call(
        Operation.CREATE,
        create_request(),
        reply_channel=channel.format(prefix=settings.topic_prefix),
    )
    assert reply.status == 403
    assert reply.topic == settings.reply_topic(Operation.CREATE)
    assert reply.body["@type"] == "Error"


async def test_value_that_is_not_json_is_400(client: ServiceClient) -> None:
    reply = await client.call(Operation.CREATE, raw_value=b"{not json")
    assert reply.status == 400
    assert reply.body["code"] == "INVALID_JSON"


async def test_parameters_header_that_is_not_json_is_400(client: ServiceClient) -> None:
    reply = await client.call(
        Operation.RETRIEVE, raw_headers=[("Parameters", b"id=42")], raw_value=b""
    )
    assert reply.status == 400


async def test_too_large_value_is_413(start_service: StartService, settings: Settings) -> None:
    await start_service(max_request_bytes=2048)
    client = ServiceClient(settings)
    await client.start()
    try:
        big = create_request(description="x" * 4096)
        reply = await client.call(Operation.CREATE, big)
        # Far larger than the consumer's fetch size (the request limit plus some headroom):
        # the broker hands it over whole, so it is answered and nothing after it is stuck.
        huge = await client.call(Operation.CREATE, create_request(description="x" * 300_000))
        small = await client.call(Operation.CREATE, create_request())
    finally:
        await client.stop()
    assert reply.status == 413
    assert huge.status == 413
    assert small.status == 201


async def test_create_without_mandatory_attributes_is_400(client: ServiceClient) -> None:
    for missing in ("name", "engagedParty"):
        payload = create_request()
        del payload[missing]
        reply = await client.call(Operation.CREATE, payload)
        assert reply.status == 400
        assert missing in reply.body["message"]


async def test_schema_violation_names_the_json_path(client: ServiceClient) -> None:
    payload = create_request()
    payload["contactMedium"][0]["preferred"] = "yes"
    reply = await client.call(Operation.CREATE, payload)
    assert reply.status == 400
    assert "contactMedium[0].preferred" in reply.body["message"]


@pytest.mark.parametrize("name", ["$where", "_version", "a.b"])
async def test_reserved_attribute_names_are_400(client: ServiceClient, name: str) -> None:
    reply = await client.call(Operation.CREATE, create_request(**{name: 1}))
    assert reply.status == 400
    assert name in reply.body["message"]


async def test_extension_attributes_and_subclass_type_are_kept(client: ServiceClient) -> None:
    payload = create_request(**{"@type": "VipCustomer", "@baseType": "Customer", "loyalty": 7})
    created = await client.call(Operation.CREATE, payload)
    assert created.status == 201
    fetched = await client.call(Operation.RETRIEVE, parameters={"id": created.body["id"]})
    assert fetched.body["@type"] == "VipCustomer"
    assert fetched.body["@baseType"] == "Customer"
    assert fetched.body["loyalty"] == 7


async def test_poison_record_is_answered_and_the_next_one_served(
    client: ServiceClient, service: CustomerService
) -> None:
    del service
    poison = await client.send(
        Operation.PATCH,
        raw_value=b"\xff\xfe\x00garbage",
        raw_headers=[("Parameters", b"\xff{")],
        key="same-key",
    )
    good = await client.send(Operation.CREATE, create_request(), key="same-key")
    assert poison is not None
    assert good is not None
    assert (await client.reply(poison)).status == 400
    assert (await client.reply(good)).status == 201


async def test_list_reads_parameters_from_the_payload(client: ServiceClient) -> None:
    created = await client.call(Operation.CREATE, create_request(name="Payload Params"))
    reply = await client.call(
        Operation.LIST, raw_value=json.dumps({"name": "Payload Params"}).encode()
    )
    assert [c["id"] for c in reply.body] == [created.body["id"]]


async def test_deeply_nested_value_is_400_and_the_service_keeps_serving(
    client: ServiceClient,
) -> None:
    deep = await client.call(Operation.CREATE, raw_value=b"[" * 50_000 + b"]" * 50_000)
    assert deep.status == 400
    assert "nested deeper" in deep.body["message"]
    assert (await client.call(Operation.CREATE, create_request())).status == 201
