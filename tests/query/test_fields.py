"""The `fields` parameter: parsing, selection, projection."""

from __future__ import annotations

from typing import Any

import pytest

from customer_async.errors import InvalidParameter
from customer_async.query.fields import fields_projection, parse_fields, select_fields

CUSTOMER = {
    "id": "42",
    "href": "http://localhost:8080/tmf-api/customerManagement/v5/customer/42",
    "@type": "Customer",
    "name": "Ann",
    "status": "Approved",
    "statusReason": None,
    "contactMedium": [{"@type": "EmailContactMedium", "emailAddress": "ann@example.com"}],
    "loyaltyTier": "gold",
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("name", {"name"}),
        ("name,status", {"name", "status"}),
        (" name , status ", {"name", "status"}),
        ("name,name", {"name"}),
        (["name", "contactMedium"], {"name", "contactMedium"}),
        ("@type,@baseType", {"@type", "@baseType"}),
        ("loyaltyTier", {"loyaltyTier"}),
        ("noSuchAttribute", {"noSuchAttribute"}),
    ],
)
def test_fields_parse_into_first_level_names(value: Any, expected: set[str]) -> None:
    assert parse_fields(value) == frozenset(expected)


def test_absent_fields_select_everything() -> None:
    assert parse_fields(None) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty attribute name"),
        ("name,", "empty attribute name"),
        ("name,,status", "empty attribute name"),
        ([], "empty array"),
        ([""], "empty attribute name"),
        ("contactMedium.city", "not a first-level attribute"),
        ("_version", "must not start with '$' or '_'"),
        ("$where", "must not start with '$' or '_'"),
        (["name", "_outbox"], "must not start with '$' or '_'"),
        ("name\x00", "NUL"),
        (["name", 5], "comma-separated names or an array of strings"),
        (5, "comma-separated names or an array of strings"),
        ({"name": 1}, "comma-separated names or an array of strings"),
        (True, "comma-separated names or an array of strings"),
    ],
)
def test_bad_fields_are_refused_naming_the_parameter(value: Any, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_fields(value)
    assert caught.value.message.startswith("parameter 'fields': ")
    assert message in caught.value.message


def test_selection_keeps_asked_attributes_with_a_value_and_the_identity() -> None:
    assert select_fields(CUSTOMER, frozenset({"name", "statusReason", "missing"})) == {
        "id": "42",
        "href": CUSTOMER["href"],
        "@type": "Customer",
        "name": "Ann",
    }


def test_selection_keeps_resource_order_and_does_not_touch_the_resource() -> None:
    before = dict(CUSTOMER)
    selected = select_fields(CUSTOMER, frozenset({"loyaltyTier", "contactMedium"}))
    assert list(selected) == ["id", "href", "@type", "contactMedium", "loyaltyTier"]
    assert before == CUSTOMER
    selected["name"] = "changed"
    assert CUSTOMER["name"] == "Ann"


def test_no_selection_returns_a_copy_of_everything() -> None:
    selected = select_fields(CUSTOMER, None)
    assert selected == CUSTOMER
    assert selected is not CUSTOMER


def test_projection_always_fetches_the_identity() -> None:
    assert fields_projection(frozenset({"name", "status"})) == {
        "_id": 1,
        "id": 1,
        "href": 1,
        "@type": 1,
        "name": 1,
        "status": 1,
    }
    assert fields_projection(None) is None
