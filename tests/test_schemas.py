"""JSON Schema validation: seed examples pass, violations name their path, names are guarded."""

from __future__ import annotations

import contextlib
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from customer_async import schemas
from customer_async.errors import (
    CustomerNotFound,
    InternalError,
    SchemaViolation,
)
from customer_async.schemas import SchemaRegistry
from customer_async.types import Document

HOST = "https://host:port/tmf-api"
PARTY_TOPIC = "kafka://host/{prefix}.partyManagement.v5.retrieveOrganization.commandRequest"
CUSTOMER_TOPIC = "kafka://host/{prefix}.customerManagement.v5.retrieveCustomer.commandRequest"
PERIOD = {"startDateTime": "2018-06-12T00:00:00Z", "endDateTime": "2019-01-01T00:00:00Z"}

# The seed's samples repeat these parts verbatim; typos such as "@REFERREDType" are kept.
PHONE = {
    "@type": "PhoneContactMedium",
    "preferred": True,
    "contactType": "homePhone",
    "validFor": PERIOD,
    "phoneNumber": "01 09 75 83 51",
}
ADDRESS = {
    "@type": "GeographicAddressContactMedium",
    "preferred": False,
    "contactType": "homeAddress",
    "validFor": PERIOD,
    "city": "Paris",
    "country": "France",
    "postCode": "75014",
    "street1": "15 Rue des Canards",
}


def party_ref(number: str, name: str, referred_key: str = "@referredType") -> Document:
    """The seed's PartyRef to an organization, with the spelling of @referredType it used."""
    return {
        "@type": "PartyRef",
        "href": f"{HOST}/partyManagement/v5/organization/{number}",
        "id": number,
        "name": name,
        referred_key: "Organization",
        "topicRef": PARTY_TOPIC,
    }


def bill_receiver(referred_key: str = "@referredType") -> Document:
    """The seed's relatedParty entry."""
    return {
        "@type": "RelatedPartyRefOrPartyRoleRef",
        "role": "bill receiver",
        "partyOrPartyRole": party_ref("2777", "John Doe (Accounting) Ltd", referred_key),
    }


def seed_reply(
    name: str = "Moon Football Club",
    party: Document | None = None,
    referred_key: str = "@referredType",
    address_preferred: bool = False,
) -> Document:
    """A Customer as the seed's retrieve/create/list/patch replies show it."""
    return {
        "@type": "Customer",
        "href": f"{HOST}/customerManagement/v5/customer/1140",
        "id": "1140",
        "name": name,
        "status": "Created",
        "engagedParty": party or party_ref("500", "Happy Travellers", referred_key),
        "contactMedium": [PHONE, {**ADDRESS, "preferred": address_preferred}],
        "relatedParty": [bill_receiver(referred_key)],
        "topicRef": CUSTOMER_TOPIC,
    }


SEED_RESOURCE: Document = {
    "@type": "Customer",
    "href": f"{HOST}/customerManagement/v5/customer/1140",
    "id": "1140",
    "name": "Moon Football Club",
    "status": "Approved",
    "statusReason": "Account details checked",
    "validFor": PERIOD,
    "engagedParty": {
        "href": f"{HOST}/partyManagement/v5/organization/500",
        "id": "500",
        "name": "Happy Travellers",
        "@referredType": "Organization",
    },
    "account": [
        {
            "@type": "AccountRef",
            "href": f"{HOST}/settlementAccount/v5/settlementAccount/99807",
            "id": "99807",
            "@referredType": "SettlementAccount",
        },
        {
            "@type": "AccountRef",
            "href": f"{HOST}/accountManagement/v5/account/8251",
            "id": "8251",
            "name": "Travel Account",
            "@referredType": "BillingAccount",
            "description": "Primary billing account",
        },
    ],
    "paymentMethod": [
        {
            "@type": "PaymentMethodRef",
            "href": "https://host:port/tmf-api/paymentMethods/v1/paymentMethod/9562",
            "id": "9562",
            "name": "professional payment",
            "@REFERREDType": "CreditCardPayment",
        }
    ],
    "contactMedium": [PHONE, ADDRESS],
    "creditProfile": [
        {
            "@type": "CreditProfile",
            "creditProfileDate": "2018-06-15T00:00:00Z",
            "creditRiskRating": 4,
            "creditScore": 5,
            "validFor": PERIOD,
        }
    ],
    "agreement": [
        {
            "@type": "AgreementRef",
            "href": f"{HOST}/agreementManagement/v5/agreement/4721",
            "id": "4721",
            "name": "Summer Contract Agreement",
        }
    ],
    "relatedParty": [
        {
            "@type": "RelatedPartyRefOrPartyRoleRef",
            "role": "bill receiver",
            "partyOrPartyRole": {
                "href": f"{HOST}/partyManagement/v5/organization/2777",
                "id": "2777",
                "name": "John Doe (Accounting) Ltd",
                "@referredType": "Organization",
            },
        }
    ],
}

