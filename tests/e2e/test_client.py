"""`CustomerClient` end to end: the real broker, the real store and the service in this loop."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiokafka
import pytest

from customer_async.client import (
    JSON_PATCH_QUERY,
    BadRequest,
    Conflict,
    CustomerClient,
    CustomerClientError,
    CustomerEvent,
    EventStream,
    MalformedReply,
    NotFound,
    ReplyTimeout,
    RequestRefused,
    UnsupportedMediaType,
    transport,
)
from customer_async.service import CustomerService
from customer_async.settings import Settings

pytestmark = pytest.mark.e2e


def moon(**extra: Any) -> dict[str, Any]:
    """A valid customer to create."""
    return {
        "name": "Moon Football Club",
        "engagedParty": {"id": "500", "name": "Happy Travellers", "@referredType": "Organization"},
        **extra,
    }


@pytest.fixture
async def client(settings: Settings, service: CustomerService) -> AsyncIterator[CustomerClient]:
    """A started client of the running service."""
    del service  # requested for its side effect: the service is running
    async with CustomerClient.from_settings(settings, timeout=30) as started:
        yield started


@pytest.fixture
async def unanswered(settings: Settings) -> AsyncIterator[CustomerClient]:
    """A started client of a prefix no service serves (its topics go with the test's)."""
    async with CustomerClient(
        settings.kafka_bootstrap_servers, f"{settings.topic_prefix}.nobody", timeout=30
    ) as started:
        yield started


async def next_events(stream: EventStream, count: int, timeout: float = 30) -> list[CustomerEvent]:
    """The next `count` events of a stream."""
    async with asyncio.timeout(timeout):
        return [await anext(stream) for _ in range(count)]


async def test_create_then_retrieve_returns_the_stored_customer(client: CustomerClient) -> None:
    created = await client.create(moon())
    assert created["name"] == "Moon Football Club"
    assert created["status"] == "Created"
    assert created["href"].endswith(f"/customer/{created['id']}")

    assert await client.retrieve(created["id"]) == created
    assert await client.retrieve(created["id"], fields=["name", "status"]) == {
        "id": created["id"],
        "href": created["href"],
        "@type": "Customer",
        "name": "Moon Football Club",
        "status": "Created",
    }


async def test_patch_in_each_format_chosen_by_content_type(client: CustomerClient) -> None:
    paris = {"@type": "GeographicAddressContactMedium", "city": "Paris", "preferred": False}
    phone = {"@type": "PhoneContactMedium", "phoneNumber": "01 09 75 83 51", "preferred": True}
    customer_id = (await client.create(moon(contactMedium=[phone, paris])))["id"]

    merged = await client.patch(customer_id, {"status": "Approved", "description": "VIP"})
    assert (merged["status"], merged["description"]) == ("Approved", "VIP")

    # A list is a JSON Patch by default.
    replaced = await client.patch(
        customer_id,
        [
            {"op": "test", "path": "/name", "value": "Moon Football Club"},
            {"op": "replace", "path": "/name", "value": "Sun Football Club"},
        ],
    )
    assert replaced["name"] == "Sun Football Club"

    queried = await client.patch(
        customer_id,
        [{"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": True}],
        content_type=JSON_PATCH_QUERY,
        fields="contactMedium",
    )
    assert [medium["preferred"] for medium in queried["contactMedium"]] == [True, True]
    assert "name" not in queried


async def test_delete_removes_the_customer(client: CustomerClient) -> None:
    customer_id = (await client.create(moon()))["id"]
    await client.delete(customer_id)
    with pytest.raises(NotFound):
        await client.retrieve(customer_id)


async def test_list_filters_selects_sorts_and_pages(client: CustomerClient) -> None:
    party = uuid.uuid4().hex
    for name in ("Alpha", "Bravo", "Charlie"):
        await client.create({"name": name, "engagedParty": {"id": party}})
    await client.create({"name": "Other", "engagedParty": {"id": "elsewhere"}})

    first = await client.list({"engagedParty.id": party}, fields="name", sort="-name", limit=2)
    assert [customer["name"] for customer in first.items] == ["Charlie", "Bravo"]
    assert set(first.items[0]) == {"id", "href", "@type", "name"}
    assert (first.total_count, first.result_count, first.offset) == (3, 2, 0)
    assert not first.is_last

    rest = await client.list(
        {"engagedParty.id": party}, fields="name", sort="-name", offset=2, limit=2
    )
    assert [customer["name"] for customer in rest.items] == ["Alpha"]
    assert rest.is_last

    either = await client.list({"name": ["Alpha", "Other"]}, sort="name")
    assert [customer["name"] for customer in either.items] == ["Alpha", "Other"]


async def test_pages_and_customers_iterate_over_every_page(client: CustomerClient) -> None:
    party = uuid.uuid4().hex
    created = {
        (await client.create({"name": f"Club {n}", "engagedParty": {"id": party}}))["id"]
        for n in range(7)
    }
    pages = [page async for page in client.pages({"engagedParty.id": party}, limit=3, sort="name")]
    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert [page.offset for page in pages] == [0, 3, 6]
    names = [customer["name"] for page in pages for customer in page.items]
    assert names == [f"Club {n}" for n in range(7)]

    every = [
        customer["id"] async for customer in client.customers({"engagedParty.id": party}, limit=2)
    ]
    assert len(every) == 7
    assert set(every) == created


async def test_not_found_carries_status_code_reason_message_and_correlation_id(
    client: CustomerClient,
) -> None:
    with pytest.raises(NotFound) as raised:
        await client.retrieve("no-such-customer", correlation_id="lookup-1")
    error = raised.value
    assert error.status == 404
    assert error.code
    assert error.reason
    assert "no-such-customer" in error.message
    assert error.correlation_id == "lookup-1"
    assert error.error["@type"] == "Error"
    assert isinstance(error, RequestRefused)
    assert isinstance(error, CustomerClientError)


async def test_each_refusal_raises_its_own_class(client: CustomerClient) -> None:
    with pytest.raises(BadRequest) as missing:
        await client.create({"name": "No party"})
    assert missing.value.status == 400
    assert "engagedParty" in missing.value.message

    with pytest.raises(BadRequest) as unknown:
        await client.list({"nosuchattribute": "1"})
    assert "nosuchattribute" in unknown.value.message

    customer_id = (await client.create(moon()))["id"]
    with pytest.raises(Conflict) as failed_test:
        await client.patch(customer_id, [{"op": "test", "path": "/name", "value": "Someone"}])
    assert failed_test.value.status == 409

    with pytest.raises(UnsupportedMediaType) as unsupported:
        await client.patch(customer_id, {"name": "x"}, content_type="text/plain")
    assert unsupported.value.status == 415
    assert (await client.retrieve(customer_id))["name"] == "Moon Football Club"


async def test_no_reply_raises_a_timeout_naming_the_correlation_id(
    unanswered: CustomerClient,
) -> None:
    started = time.perf_counter()
    with pytest.raises(ReplyTimeout) as raised:
        await unanswered.retrieve("42", timeout=1)
    assert 1 <= time.perf_counter() - started < 10
    assert raised.value.correlation_id in str(raised.value)
    assert raised.value.retriable

    with pytest.raises(ReplyTimeout, match="retry with correlation id resend-me"):
        await unanswered.delete("42", timeout=0.5, correlation_id="resend-me")
    assert unanswered.in_flight == 0


async def test_a_resend_with_the_same_correlation_id_gets_the_first_reply(
    client: CustomerClient,
) -> None:
    correlation_id = f"create-{uuid.uuid4()}"
    name = f"Resent {correlation_id}"
    with pytest.raises(ReplyTimeout) as raised:
        await client.create(moon(name=name), timeout=0.001, correlation_id=correlation_id)
    first = await client.create(moon(name=name), correlation_id=raised.value.correlation_id)
    again = await client.create(moon(name=name), correlation_id=correlation_id)
    assert again == first
    assert (await client.list({"name": name})).total_count == 1


async def test_a_reply_off_contract_fails_only_its_own_call(
    unanswered: CustomerClient, settings: Settings
) -> None:
    producer = aiokafka.AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        broken = asyncio.create_task(unanswered.retrieve("1", correlation_id="broken"))
        fine = asyncio.create_task(unanswered.retrieve("1", correlation_id="fine"))
        async with asyncio.timeout(30):
            while unanswered.in_flight < 2:  # noqa: ASYNC110 - a count, not an event, to wait on
                await asyncio.sleep(0.01)
        await producer.send_and_wait(
            unanswered.reply_topic, b"{}", headers=[("X-Correlation-Id", b"broken")]
        )
        await producer.send_and_wait(
            unanswered.reply_topic,
            b'{"id": "1", "href": "h", "@type": "Customer"}',
            headers=[("X-Correlation-Id", b"fine"), ("Status-Code", b"200")],
        )
        with pytest.raises(MalformedReply, match="Status-Code"):
            await broken
        assert await fine == {"id": "1", "href": "h", "@type": "Customer"}
    finally:
        await producer.stop()


async def test_events_filter_by_type_and_customer_and_resume_with_a_group(
    client: CustomerClient,
) -> None:
    watched = (await client.create(moon()))["id"]
    other = (await client.create(moon(name="Other club")))["id"]

    async with client.events(["stateChange", "delete"], customer_id=watched) as stream:
        await client.patch(other, {"status": "Approved"})
        await client.patch(watched, {"status": "Approved"})
        await client.delete(other)
        await client.delete(watched)
        seen = await next_events(stream, 2)
    assert [(e.event_type, e.customer_id) for e in seen] == [
        ("CustomerStateChangeEvent", watched),
        ("CustomerDeleteEvent", watched),
    ]
    assert seen[0].customer["status"] == "Approved"
    assert seen[0].correlation_id
    assert seen[0].event_id != seen[1].event_id

    # From the beginning up to the end as it was on entering: all of the customer's events.
    history = client.events(customer_id=watched, from_beginning=True, until_end=True)
    async with history:
        kinds = [event.event_type async for event in history]
    assert kinds == ["CustomerCreateEvent", "CustomerStateChangeEvent", "CustomerDeleteEvent"]

    # A group commits what it yielded, so the next reader of that group resumes after it.
    group = f"{client.topics.prefix}-readers"
    for expected in (3, 0):
        stream = client.events(
            customer_id=watched, group_id=group, from_beginning=True, until_end=True
        )
        async with stream:
            assert len([event async for event in stream]) == expected


async def test_a_thousand_concurrent_retrieves_share_one_consumer(
    client: CustomerClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_ids = [(await client.create(moon(name=f"Club {n}")))["id"] for n in range(10)]

    consumers: list[object] = []

    class CountedConsumer(aiokafka.AIOKafkaConsumer):  # type: ignore[misc]  # no hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            consumers.append(self)

    monkeypatch.setattr(transport, "AIOKafkaConsumer", CountedConsumer)
    async with CustomerClient.from_settings(settings, timeout=240) as many:
        wanted = [customer_ids[n % len(customer_ids)] for n in range(1000)]
        started = time.perf_counter()
        results = await asyncio.gather(*(many.retrieve(customer_id) for customer_id in wanted))
        elapsed = time.perf_counter() - started
        assert many.in_flight == 0
    print(f"1,000 concurrent retrieves: {elapsed:.2f} s")
    assert [customer["id"] for customer in results] == wanted
    assert len(consumers) == 1
