"""The patch formats over real Kafka: exact results, atomicity, and the events each patch emits.

Every patch starts from the seed's customer (`create_request()`): a phone contact medium, then a
Paris GeographicAddressContactMedium. "Changes nothing" is checked twice: the stored customer is
the one created, and no event carries the request's correlation id (see tests/support/events.py).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from customer_async.types import Operation
from tests.support.client import Received, ServiceClient
from tests.support.events import await_earlier_events, caused_by
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


async def create(client: ServiceClient, **changes: Any) -> Customer:
    reply = await client.call(Operation.CREATE, create_request(**changes))
    assert reply.status == 201, reply.body
    customer: Customer = reply.body
    return customer


async def patch(
    client: ServiceClient, customer: Customer, payload: Any, content_type: str
) -> tuple[str, Received]:
    """Sends a patch of `customer`; its correlation id and reply."""
    correlation_id = await client.send(
        Operation.PATCH, payload, parameters={"id": customer["id"]}, content_type=content_type
    )
    assert correlation_id is not None
    return correlation_id, await client.reply(correlation_id)


async def stored(client: ServiceClient, customer: Customer) -> Customer:
    reply = await client.call(Operation.RETRIEVE, parameters={"id": customer["id"]})
    assert reply.status == 200, reply.body
    found: Customer = reply.body
    return found


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
    event: Received, kind: str, correlation_id: str, customer_id: str, customer: Customer
) -> None:
    """`event` is a `kind` event of that request and customer, carrying `customer`."""
    assert event.key == customer_id
    assert event.headers["eventType"] == kind
    assert event.headers["Content-Type"] == "application/json"
    assert event.headers["X-Correlation-Id"] == correlation_id
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
    client: ServiceClient,
    content_type: str,
    payload: Any,
    result: Callable[[Customer], Customer],
) -> None:
    created = await create(client)
    expected = result(created)
    correlation_id, reply = await patch(client, created, payload, content_type)
    assert reply.status == 200, reply.body
    assert reply.body == expected
    assert reply.key == created["id"]
    assert await stored(client, created) == expected
    [event] = await client.events_for(correlation_id, 1)
    assert_event(event, ATTRIBUTE_VALUE_CHANGE, correlation_id, created["id"], expected)
    await await_earlier_events(client, created["id"])
    assert len(caused_by(client, correlation_id)) == 1


async def test_status_change_alone_emits_only_a_state_change_event(client: ServiceClient) -> None:
    created = await create(client, statusReason="New customer")
    correlation_id, reply = await patch(
        client, created, [{"op": "replace", "path": "/status", "value": "Approved"}], PATCH
    )
    assert reply.status == 200, reply.body
    assert reply.body == {**created, "status": "Approved"}
    await await_earlier_events(client, created["id"])
    [event] = caused_by(client, correlation_id)
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


async def test_status_and_another_attribute_emit_both_events(client: ServiceClient) -> None:
    created = await create(client)
    correlation_id, reply = await patch(
        client, created, {"status": "Validated", "statusReason": "Checked"}, MERGE
    )
    assert reply.status == 200, reply.body
    expected = {**created, "status": "Validated", "statusReason": "Checked"}
    assert reply.body == expected
    await await_earlier_events(client, created["id"])
    events = {event.headers["eventType"]: event for event in caused_by(client, correlation_id)}
    assert sorted(events) == [ATTRIBUTE_VALUE_CHANGE, STATE_CHANGE]
    assert_event(
        events[ATTRIBUTE_VALUE_CHANGE],
        ATTRIBUTE_VALUE_CHANGE,
        correlation_id,
        created["id"],
        expected,
    )
    assert events[STATE_CHANGE].body["event"]["customer"] == {
        "@type": "Customer",
        "id": created["id"],
        "href": created["href"],
        "status": "Validated",
        "statusReason": "Checked",
    }
    assert events[STATE_CHANGE].body["eventId"] != events[ATTRIBUTE_VALUE_CHANGE].body["eventId"]


async def test_patch_query_condition_may_name_the_full_dotted_path(client: ServiceClient) -> None:
    created = await create(client)
    dotted = [
        {
            "op": "replace",
            "path": "/contactMedium/preferred?contactMedium.city=Paris",
            "value": True,
        }
    ]
    correlation_id, reply = await patch(client, created, dotted, QUERY)
    assert reply.status == 200, reply.body
    assert reply.body == paris_preferred(created)
    [event] = await client.events_for(correlation_id, 1)
    assert_event(event, ATTRIBUTE_VALUE_CHANGE, correlation_id, created["id"], reply.body)


async def test_patch_query_applies_to_every_element_meeting_all_conditions(
    client: ServiceClient,
) -> None:
    phone, home = create_request()["contactMedium"]
    work = {**home, "contactType": "workAddress", "street1": "1 Rue du Travail"}
    created = await create(client, contactMedium=[phone, home, work])

    both = [{"op": "replace", "path": "/contactMedium/postCode?city=Paris", "value": "75001"}]
    _, reply = await patch(client, created, both, QUERY)
    assert reply.status == 200, reply.body
    assert reply.body["contactMedium"] == [
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
    _, reply = await patch(client, created, only_work, QUERY)
    assert reply.status == 200, reply.body
    assert reply.body["contactMedium"] == [
        phone,
        {**home, "postCode": "75001"},
        {**work, "postCode": "75001", "preferred": True},
    ]
    assert (await stored(client, created))["contactMedium"] == reply.body["contactMedium"]


async def test_patch_query_matching_no_element_is_400_and_changes_nothing(
    client: ServiceClient,
) -> None:
    created = await create(client)
    sent = []
    for path in (
        "/contactMedium/preferred?city=Lyon",
        "/contactMedium/preferred?city=Paris&contactType=homePhone",
        "/contactMedium/preferred?city=paris",
        "/contactMedium/preferred?nosuch=Paris",
    ):
        correlation_id, reply = await patch(
            client, created, [{"op": "replace", "path": path, "value": True}], QUERY
        )
        assert reply.status == 400, (path, reply.body)
        assert reply.body["@type"] == "Error"
        assert "no element" in reply.body["message"], reply.body
        sent.append(correlation_id)
    assert await stored(client, created) == created
    await await_earlier_events(client, created["id"])
    assert [caused_by(client, correlation_id) for correlation_id in sent] == [[]] * len(sent)


async def test_merge_patch_null_removes_the_attribute(client: ServiceClient) -> None:
    created = await create(client, statusReason="New customer")
    correlation_id, reply = await patch(
        client, created, {"relatedParty": None, "statusReason": None}, MERGE
    )
    assert reply.status == 200, reply.body
    expected = {k: v for k, v in created.items() if k not in ("relatedParty", "statusReason")}
    assert reply.body == expected
    assert await stored(client, created) == expected
    [event] = await client.events_for(correlation_id, 1)
    assert_event(event, ATTRIBUTE_VALUE_CHANGE, correlation_id, created["id"], expected)


async def test_patch_whose_result_violates_the_schema_is_400_and_changes_nothing(
    client: ServiceClient,
) -> None:
    created = await create(client)
    sent = []
    for payload, content_type, named in (
        ({"creditProfile": [{"creditScore": "high"}]}, MERGE, "creditScore"),
        ({"validFor": {"startDateTime": "tomorrow"}}, PLAIN, "startDateTime"),
        ({"contactMedium": "Paris"}, MERGE, "contactMedium"),
        ([{"op": "add", "path": "/contactMedium/0/preferred", "value": "yes"}], PATCH, "preferred"),
        (
            [{"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": 1}],
            QUERY,
            "preferred",
        ),
    ):
        correlation_id, reply = await patch(client, created, payload, content_type)
        assert reply.status == 400, (payload, reply.body)
        assert named in reply.body["message"], reply.body
        sent.append(correlation_id)
    assert await stored(client, created) == created
    await await_earlier_events(client, created["id"])
    assert [caused_by(client, correlation_id) for correlation_id in sent] == [[]] * len(sent)


async def test_json_patch_applies_nothing_when_a_later_operation_fails(
    client: ServiceClient,
) -> None:
    created = await create(client)
    rename = {"op": "replace", "path": "/name", "value": "Renamed"}
    sent = []
    for payload, content_type, status in (
        ([rename, {"op": "remove", "path": "/nosuch"}], PATCH, 400),
        ([rename, {"op": "test", "path": "/status", "value": "Closed"}], PATCH, 409),
        (
            [rename, {"op": "replace", "path": "/contactMedium/5/preferred", "value": True}],
            PATCH,
            400,
        ),
        ([rename, {"op": "launch", "path": "/name"}], PATCH, 400),
        (
            [
                rename,
                {"op": "replace", "path": "/contactMedium/preferred?city=Lyon", "value": True},
            ],
            QUERY,
            400,
        ),
    ):
        correlation_id, reply = await patch(client, created, payload, content_type)
        assert reply.status == status, (payload, reply.body)
        sent.append(correlation_id)
    assert await stored(client, created) == created
    await await_earlier_events(client, created["id"])
    assert [caused_by(client, correlation_id) for correlation_id in sent] == [[]] * len(sent)


async def test_no_op_patch_replies_200_with_the_customer_and_emits_no_event(
    client: ServiceClient,
) -> None:
    created = await create(client)
    sent = []
    for payload, content_type in (
        ({"name": created["name"]}, MERGE),
        ({}, PLAIN),
        ({"@type": "Customer", "id": created["id"]}, MERGE),
        ([{"op": "replace", "path": "/name", "value": created["name"]}], PATCH),
        ([{"op": "test", "path": "/status", "value": "Created"}], PATCH),
        ([], PATCH),
        ([{"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": False}], QUERY),
    ):
        correlation_id, reply = await patch(client, created, payload, content_type)
        assert reply.status == 200, (payload, reply.body)
        assert reply.body == created
        sent.append(correlation_id)
    assert await stored(client, created) == created
    await await_earlier_events(client, created["id"])
    assert [caused_by(client, correlation_id) for correlation_id in sent] == [[]] * len(sent)