SEED_CREATE_REQUEST: Document = {
    "@type": "Customer",
    "name": "Moon Football Club",
    "engagedParty": party_ref("500", "Happy Travellers"),
    "contactMedium": [PHONE, ADDRESS],
    "relatedParty": [bill_receiver()],
}

SEED_MERGE_PATCH: Document = {
    "@type": "Customer",
    "name": "Sun Football Club",
    "engagedParty": party_ref("237", "Another Long Distance Travellers"),
}

SEED_JSON_PATCH: list[Document] = [
    {"op": "replace", "path": "/name", "value": "Sun Football Club"},
    {
        "op": "replace",
        "path": "/engagedParty",
        "value": party_ref("237", "Another Long Distance Travellers"),
    },
]

SEED_PATCH_QUERY: list[Document] = [
    {"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": True}
]

SUN = party_ref("237", "Another Long Distance Travellers")

# The seed's events have no correlationId; the contract adds it to every event.
CORRELATION = {"correlationId": "4226B739-1DD2-4B43-A393-5E6F05CEF169"}

SEED_CREATE_EVENT: Document = {
    "@type": "CustomerCreateEvent",
    "eventId": "3cc17ff9-d674-4b0a-ab50-06841b1fd574",
    "eventTime": "2023-06-14T12:15:59.96747+02:00",
    "eventType": "CustomerCreateEvent",
    **CORRELATION,
    "event": {
        "customer": {
            "@type": "Customer",
            "href": f"{HOST}/customerManagement/v5/customer/1140",
            "id": "1140",
            "name": "Moon Football Club",
            "status": "Created",
            "engagedParty": {
                "@type": "PartyRef",
                "href": f"{HOST}/partyManagement/v5/organization/500",
                "id": "500",
                "name": "Happy Travellers",
                "@referredType": "Organization",
            },
            "contactMedium": [PHONE, ADDRESS],
            "relatedParty": [
                {
                    "@type": "RelatedPartyRefOrPartyRoleRef",
                    "role": "bill receiver",
                    "partyOrPartyRole": {
                        "@type": "PartyRef",
                        "href": f"{HOST}/partyManagement/v5/organization/2777",
                        "id": "2777",
                        "name": "John Doe (Accounting) Ltd",
                        "@referredType": "Organization",
                    },
                }
            ],
        }
    },
}

SEED_DELETE_EVENT: Document = {
    "@type": "CustomerDeleteEvent",
    "eventId": "63749ead-f133-4c64-b2ed-3a93a2a56999",
    "eventTime": "2023-06-14T12:15:59.969117+02:00",
    "eventType": "CustomerDeleteEvent",
    **CORRELATION,
    "event": {
        "customer": {
            "@type": "Customer",
            "id": "1140",
            "href": f"{HOST}/customerManagement/v5/customer/1140",
        }
    },
}

SEED_ATTRIBUTE_VALUE_CHANGE_EVENT: Document = {
    "@type": "CustomerAttributeValueChangeEvent",
    "eventId": "e3dac91d-a035-465f-afc5-d3b603b53ad2",
    "eventTime": "2018-06-12T00:00:00Z",
    "eventType": "CustomerAttributeValueChangeEvent",
    **CORRELATION,
    "event": {
        "customer": {
            "@type": "Customer",
            "href": f"{HOST}/customerManagement/v5/customer/1140",
            "id": "1140",
            "engagedParty": {
                "@type": "PartyRef",
                "href": f"{HOST}/partyManagement/v5/organization/236",
                "id": "236",
                "name": "Long Distance Travellers",
                "@referredType": "Organization",
            },
        }
    },
}

SEED_STATE_CHANGE_EVENT: Document = {
    "@type": "CustomerStateChangeEvent",
    "priority": "high",
    "eventId": "b14f7023-e982-4c02-a0c1-9790ee991659",
    "eventTime": "2023-06-14T12:15:59.969746+02:00",
    "eventType": "CustomerStateChangeEvent",
    **CORRELATION,
    "event": {
        "customer": {
            "@type": "Customer",
            "href": f"{HOST}/customerManagement/v5/customer/1140",
            "id": "1140",
            "status": "CreditCheckDone",
        }
    },
}

SEED_EVENTS = {
    "CustomerCreateEvent": SEED_CREATE_EVENT,
    "CustomerDeleteEvent": SEED_DELETE_EVENT,
    "CustomerAttributeValueChangeEvent": SEED_ATTRIBUTE_VALUE_CHANGE_EVENT,
    "CustomerStateChangeEvent": SEED_STATE_CHANGE_EVENT,
}

