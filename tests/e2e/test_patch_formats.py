"""The patch formats over real Kafka: exact results, atomicity, and the events each patch emits.

Every patch starts from the seed's customer (`create_request()`): a phone contact medium, then a
Paris GeographicAddressContactMedium. "Changes nothing" is checked twice: the stored customer is
the one created, and the customer's event stream has nothing before a later change's event (see
tests/support/events.py). Through `CustomerClient`, as a caller patches; refusals are its
exceptions, with their status.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from customer_async.client import (
    BadRequest,
    Conflict,
    CustomerClient,
    CustomerEvent,
    RequestRefused,
)
from customer_async.types import Operation
from tests.support.events import events_before_marker, next_events
from tests.support.examples import (
    JSON_PATCH,
    JSON_PATCH_QUERY,
    MERGE_PATCH,
    NEW_ENGAGED_PARTY,
    create_request,
)

pytestmark = pytest.mark.e2e

MERGE = "application/merge-patch+json"
PLAIN = "application/json"
PATCH = "application/json-patch+json"
QUERY = "application/json-patch-query+json"

ATTRIBUTE_VALUE_CHANGE = "CustomerAttributeValueChangeEvent"
STATE_CHANGE = "CustomerStateChangeEvent"

Customer = dict[str, Any]


async def create(client: CustomerClient, **changes: Any) -> Customer:
    return await client.create(create_request(**changes))


async def stored(client: CustomerClient, customer: Customer) -> Customer:
    return await client.retrieve(customer["id"])


def seed_merge_result(created: Customer) -> Customer:
    """The seed's merge patch and JSON Patch: new name, new engaged party."""
    return {**created, "name": "Sun Football Club", "engagedParty": NEW_ENGAGED_PARTY}


def paris_preferred(created: Customer) -> Customer:
    """The seed's JSON Patch Query: the Paris address becomes preferred, the phone unchanged."""
    expected = copy.deepcopy(created)
    phone, paris = expected["contactMedium"]
    assert phone["@type"] == "PhoneContactMedium"
    assert paris["city"] == "Paris"
    paris["preferred"] = True
    return expected


def assert_event(
    event: CustomerEvent, kind: str, correlation_id: str, customer_id: str, customer: Customer
) -> None:
    """`event` is a `kind` event of that request and customer, carrying `customer` (its record
    key and headers are checked raw in test_events.py)."""
    assert event.customer_id == customer_id
    assert event.event_type == kind
    assert event.correlation_id == correlation_id
    body = event.body
    assert body["@type"] == body["eventType"] == kind
    assert body["correlationId"] == correlation_id
    assert body["eventId"]
    assert body["event"] == {"customer": customer}


@pytest.mark.parametrize(
    ("content_type", "payload", "result"),
    [
        pytest.param(PLAIN, MERGE_PATCH, seed_merge_result, id="json-as-merge-patch"),
        pytest.param(MERGE, MERGE_PATCH, seed_merge_result, id="merge-patch"),
        pytest.param(PATCH, JSON_PATCH, seed_merge_result, id="json-patch"),
        pytest.param(QUERY, JSON_PATCH_QUERY, paris_preferred, id="json-patch-query"),
    ],
)
async def test_each_seed_patch_gives_its_result_and_one_attribute_value_change_event(
    customer_client: CustomerClient,
    content_type: str,
    payload: Any,
    result: Callable[[Customer], Customer],
) -> None:
    created = await create(customer_client)
    expected = result(created)
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        # No record key: the reply's key is the service's doing.
        reply = await customer_client.call(
            Operation.PATCH,
            payload=payload,
            parameters={"id": created["id"]},
            content_type=content_type,
            correlation_id=correlation_id,
        )
        assert reply.status == 200, reply.body
        assert reply.body == expected
        assert reply.key == created["id"]
        assert await stored(customer_client, created) == expected
        [event] = await events_before_marker(customer_client, stream, created["id"])
    assert_event(event, ATTRIBUTE_VALUE_CHANGE, correlation_id, created["id"], expected)


