"""Paging (`offset`, `limit`, `pageLimit`) and ordering (`sort`)."""

from __future__ import annotations

from typing import Any

import pytest

from customer_async.errors import InvalidParameter
from customer_async.query.paging import DEFAULT_SORT, Page, parse_page, parse_sort

TYPES = {
    "id": "string",
    "name": "string",
    "status": "string",
    "@type": "string",
    "validFor": "object",
    "validFor.startDateTime": "date-time",
    "contactMedium": "array",
    "contactMedium.city": "string",
    "creditProfile.creditScore": "integer",
    "characteristic.value": "any",
}


def page(**params: Any) -> Page:
    return parse_page(params, default_limit=100, max_limit=1000)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, Page(0, 100)),
        ({"offset": 20}, Page(20, 100)),
        ({"offset": "20", "limit": "10"}, Page(20, 10)),
        ({"offset": " 7 ", "limit": "+10"}, Page(7, 10)),
        ({"limit": 1000}, Page(0, 1000)),
        ({"limit": 1}, Page(0, 1)),
        ({"limit": 10.0}, Page(0, 10)),
        ({"pageLimit": 30}, Page(0, 30)),
        ({"limit": 30, "pageLimit": "30"}, Page(0, 30)),
        ({"offset": None, "limit": None}, Page(0, 100)),
        ({"limit": None, "pageLimit": 5}, Page(0, 5)),
        ({"offset": 10**12}, Page(10**12, 100)),
    ],
)
def test_page_parameters(params: dict[str, Any], expected: Page) -> None:
    assert page(**params) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"offset": -1}, "parameter 'offset' must be 0 or more"),
        ({"offset": "-5"}, "parameter 'offset' must be 0 or more"),
        ({"offset": 2**63}, "parameter 'offset' must be 0 or more"),
        ({"limit": 0}, "parameter 'limit' must be from 1 to 1000"),
        ({"limit": 1001}, "parameter 'limit' must be from 1 to 1000"),
        ({"limit": -3}, "parameter 'limit' must be from 1 to 1000"),
        ({"pageLimit": 5000}, "parameter 'pageLimit' must be from 1 to 1000"),
        ({"limit": "ten"}, "parameter 'limit' must be an integer"),
        ({"limit": "1.5"}, "parameter 'limit' must be an integer"),
        ({"limit": 1.5}, "parameter 'limit' must be an integer"),
        ({"limit": True}, "parameter 'limit' must be an integer"),
        ({"limit": ""}, "parameter 'limit' must be an integer"),
        ({"limit": [10]}, "parameter 'limit' must be an integer"),
        ({"offset": "1e3"}, "parameter 'offset' must be an integer"),
        ({"offset": "\u0661"}, "parameter 'offset' must be an integer"),
        ({"pageLimit": {}}, "parameter 'pageLimit' must be an integer"),
        ({"limit": 10, "pageLimit": 20}, "'limit' and 'pageLimit' differ"),
    ],
)
def test_bad_page_parameters_are_refused(params: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        page(**params)
    assert message in caught.value.message


def test_the_configured_maximum_bounds_the_limit() -> None:
    assert parse_page({"limit": 5}, default_limit=3, max_limit=5) == Page(0, 5)
    assert parse_page({}, default_limit=3, max_limit=5) == Page(0, 3)
    with pytest.raises(InvalidParameter, match="from 1 to 5"):
        parse_page({"limit": 6}, default_limit=3, max_limit=5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, [("_id", 1)]),
        ("name", [("name", 1), ("_id", 1)]),
        ("-name", [("name", -1), ("_id", 1)]),
        ("+name", [("name", 1), ("_id", 1)]),
        ("name,-status", [("name", 1), ("status", -1), ("_id", 1)]),
        (" name , -status ", [("name", 1), ("status", -1), ("_id", 1)]),
        (["-name", "status"], [("name", -1), ("status", 1), ("_id", 1)]),
        ("-validFor.startDateTime", [("_dt.validFor.startDateTime", -1), ("_id", 1)]),
        ("contactMedium.city", [("contactMedium.city", 1), ("_id", 1)]),
        ("characteristic.value", [("characteristic.value", 1), ("_id", 1)]),
        ("id", [("id", 1), ("_id", 1)]),
        ("-id", [("id", -1), ("_id", -1)]),
        ("status,-id", [("status", 1), ("id", -1), ("_id", -1)]),
    ],
)
def test_sort_always_ends_in_the_unique_id(value: Any, expected: list[tuple[str, int]]) -> None:
    keys = parse_sort(value, TYPES)
    assert keys == expected
    assert keys[-1][0] == "_id"


def test_default_sort_is_by_id() -> None:
    assert parse_sort(None, TYPES) == list(DEFAULT_SORT) == [("_id", 1)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nickname", "unknown attribute 'nickname'"),
        ("-nickname", "unknown attribute 'nickname'"),
        ("validFor", "cannot be compared"),
        ("contactMedium", "cannot be compared"),
        ("_id", "must not start with '$' or '_'"),
        ("-_version", "must not start with '$' or '_'"),
        ("$natural", "must not start with '$' or '_'"),
        ("name.$", "must not start with '$' or '_'"),
        ("", "empty attribute name"),
        ("-", "empty attribute name"),
        ("name,", "empty attribute name"),
        ("--name", "unknown attribute '-name'"),
        ("name,-name", "'name' is given more than once"),
        ("name,+name", "'name' is given more than once"),
        ([], "comma-separated attribute paths or an array"),
        (["name", 1], "comma-separated attribute paths or an array"),
        (5, "comma-separated attribute paths or an array"),
        ({"name": 1}, "comma-separated attribute paths or an array"),
    ],
)
def test_bad_sort_is_refused_naming_the_parameter(value: Any, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_sort(value, TYPES)
    assert caught.value.message.startswith("parameter 'sort'")
    assert message in caught.value.message