EXPECTED_SCHEMAS = {
    "Customer",
    "Customer_FVO",
    "Customer_MVO",
    "CustomerList",
    "TimePeriod",
    "PartyRef",
    "AccountRef",
    "AgreementRef",
    "PaymentMethodRef",
    "PartyRoleSpecificationRef",
    "GeographicAddressRef",
    "Characteristic",
    "PolymorphicCharacteristic",
    "StringCharacteristic",
    "NumberCharacteristic",
    "FloatCharacteristic",
    "IntegerCharacteristic",
    "BooleanCharacteristic",
    "ObjectCharacteristic",
    "StringArrayCharacteristic",
    "NumberArrayCharacteristic",
    "IntegerArrayCharacteristic",
    "BooleanArrayCharacteristic",
    "ObjectArrayCharacteristic",
    "CharacteristicRelationship",
    "ContactMedium",
    "EmailContactMedium",
    "PhoneContactMedium",
    "FaxContactMedium",
    "GeographicAddressContactMedium",
    "SocialContactMedium",
    "CreditProfile",
    "RelatedPartyOrPartyRole",
    "Error",
    "CustomerCreateEvent",
    "CustomerAttributeValueChangeEvent",
    "CustomerStateChangeEvent",
    "CustomerDeleteEvent",
    "RequestHeaders",
    "ReplyHeaders",
    "NotificationHeaders",
}


def violation(schema_name: str, instance: Any) -> str:
    """The SchemaViolation message `validate` raises for an instance that must fail."""
    with pytest.raises(SchemaViolation) as caught:
        schemas.validate(schema_name, instance)
    return caught.value.message


def customer(**changes: Any) -> Document:
    """The seed's full Customer sample with some attributes replaced."""
    doc = copy.deepcopy(SEED_RESOURCE)
    doc.update(changes)
    return doc


