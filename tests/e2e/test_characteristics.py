"""Typed characteristics (TMF629 v5.0.1) over real Kafka and the real store.

A characteristic whose `@type` names a typed sub-class keeps its value exactly as sent; a value of
the wrong type is a 400 naming its JSON path, whether it comes with a create or with a patch, and
then nothing is stored and no event is sent.
"""

from __future__ import annotations

from typing import Any

import pytest

from customer_async.types import Operation
from tests.support.client import ServiceClient
from tests.support.events import await_earlier_events, caused_by
from tests.support.examples import create_request

pytestmark = pytest.mark.e2e

TYPED_CHARACTERISTICS: list[dict[str, Any]] = [
    {"@type": "StringCharacteristic", "name": "segment", "value": "gold"},
    {"@type": "NumberCharacteristic", "name": "discount", "value": 12.5},
    {"@type": "FloatCharacteristic", "name": "ratio", "value": 0.75},
    {"@type": "IntegerCharacteristic", "name": "seats", "value": 40},
    {"@type": "BooleanCharacteristic", "name": "vip", "value": True},
    {"@type": "ObjectCharacteristic", "name": "stadium", "value": {"city": "Paris", "size": 3}},
    {"@type": "StringArrayCharacteristic", "name": "colours", "value": ["blue", "white"]},
    {"@type": "NumberArrayCharacteristic", "name": "scores", "value": [1, 2.5]},
    {"@type": "IntegerArrayCharacteristic", "name": "years", "value": [1998, 2018]},
    {"@type": "BooleanArrayCharacteristic", "name": "flags", "value": [True, False]},
    {"@type": "ObjectArrayCharacteristic", "name": "kits", "value": [{"home": "blue"}, {}]},
    {"@type": "Characteristic", "name": "anything", "value": [1, "a", None]},
    {"@type": "LoyaltyCharacteristic", "@baseType": "Characteristic", "value": {"tier": 2}},
]


async def test_each_typed_characteristic_round_trips_through_create_retrieve_and_event(
    client: ServiceClient,
) -> None:
    reply = await client.call(
        Operation.CREATE, create_request(characteristic=TYPED_CHARACTERISTICS)
    )
    assert reply.status == 201, reply.body
    assert reply.body["characteristic"] == TYPED_CHARACTERISTICS
    retrieved = await client.call(Operation.RETRIEVE, parameters={"id": reply.body["id"]})
    assert retrieved.status == 200
    assert retrieved.body == reply.body
    (created,) = await client.events_for(reply.headers["X-Correlation-Id"], 1)
    assert created.body["event"]["customer"]["characteristic"] == TYPED_CHARACTERISTICS


async def test_create_with_a_wrong_typed_value_is_400_naming_its_path(
    client: ServiceClient,
) -> None:
    characteristic = [
        {"@type": "StringCharacteristic", "name": "segment", "value": "gold"},
        {"@type": "IntegerArrayCharacteristic", "name": "years", "value": [1998, "2018"]},
    ]
    reply = await client.call(Operation.CREATE, create_request(characteristic=characteristic))
    assert reply.status == 400
    assert reply.body["code"] == "SCHEMA_VIOLATION"
    assert reply.body["message"] == "$.characteristic[1].value[1]: '2018' is not of type 'integer'"
    assert caused_by(client, reply.headers["X-Correlation-Id"]) == []
    listed = await client.call(Operation.LIST, parameters={})
    assert listed.body == []


async def test_patch_setting_a_wrong_typed_value_is_400_and_changes_nothing(
    client: ServiceClient,
) -> None:
    characteristic = [{"@type": "BooleanCharacteristic", "name": "vip", "value": True}]
    created = await client.call(Operation.CREATE, create_request(characteristic=characteristic))
    assert created.status == 201, created.body
    target = {"id": created.body["id"]}

    merge = await client.call(
        Operation.PATCH,
        {"characteristic": [{"@type": "BooleanCharacteristic", "name": "vip", "value": "yes"}]},
        parameters=target,
        content_type="application/merge-patch+json",
    )
    assert merge.status == 400
    assert merge.body["message"] == "$.characteristic[0].value: 'yes' is not of type 'boolean'"

    json_patch = await client.call(
        Operation.PATCH,
        [{"op": "replace", "path": "/characteristic/0/value", "value": 1}],
        parameters=target,
        content_type="application/json-patch+json",
    )
    assert json_patch.status == 400
    assert json_patch.body["message"] == "$.characteristic[0].value: 1 is not of type 'boolean'"

    retrieved = await client.call(Operation.RETRIEVE, parameters=target)
    assert retrieved.body == created.body
    await await_earlier_events(client, created.body["id"])
    for refused in (merge, json_patch):
        assert caused_by(client, refused.headers["X-Correlation-Id"]) == []