async def test_status_change_alone_emits_only_a_state_change_event(
    customer_client: CustomerClient,
) -> None:
    created = await create(customer_client, statusReason="New customer")
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        patched = await customer_client.patch(
            created["id"],
            [{"op": "replace", "path": "/status", "value": "Approved"}],
            content_type=PATCH,
            correlation_id=correlation_id,
        )
        assert patched == {**created, "status": "Approved"}
        [event] = await events_before_marker(customer_client, stream, created["id"])
    assert_event(
        event,
        STATE_CHANGE,
        correlation_id,
        created["id"],
        {
            "@type": "Customer",
            "id": created["id"],
            "href": created["href"],
            "status": "Approved",
            "statusReason": "New customer",
        },
    )


async def test_status_and_another_attribute_emit_both_events(
    customer_client: CustomerClient,
) -> None:
    created = await create(customer_client)
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        patched = await customer_client.patch(
            created["id"],
            {"status": "Validated", "statusReason": "Checked"},
            content_type=MERGE,
            correlation_id=correlation_id,
        )
        expected = {**created, "status": "Validated", "statusReason": "Checked"}
        assert patched == expected
        caused = await events_before_marker(customer_client, stream, created["id"])
    events = {event.event_type: event for event in caused}
    assert len(caused) == 2
    assert sorted(events) == [ATTRIBUTE_VALUE_CHANGE, STATE_CHANGE]
    assert_event(
        events[ATTRIBUTE_VALUE_CHANGE],
        ATTRIBUTE_VALUE_CHANGE,
        correlation_id,
        created["id"],
        expected,
    )
    assert events[STATE_CHANGE].correlation_id == correlation_id
    assert events[STATE_CHANGE].customer == {
        "@type": "Customer",
        "id": created["id"],
        "href": created["href"],
        "status": "Validated",
        "statusReason": "Checked",
    }
    assert events[STATE_CHANGE].event_id != events[ATTRIBUTE_VALUE_CHANGE].event_id


async def test_patch_query_condition_may_name_the_full_dotted_path(
    customer_client: CustomerClient,
) -> None:
    created = await create(customer_client)
    dotted = [
        {
            "op": "replace",
            "path": "/contactMedium/preferred?contactMedium.city=Paris",
            "value": True,
        }
    ]
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        patched = await customer_client.patch(
            created["id"], dotted, content_type=QUERY, correlation_id=correlation_id
        )
        [event] = await next_events(stream, 1)
    assert patched == paris_preferred(created)
    assert_event(event, ATTRIBUTE_VALUE_CHANGE, correlation_id, created["id"], patched)


async def test_patch_query_applies_to_every_element_meeting_all_conditions(
    customer_client: CustomerClient,
) -> None:
    phone, home = create_request()["contactMedium"]
    work = {**home, "contactType": "workAddress", "street1": "1 Rue du Travail"}
    created = await create(customer_client, contactMedium=[phone, home, work])

    both = [{"op": "replace", "path": "/contactMedium/postCode?city=Paris", "value": "75001"}]
    patched = await customer_client.patch(created["id"], both, content_type=QUERY)
    assert patched["contactMedium"] == [
        phone,
        {**home, "postCode": "75001"},
        {**work, "postCode": "75001"},
    ]

    only_work = [
        {
            "op": "replace",
            "path": "/contactMedium/preferred?city=Paris&contactType=workAddress",
            "value": True,
        }
    ]
    patched = await customer_client.patch(created["id"], only_work, content_type=QUERY)
    assert patched["contactMedium"] == [
        phone,
        {**home, "postCode": "75001"},
        {**work, "postCode": "75001", "preferred": True},
    ]
    assert (await stored(customer_client, created))["contactMedium"] == patched["contactMedium"]


async def test_patch_query_matching_no_element_is_400_and_changes_nothing(
    customer_client: CustomerClient,
) -> None:
    created = await create(customer_client)
    async with customer_client.events(customer_id=created["id"]) as stream:
        for path in (
            "/contactMedium/preferred?city=Lyon",
            "/contactMedium/preferred?city=Paris&contactType=homePhone",
            "/contactMedium/preferred?city=paris",
            "/contactMedium/preferred?nosuch=Paris",
        ):
            with pytest.raises(BadRequest) as raised:
                await customer_client.patch(
                    created["id"],
                    [{"op": "replace", "path": path, "value": True}],
                    content_type=QUERY,
                )
            assert raised.value.status == 400, path
            assert raised.value.error["@type"] == "Error"
            assert "no element" in raised.value.message, raised.value.error
        assert await stored(customer_client, created) == created
        assert await events_before_marker(customer_client, stream, created["id"]) == []