def all_refs(node: Any) -> list[str]:
    """Every `$ref` value anywhere in a schema document."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in all_refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in all_refs(value)]
    return []


def test_schema_directory_holds_every_schema_the_contract_names() -> None:
    registry = SchemaRegistry()
    assert (schemas.schema_directory() / "Customer.schema.json").is_file()
    assert registry.names >= EXPECTED_SCHEMAS


def test_each_schema_file_declares_its_id_and_draft_2020_12() -> None:
    for path in sorted(schemas.schema_directory().glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        assert contents["$id"] == schemas.SCHEMA_BASE_URI + path.name
        assert contents["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_ref_is_a_relative_file_name_of_an_existing_schema() -> None:
    directory = schemas.schema_directory()
    for path in sorted(directory.glob("*.schema.json")):
        for ref in all_refs(json.loads(path.read_text(encoding="utf-8"))):
            file_name = ref.partition("#")[0]
            assert "/" not in file_name, f"{path.name}: {ref}"
            assert (directory / file_name).is_file(), f"{path.name}: {ref}"


@pytest.mark.parametrize("schema_name", sorted(EXPECTED_SCHEMAS))
def test_every_schema_compiles_and_applies(schema_name: str) -> None:
    """Applying a schema to an empty object follows all its refs without an internal error."""
    with contextlib.suppress(SchemaViolation):
        schemas.validate(schema_name, {})


@pytest.mark.parametrize(
    ("schema_name", "example"),
    [
        pytest.param("Customer", SEED_RESOURCE, id="resource sample"),
        pytest.param("Customer", seed_reply(), id="retrieve reply"),
        pytest.param("CustomerList", [seed_reply(referred_key="@REFERREDType")], id="list reply"),
        pytest.param("Customer_FVO", SEED_CREATE_REQUEST, id="create request"),
        pytest.param("Customer", seed_reply(), id="create reply"),
        pytest.param("Customer_MVO", SEED_MERGE_PATCH, id="merge patch request"),
        pytest.param("JsonPatch", SEED_JSON_PATCH, id="json patch request"),
        pytest.param("JsonPatchQuery", SEED_PATCH_QUERY, id="json patch query request"),
        pytest.param(
            "Customer",
            seed_reply("Sun Football Club", SUN)
            | {"relatedParty": [bill_receiver("@preferredType")]},
            id="json patch reply",
        ),
        pytest.param("Customer", seed_reply("Sun Football Club", SUN), id="merge patch reply"),
        pytest.param(
            "Customer",
            seed_reply(
                party=party_ref("236", "Long Distance Travellers", "@REFERREDTYPE"),
                referred_key="@REFERREDTYPE",
                address_preferred=True,
            ),
            id="patch query reply",
        ),
        *(pytest.param(name, event, id=name) for name, event in SEED_EVENTS.items()),
    ],
)
def test_seed_example_validates_against_its_schema(schema_name: str, example: Any) -> None:
    schemas.validate(schema_name, example)


@pytest.mark.parametrize("event_name", sorted(SEED_EVENTS))
def test_event_without_correlation_id_is_refused(event_name: str) -> None:
    event = {k: v for k, v in SEED_EVENTS[event_name].items() if k != "correlationId"}
    assert violation(event_name, event) == "$: 'correlationId' is a required property"


def test_event_type_must_name_the_event_of_its_schema() -> None:
    event = SEED_CREATE_EVENT | {"eventType": "CustomerDeleteEvent"}
    assert violation("CustomerCreateEvent", event).startswith("$.eventType: ")


def test_create_event_requires_the_customer_identity() -> None:
    event = copy.deepcopy(SEED_CREATE_EVENT)
    del event["event"]["customer"]["href"]
    assert violation("CustomerCreateEvent", event) == (
        "$.event.customer: 'href' is a required property"
    )


def test_state_change_event_requires_the_status() -> None:
    event = copy.deepcopy(SEED_STATE_CHANGE_EVENT)
    del event["event"]["customer"]["status"]
    assert violation("CustomerStateChangeEvent", event) == (
        "$.event.customer: 'status' is a required property"
    )


def test_customer_reply_always_carries_id_href_and_type() -> None:
    for attribute in ("id", "href", "@type"):
        reply = {k: v for k, v in seed_reply().items() if k != attribute}
        assert violation("Customer", reply) == f"$: '{attribute}' is a required property"


def test_a_field_selected_reply_is_still_a_customer() -> None:
    schemas.validate("Customer", {"@type": "Customer", "id": "1", "href": "h", "status": "x"})


def test_create_without_name_is_a_violation_at_the_root() -> None:
    request = {k: v for k, v in SEED_CREATE_REQUEST.items() if k != "name"}
    assert violation("Customer_FVO", request) == "$: 'name' is a required property"


def test_create_without_engaged_party_is_a_violation_at_the_root() -> None:
    request = {k: v for k, v in SEED_CREATE_REQUEST.items() if k != "engagedParty"}
    assert violation("Customer_FVO", request) == "$: 'engagedParty' is a required property"


def test_create_may_carry_an_id_and_href_the_server_ignores() -> None:
    schemas.validate("Customer_FVO", SEED_CREATE_REQUEST | {"id": "mine", "href": "somewhere"})


def test_a_reference_without_id_is_refused() -> None:
    request = SEED_CREATE_REQUEST | {"engagedParty": {"name": "Happy Travellers"}}
    assert violation("Customer_FVO", request) == "$.engagedParty: 'id' is a required property"


def test_wrong_type_names_the_json_path_inside_an_array() -> None:
    doc = customer(contactMedium=[{"@type": "EmailContactMedium", "emailAddress": 5}])
    assert (
        violation("Customer", doc) == "$.contactMedium[0].emailAddress: 5 is not of type 'string'"
    )


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"name": 5}, "$.name"),
        ({"validFor": {"startDateTime": 20180612}}, "$.validFor.startDateTime"),
        ({"creditProfile": [{"creditScore": "high"}]}, "$.creditProfile[0].creditScore"),
        ({"creditProfile": [{"creditRiskRating": 4.5}]}, "$.creditProfile[0].creditRiskRating"),
        ({"account": [{"id": 8251}]}, "$.account[0].id"),
        (
            {"characteristic": [{"name": "x", "characteristicRelationship": [{"id": 1}]}]},
            "$.characteristic[0].characteristicRelationship[0].id",
        ),
        ({"relatedParty": [{"partyOrPartyRole": "2777"}]}, "$.relatedParty[0].partyOrPartyRole"),
        (
            {"relatedParty": [{"partyOrPartyRole": {"id": 2777}}]},
            "$.relatedParty[0].partyOrPartyRole.id",
        ),
        ({"contactMedium": {"@type": "PhoneContactMedium"}}, "$.contactMedium"),
        ({"@type": None}, "$.@type"),
    ],
)
def test_violation_message_starts_with_the_json_path(changes: Document, path: str) -> None:
    assert violation("Customer", customer(**changes)).startswith(f"{path}: ")


def test_characteristic_value_may_be_any_json() -> None:
    values = ["gold", 3, 2.5, True, None, [1, "a"], {"nested": {"deep": [1]}}]
    doc = customer(characteristic=[{"name": f"c{i}", "value": v} for i, v in enumerate(values)])
    schemas.validate("Customer", doc)


# TMF629 v5.0.1 types a characteristic's value by its @type: per sub-class, values it accepts
# and wrong-typed values with the path (below `$.characteristic[0]`) and message they get.
TYPED_CHARACTERISTICS: dict[str, tuple[list[Any], list[tuple[Any, str, str]]]] = {
    "StringCharacteristic": (
        ["gold", ""],
        [
            (5, ".value", "5 is not of type 'string'"),
            (None, ".value", "None is not of type 'string'"),
        ],
    ),
    "NumberCharacteristic": (
        [3, 2.5, -1e3],
        [
            ("3", ".value", "'3' is not of type 'number'"),
            (True, ".value", "True is not of type 'number'"),
        ],
    ),
    "FloatCharacteristic": (
        [2.5, 3],
        [
            ("2.5", ".value", "'2.5' is not of type 'number'"),
            ([2.5], ".value", "[2.5] is not of type 'number'"),
        ],
    ),
    "IntegerCharacteristic": (
        [3, 0, -7],
        [
            (2.5, ".value", "2.5 is not of type 'integer'"),
            (True, ".value", "True is not of type 'integer'"),
        ],
    ),
    "BooleanCharacteristic": (
        [True, False],
        [
            ("true", ".value", "'true' is not of type 'boolean'"),
            (1, ".value", "1 is not of type 'boolean'"),
        ],
    ),
    "ObjectCharacteristic": (
        [{}, {"tier": {"level": [1, "a"]}}],
        [
            ([1], ".value", "[1] is not of type 'object'"),
            ("{}", ".value", "'{}' is not of type 'object'"),
        ],
    ),
    "StringArrayCharacteristic": (
        [[], ["a", "b"]],
        [
            (["a", 1], ".value[1]", "1 is not of type 'string'"),
            ("a", ".value", "'a' is not of type 'array'"),
        ],
    ),
    "NumberArrayCharacteristic": (
        [[1, 2.5]],
        [
            ([1, "2"], ".value[1]", "'2' is not of type 'number'"),
            (1, ".value", "1 is not of type 'array'"),
        ],
    ),
    "IntegerArrayCharacteristic": (
        [[1, -2, 0]],
        [
            ([1, 2.5], ".value[1]", "2.5 is not of type 'integer'"),
            (1, ".value", "1 is not of type 'array'"),
        ],
    ),
    "BooleanArrayCharacteristic": (
        [[True, False]],
        [
            ([True, 0], ".value[1]", "0 is not of type 'boolean'"),
            (True, ".value", "True is not of type 'array'"),
        ],
    ),
    "ObjectArrayCharacteristic": (
        [[{"a": 1}, {}]],
        [
            ([{"a": 1}, "x"], ".value[1]", "'x' is not of type 'object'"),
            ({"a": 1}, ".value", "{'a': 1} is not of type 'array'"),
        ],
    ),
}

ACCEPTED_CHARACTERISTICS = [
    pytest.param(type_name, value, id=f"{type_name}-{index}")
    for type_name, (accepted, _) in TYPED_CHARACTERISTICS.items()
    for index, value in enumerate(accepted)
]

REFUSED_CHARACTERISTICS = [
    pytest.param(type_name, value, path, message, id=f"{type_name}-{index}")
    for type_name, (_, refused) in TYPED_CHARACTERISTICS.items()
    for index, (value, path, message) in enumerate(refused)
]


def characteristic_in(schema_name: str, item: Document) -> tuple[Any, str]:
    """A document of `schema_name` whose only characteristic is `item`, and that item's path."""
    if schema_name == "Customer":
        return customer(characteristic=[item]), "$.characteristic[0]"
    if schema_name == "Customer_FVO":
        return SEED_CREATE_REQUEST | {"characteristic": [item]}, "$.characteristic[0]"
    if schema_name == "Customer_MVO":
        return {"characteristic": [item]}, "$.characteristic[0]"
    event = copy.deepcopy(SEED_EVENTS[schema_name])
    event["event"]["customer"]["characteristic"] = [item]
    return event, "$.event.customer.characteristic[0]"


