"""Typed characteristics (TMF629 v5.0.1) over real Kafka and the real store.

A characteristic whose `@type` names a typed sub-class keeps its value exactly as sent; a value of
the wrong type is a 400 naming its JSON path, whether it comes with a create or with a patch, and
then nothing is stored and no event is sent.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from customer_async.client import (
    JSON_PATCH,
    MERGE_PATCH,
    BadRequest,
    CustomerClient,
)
from tests.support.events import events_before_marker, next_events
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
    customer_client: CustomerClient,
) -> None:
    async with customer_client.events() as stream:
        created = await customer_client.create(create_request(characteristic=TYPED_CHARACTERISTICS))
        [event] = await next_events(stream, 1)
    assert created["characteristic"] == TYPED_CHARACTERISTICS
    assert await customer_client.retrieve(created["id"]) == created
    assert (event.event_type, event.customer_id) == ("CustomerCreateEvent", created["id"])
    assert event.customer["characteristic"] == TYPED_CHARACTERISTICS


async def test_create_with_a_wrong_typed_value_is_400_naming_its_path(
    customer_client: CustomerClient,
) -> None:
    characteristic = [
        {"@type": "StringCharacteristic", "name": "segment", "value": "gold"},
        {"@type": "IntegerArrayCharacteristic", "name": "years", "value": [1998, "2018"]},
    ]
    async with customer_client.events() as stream:
        with pytest.raises(BadRequest) as raised:
            await customer_client.create(create_request(characteristic=characteristic))
        assert raised.value.status == 400
        assert raised.value.code == "SCHEMA_VIOLATION"
        assert raised.value.message == (
            "$.characteristic[1].value[1]: '2018' is not of type 'integer'"
        )
        assert (await customer_client.list()).items == []
        # Nothing before the event of a create sent after the refused one.
        marker = f"marker-{uuid.uuid4()}"
        await customer_client.create(create_request(), correlation_id=marker)
        [first] = await next_events(stream, 1)
    assert first.correlation_id == marker


async def test_patch_setting_a_wrong_typed_value_is_400_and_changes_nothing(
    customer_client: CustomerClient,
) -> None:
    characteristic = [{"@type": "BooleanCharacteristic", "name": "vip", "value": True}]
    created = await customer_client.create(create_request(characteristic=characteristic))
    customer_id = created["id"]

    async with customer_client.events(customer_id=customer_id) as stream:
        with pytest.raises(BadRequest) as merge:
            await customer_client.patch(
                customer_id,
                {
                    "characteristic": [
                        {"@type": "BooleanCharacteristic", "name": "vip", "value": "yes"}
                    ]
                },
                content_type=MERGE_PATCH,
            )
        assert merge.value.status == 400
        assert merge.value.message == "$.characteristic[0].value: 'yes' is not of type 'boolean'"

        with pytest.raises(BadRequest) as json_patch:
            await customer_client.patch(
                customer_id,
                [{"op": "replace", "path": "/characteristic/0/value", "value": 1}],
                content_type=JSON_PATCH,
            )
        assert json_patch.value.status == 400
        assert json_patch.value.message == "$.characteristic[0].value: 1 is not of type 'boolean'"

        assert await customer_client.retrieve(customer_id) == created
        assert await events_before_marker(customer_client, stream, customer_id) == []