async def test_merge_patch_null_removes_the_attribute(customer_client: CustomerClient) -> None:
    created = await create(customer_client, statusReason="New customer")
    correlation_id = str(uuid.uuid4())
    async with customer_client.events(customer_id=created["id"]) as stream:
        patched = await customer_client.patch(
            created["id"],
            {"relatedParty": None, "statusReason": None},
            content_type=MERGE,
            correlation_id=correlation_id,
        )
        [event] = await next_events(stream, 1)
    expected = {k: v for k, v in created.items() if k not in ("relatedParty", "statusReason")}
    assert patched == expected
    assert await stored(customer_client, created) == expected
    assert_event(event, ATTRIBUTE_VALUE_CHANGE, correlation_id, created["id"], expected)


async def test_patch_whose_result_violates_the_schema_is_400_and_changes_nothing(
    customer_client: CustomerClient,
) -> None:
    created = await create(customer_client)
    async with customer_client.events(customer_id=created["id"]) as stream:
        for payload, content_type, named in (
            ({"creditProfile": [{"creditScore": "high"}]}, MERGE, "creditScore"),
            ({"validFor": {"startDateTime": "tomorrow"}}, PLAIN, "startDateTime"),
            ({"contactMedium": "Paris"}, MERGE, "contactMedium"),
            (
                [{"op": "add", "path": "/contactMedium/0/preferred", "value": "yes"}],
                PATCH,
                "preferred",
            ),
            (
                [{"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": 1}],
                QUERY,
                "preferred",
            ),
        ):
            with pytest.raises(BadRequest) as raised:
                await customer_client.patch(created["id"], payload, content_type=content_type)
            assert raised.value.status == 400, payload
            assert named in raised.value.message, raised.value.error
        assert await stored(customer_client, created) == created
        assert await events_before_marker(customer_client, stream, created["id"]) == []


async def test_json_patch_applies_nothing_when_a_later_operation_fails(
    customer_client: CustomerClient,
) -> None:
    created = await create(customer_client)
    rename = {"op": "replace", "path": "/name", "value": "Renamed"}
    refusals: tuple[tuple[list[dict[str, Any]], str, type[RequestRefused], int], ...] = (
        ([rename, {"op": "remove", "path": "/nosuch"}], PATCH, BadRequest, 400),
        ([rename, {"op": "test", "path": "/status", "value": "Closed"}], PATCH, Conflict, 409),
        (
            [rename, {"op": "replace", "path": "/contactMedium/5/preferred", "value": True}],
            PATCH,
            BadRequest,
            400,
        ),
        ([rename, {"op": "launch", "path": "/name"}], PATCH, BadRequest, 400),
        (
            [
                rename,
                {"op": "replace", "path": "/contactMedium/preferred?city=Lyon", "value": True},
            ],
            QUERY,
            BadRequest,
            400,
        ),
    )
    async with customer_client.events(customer_id=created["id"]) as stream:
        for payload, content_type, refusal, status in refusals:
            with pytest.raises(refusal) as raised:
                await customer_client.patch(created["id"], payload, content_type=content_type)
            assert raised.value.status == status, payload
        assert await stored(customer_client, created) == created
        assert await events_before_marker(customer_client, stream, created["id"]) == []


async def test_no_op_patch_replies_200_with_the_customer_and_emits_no_event(
    customer_client: CustomerClient,
) -> None:
    created = await create(customer_client)
    no_ops: tuple[tuple[Any, str], ...] = (
        ({"name": created["name"]}, MERGE),
        ({}, PLAIN),
        ({"@type": "Customer", "id": created["id"]}, MERGE),
        ([{"op": "replace", "path": "/name", "value": created["name"]}], PATCH),
        ([{"op": "test", "path": "/status", "value": "Created"}], PATCH),
        ([], PATCH),
        ([{"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": False}], QUERY),
    )
    async with customer_client.events(customer_id=created["id"]) as stream:
        for payload, content_type in no_ops:
            patched = await customer_client.patch(created["id"], payload, content_type=content_type)
            assert patched == created, payload
        assert await stored(customer_client, created) == created
        assert await events_before_marker(customer_client, stream, created["id"]) == []