CARRYING_CHARACTERISTICS = [
    "Customer",
    "Customer_FVO",
    "Customer_MVO",
    "CustomerCreateEvent",
    "CustomerAttributeValueChangeEvent",
]


def test_every_typed_characteristic_has_its_schema_and_is_dispatched_by_type() -> None:
    """Each sub-class file extends Characteristic, and the dispatcher sends its @type there."""
    registry = SchemaRegistry()
    dispatcher = registry.schema("PolymorphicCharacteristic")
    dispatched = {
        branch["if"]["properties"]["@type"]["const"]: branch["then"]["$ref"]
        for branch in dispatcher["allOf"]
        if "if" in branch
    }
    assert dispatched == {name: f"{name}.schema.json" for name in TYPED_CHARACTERISTICS}
    for name in TYPED_CHARACTERISTICS:
        assert registry.schema(name)["allOf"] == [{"$ref": "Characteristic.schema.json"}]
    for owner in ("PartyRole", "Customer_MVO"):
        items = registry.schema(owner)["properties"]["characteristic"]["items"]
        assert items == {"$ref": "PolymorphicCharacteristic.schema.json"}, owner


@pytest.mark.parametrize("schema_name", CARRYING_CHARACTERISTICS)
@pytest.mark.parametrize(("type_name", "value"), ACCEPTED_CHARACTERISTICS)
def test_typed_characteristic_accepts_its_value_type_unchanged(
    schema_name: str, type_name: str, value: Any
) -> None:
    item = {"@type": type_name, "name": "segment", "valueType": type_name, "value": value}
    document, _ = characteristic_in(schema_name, item)
    before = copy.deepcopy(document)
    schemas.validate(schema_name, document)
    assert document == before
    assert json.loads(json.dumps(document)) == before


@pytest.mark.parametrize("schema_name", CARRYING_CHARACTERISTICS)
@pytest.mark.parametrize(("type_name", "value", "path", "message"), REFUSED_CHARACTERISTICS)
def test_typed_characteristic_refuses_a_wrong_typed_value_at_its_path(
    schema_name: str, type_name: str, value: Any, path: str, message: str
) -> None:
    document, at = characteristic_in(schema_name, {"@type": type_name, "name": "n", "value": value})
    assert violation(schema_name, document) == f"{at}{path}: {message}"


def test_the_issue_example_is_refused_where_the_value_is() -> None:
    """`{"@type": "StringCharacteristic", "value": 5}` once created a customer; now it is a 400."""
    request = SEED_CREATE_REQUEST | {
        "characteristic": [
            {"name": "tier", "value": 5},
            {"@type": "StringCharacteristic", "name": "segment", "value": 5},
        ]
    }
    assert violation("Customer_FVO", request) == (
        "$.characteristic[1].value: 5 is not of type 'string'"
    )


def test_a_large_wrong_typed_value_keeps_path_and_reason_in_a_short_message() -> None:
    value = {f"key{n}": "x" * 50 for n in range(200)}
    item = {"@type": "StringCharacteristic", "name": "segment", "value": value}
    message = violation("Customer", customer(characteristic=[item]))
    assert message.startswith("$.characteristic[0].value: {'key0': 'xxx")
    assert message.endswith("… is not of type 'string'")
    assert len(message) <= 300


def test_typed_characteristic_still_checks_the_base_attributes() -> None:
    item = {"@type": "IntegerCharacteristic", "name": 7, "value": 7}
    assert violation("Customer", customer(characteristic=[item])) == (
        "$.characteristic[0].name: 7 is not of type 'string'"
    )
    related = {
        "@type": "BooleanCharacteristic",
        "value": True,
        "characteristicRelationship": [{"id": 1}],
    }
    assert violation("Customer", customer(characteristic=[related])).startswith(
        "$.characteristic[0].characteristicRelationship[0].id: "
    )


@pytest.mark.parametrize("schema_name", CARRYING_CHARACTERISTICS)
def test_plain_and_unknown_characteristic_types_keep_an_untyped_value(schema_name: str) -> None:
    values = ["gold", 3, 2.5, True, None, [1, "a"], {"nested": {"deep": [1]}}]
    items = [
        {"@type": type_name, "name": f"c{index}", "value": value}
        for type_name in ("Characteristic", "LoyaltyCharacteristic", "FloatArrayCharacteristic")
        for index, value in enumerate(values)
    ]
    document, _ = characteristic_in(schema_name, items[0])
    if schema_name.endswith("Event"):
        document["event"]["customer"]["characteristic"] = items
    else:
        document["characteristic"] = items
    schemas.validate(schema_name, document)


def test_an_unknown_characteristic_type_is_checked_against_the_base() -> None:
    item = {"@type": "LoyaltyCharacteristic", "@baseType": "Characteristic", "value": 5, "id": 5}
    assert violation("Customer", customer(characteristic=[item])) == (
        "$.characteristic[0].id: 5 is not of type 'string'"
    )


def test_the_type_of_a_characteristic_is_a_string() -> None:
    item = {"@type": 5, "name": "segment", "value": 5}
    assert violation("Customer", customer(characteristic=[item])) == (
        "$.characteristic[0].@type: 5 is not of type 'string'"
    )


@pytest.mark.parametrize(
    "value",
    [
        "2018-06-12T00:00:00Z",
        "2023-06-14T12:15:59.96747+02:00",
        "2018-06-12t00:00:00z",
        "2016-12-31T23:59:60Z",
        "2018-06-12T00:00:00.123456789-05:30",
    ],
)
def test_rfc3339_date_times_are_accepted(value: str) -> None:
    schemas.validate("TimePeriod", {"startDateTime": value})


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2018-06-12",
        "2018-06-12T00:00:00",
        "2018-06-12 00:00:00Z",
        "2018-02-30T00:00:00Z",
        "2018-06-12T25:00:00Z",
        "2018-06-12T00:00:00+0200",
        "2018-06-12T00:00:00Z\n",
        "20180612T000000Z",
    ],
)
def test_malformed_date_times_are_violations(value: str) -> None:
    doc = customer(validFor={"startDateTime": value})
    assert violation("Customer", doc) == f"$.validFor.startDateTime: {value!r} is not a 'date-time'"


def test_date_time_format_is_enforced_in_credit_profiles_and_events() -> None:
    doc = customer(creditProfile=[{"creditProfileDate": "15/06/2018"}])
    assert violation("Customer", doc).startswith("$.creditProfile[0].creditProfileDate: ")
    event = SEED_DELETE_EVENT | {"eventTime": "now"}
    assert violation("CustomerDeleteEvent", event).startswith("$.eventTime: ")


@pytest.mark.parametrize(
    ("medium", "path"),
    [
        ({"@type": "PhoneContactMedium", "phoneNumber": 42}, "$.contactMedium[0].phoneNumber"),
        ({"@type": "FaxContactMedium", "faxNumber": []}, "$.contactMedium[0].faxNumber"),
        (
            {"@type": "SocialContactMedium", "socialNetworkId": 1},
            "$.contactMedium[0].socialNetworkId",
        ),
        ({"@type": "GeographicAddressContactMedium", "city": 75}, "$.contactMedium[0].city"),
        (
            {"@type": "GeographicAddressContactMedium", "geographicAddress": {"id": 9}},
            "$.contactMedium[0].geographicAddress.id",
        ),
        (
            {"@type": "EmailContactMedium", "validFor": {"endDateTime": "soon"}},
            "$.contactMedium[0].validFor.endDateTime",
        ),
    ],
)
def test_contact_medium_error_points_into_its_subtype(medium: Document, path: str) -> None:
    assert violation("Customer", customer(contactMedium=[medium])).startswith(f"{path}: ")


def test_contact_medium_subtype_attributes_are_checked_only_for_that_subtype() -> None:
    """A phone number on an email medium is an extension attribute, not a phone number."""
    medium = {"@type": "EmailContactMedium", "emailAddress": "a@b.c", "phoneNumber": 42}
    schemas.validate("Customer", customer(contactMedium=[medium]))


def test_unknown_contact_medium_type_validates_against_the_base() -> None:
    pigeon = {"@type": "PigeonContactMedium", "loft": "Paris", "phoneNumber": 42, "preferred": True}
    schemas.validate("Customer", customer(contactMedium=[pigeon]))
    assert violation("Customer", customer(contactMedium=[pigeon | {"preferred": "yes"}])) == (
        "$.contactMedium[0].preferred: 'yes' is not of type 'boolean'"
    )


def test_subclass_type_with_extension_attributes_validates() -> None:
    vip = customer(
        **{
            "@type": "VipCustomer",
            "@baseType": "Customer",
            "@schemaLocation": "https://example.com/schemas/VipCustomer.schema.json",
            "loyaltyTier": "gold",
            "perks": [{"kind": "lounge", "$note": "values are not attribute names"}],
        }
    )
    vip["engagedParty"] = vip["engagedParty"] | {"vatNumber": "FR123"}
    schemas.validate("Customer", vip)
    schemas.validate("Customer_FVO", {k: v for k, v in vip.items() if k not in ("id", "href")})


def test_merge_patch_may_remove_attributes_with_null() -> None:
    patch = {"statusReason": None, "contactMedium": None, "validFor": {"endDateTime": None}}
    schemas.validate("Customer_MVO", patch)


def test_merge_patch_requires_nothing_but_types_what_it_names() -> None:
    schemas.validate("Customer_MVO", {})
    assert violation("Customer_MVO", {"name": 5}) == "$.name: 5 is not of type 'string', 'null'"
    bad_date = {"validFor": {"startDateTime": "June"}}
    assert violation("Customer_MVO", bad_date).startswith("$.validFor.startDateTime: ")


def test_json_patch_operations_need_their_operands() -> None:
    assert violation("JsonPatch", [{"op": "add", "path": "/name"}]) == (
        "$[0]: 'value' is a required property"
    )
    assert violation("JsonPatch", [{"op": "move", "path": "/name"}]) == (
        "$[0]: 'from' is a required property"
    )
    assert violation("JsonPatch", [{"op": "frobnicate", "path": "/name"}]).startswith("$[0].op: ")


def test_error_of_the_error_tree_validates_as_a_tmf_error() -> None:
    schemas.validate("Error", CustomerNotFound("no customer with id '7'").to_tmf())
    assert violation("Error", {"@type": "Error", "reason": "x"}) == (
        "$: 'code' is a required property"
    )
    assert violation("Error", {"@type": "Error", "code": "C", "reason": "r", "status": 404}) == (
        "$.status: 404 is not of type 'string'"
    )


def test_seed_request_and_reply_headers_validate() -> None:
    schemas.validate(
        "RequestHeaders",
        {
            "X-Correlation-Id": "4226B739-1DD2-4B43-A393-5E6F05CEF169",
            "Reply-Channel": "{prefix}.customerManagement.v5.retrieveCustomer.commandReply",
            "Parameters": '{"id": 1140}',
        },
    )
    schemas.validate(
        "ReplyHeaders",
        {
            "X-Correlation-Id": "4226B739-1DD2-4B43-A393-5E6F05CEF169",
            "Status-Code": "200",
            "X-Request-Channel": "{prefix}.customerManagement.v5.listCustomer.commandRequest",
            "Content-Type": "application/json",
            "X-Total-Count": "12",
            "X-Result-Count": "0",
        },
    )


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Status-Code", "2OO"),
        ("Status-Code", "20"),
        ("X-Total-Count", "-1"),
        ("X-Result-Count", "07"),
    ],
)
def test_reply_header_numbers_are_decimal_strings(header: str, value: str) -> None:
    headers = {
        "X-Correlation-Id": "c",
        "Status-Code": "200",
        "X-Request-Channel": "t",
        header: value,
    }
    assert violation("ReplyHeaders", headers).startswith(f"$['{header}']: ")


def test_notification_headers_name_a_known_event_and_the_resource_version() -> None:
    headers = {
        "eventType": "CustomerCreateEvent",
        "Content-Type": "application/json",
        "X-Resource-Version": "1",
    }
    schemas.validate("NotificationHeaders", headers | {"X-Correlation-Id": "c"})
    assert violation("NotificationHeaders", headers) == (
        "$: 'X-Correlation-Id' is a required property"
    )
    wrong = headers | {"X-Correlation-Id": "c", "eventType": "CustomerMoveEvent"}
    assert violation("NotificationHeaders", wrong).startswith("$.eventType: ")
    unversioned = {k: v for k, v in headers.items() if k != "X-Resource-Version"}
    assert violation("NotificationHeaders", unversioned | {"X-Correlation-Id": "c"}) == (
        "$: 'X-Resource-Version' is a required property"
    )


def test_long_messages_are_shortened() -> None:
    huge = {"name": "x" * 10_000}
    message = violation("CustomerList", huge)
    assert message.startswith("$: ")
    assert len(message) <= 310


def test_violation_chains_the_library_error_without_being_one() -> None:
    with pytest.raises(SchemaViolation) as caught:
        schemas.validate("Customer", [])
    assert type(caught.value) is SchemaViolation
    assert caught.value.status == 400
    assert caught.value.__cause__ is not None


def test_unknown_schema_name_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match="NoSuchThing"):
        schemas.validate("NoSuchThing", {})


def test_registry_reads_nothing_until_first_use(tmp_path: Path) -> None:
    registry = SchemaRegistry(tmp_path / "missing")
    with pytest.raises(InternalError, match="no JSON Schemas"):
        registry.validate("Customer", {})


def test_broken_schema_file_is_an_internal_error(tmp_path: Path) -> None:
    (tmp_path / "Broken.schema.json").write_text('{"type": 5}', encoding="utf-8")
    with pytest.raises(InternalError, match=r"Broken\.schema\.json"):
        SchemaRegistry(tmp_path).validate("Broken", {})


def test_validators_are_compiled_once() -> None:
    registry = SchemaRegistry()
    assert registry.validator("Customer") is registry.validator("Customer")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("@type", "string"),
        ("id", "string"),
        ("name", "string"),
        ("status", "string"),
        ("validFor", "object"),
        ("validFor.startDateTime", "date-time"),
        ("validFor.endDateTime", "date-time"),
        ("engagedParty", "object"),
        ("engagedParty.id", "string"),
        ("engagedParty.@referredType", "string"),
        ("partyRoleSpecification.name", "string"),
        ("contactMedium", "array"),
        ("contactMedium.@type", "string"),
        ("contactMedium.preferred", "boolean"),
        ("contactMedium.city", "string"),
        ("contactMedium.emailAddress", "string"),
        ("contactMedium.phoneNumber", "string"),
        ("contactMedium.faxNumber", "string"),
        ("contactMedium.socialNetworkId", "string"),
        ("contactMedium.geographicAddress.id", "string"),
        ("contactMedium.validFor.startDateTime", "date-time"),
        ("characteristic.name", "string"),
        ("characteristic.value", "any"),
        ("characteristic.characteristicRelationship.relationshipType", "string"),
        ("creditProfile.creditScore", "integer"),
        ("creditProfile.creditRiskRating", "integer"),
        ("creditProfile.creditProfileDate", "date-time"),
        ("account.description", "string"),
        ("agreement.id", "string"),
        ("paymentMethod.id", "string"),
        ("relatedParty.role", "string"),
        ("relatedParty.partyOrPartyRole.id", "string"),
        ("relatedParty.partyOrPartyRole.@referredType", "string"),
        ("topicRef", "string"),
    ],
)
def test_attribute_types_knows_customer_paths(path: str, kind: str) -> None:
    assert schemas.attribute_types()[path] == kind


@pytest.mark.parametrize(
    "path",
    [
        "loyaltyTier",
        "emailAddress",
        "contactMedium.nope",
        "validFor.start",
        "engagedParty.city",
        "contactMedium.0.city",
        "eventId",
        "_id",
    ],
)
def test_attribute_types_does_not_know_other_paths(path: str) -> None:
    assert path not in schemas.attribute_types()


def test_attribute_types_is_computed_once_and_read_only() -> None:
    types = schemas.attribute_types()
    assert types is schemas.attribute_types()
    with pytest.raises(TypeError):
        types["invented"] = "string"  # type: ignore[index]  # proving it is read-only


def test_attribute_types_of_a_recursive_schema_terminates(tmp_path: Path) -> None:
    node = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{schemas.SCHEMA_BASE_URI}Node.schema.json",
        "type": "object",
        "properties": {
            "label": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "Node.schema.json"}},
        },
    }
    (tmp_path / "Node.schema.json").write_text(json.dumps(node), encoding="utf-8")
    assert dict(SchemaRegistry(tmp_path).attribute_types("Node")) == {
        "label": "string",
        "children": "array",
        "children.label": "string",
        "children.children": "array",
    }
