"""Filter parameters to MongoDB filters: operators, OR and AND, coercion, errors, injection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from customer_async.errors import FilterParseError
from customer_async.query.filters import EMITTED_OPERATORS, build_filter

TYPES = {
    "id": "string",
    "name": "string",
    "status": "string",
    "@type": "string",
    "validFor": "object",
    "validFor.startDateTime": "date-time",
    "engagedParty": "object",
    "engagedParty.id": "string",
    "contactMedium": "array",
    "contactMedium.city": "string",
    "contactMedium.preferred": "boolean",
    "creditProfile": "array",
    "creditProfile.creditScore": "integer",
    "characteristic": "array",
    "characteristic.value": "any",
    "rating": "number",
}

MIDNIGHT = datetime(2024, 1, 1, tzinfo=UTC)


def only(params: dict[str, Any], max_regex_length: int = 256) -> dict[str, Any]:
    """The single condition `params` translate to."""
    result = build_filter(params, TYPES, max_regex_length=max_regex_length)
    assert list(result) == ["$and"]
    [condition] = result["$and"]
    assert isinstance(condition, dict)
    return condition


def operators_in(value: Any) -> Iterator[str]:
    """Every `$…` key anywhere in a filter."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$"):
                yield key
            yield from operators_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from operators_in(item)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("name", {"name": {"$eq": "Ann"}}),
        ("name.eq", {"name": {"$eq": "Ann"}}),
        ("name.ne", {"$nor": [{"name": {"$eq": "Ann"}}]}),
        ("name.gt", {"name": {"$gt": "Ann"}}),
        ("name.gte", {"name": {"$gte": "Ann"}}),
        ("name.lt", {"name": {"$lt": "Ann"}}),
        ("name.lte", {"name": {"$lte": "Ann"}}),
        ("name.regex", {"name": {"$regex": "Ann"}}),
        ("contactMedium.city", {"contactMedium.city": {"$eq": "Ann"}}),
        ("engagedParty.id.ne", {"$nor": [{"engagedParty.id": {"$eq": "Ann"}}]}),
    ],
)
def test_each_operator_has_its_mongo_operator(key: str, expected: dict[str, Any]) -> None:
    assert only({key: "Ann"}) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "Ann,Bob"}, {"name": {"$in": ["Ann", "Bob"]}}),
        ({"name": ["Ann", "Bob"]}, {"name": {"$in": ["Ann", "Bob"]}}),
        ({"name.eq": ["Ann"]}, {"name": {"$eq": "Ann"}}),
        ({"name.ne": "Ann,Bob"}, {"$nor": [{"name": {"$in": ["Ann", "Bob"]}}]}),
        ({"name.ne": ["Ann", "Bob"]}, {"$nor": [{"name": {"$in": ["Ann", "Bob"]}}]}),
        (
            {"creditProfile.creditScore.gt": "1,2"},
            {
                "$or": [
                    {"creditProfile.creditScore": {"$gt": 1}},
                    {"creditProfile.creditScore": {"$gt": 2}},
                ]
            },
        ),
        (
            {"name.lte": ["A", "B"]},
            {"$or": [{"name": {"$lte": "A"}}, {"name": {"$lte": "B"}}]},
        ),
        (
            {"name.regex": ["^A", "b$"]},
            {"$or": [{"name": {"$regex": "^A"}}, {"name": {"$regex": "b$"}}]},
        ),
        (
            {"name.regex": "^A,b$"},
            {"$or": [{"name": {"$regex": "^A"}}, {"name": {"$regex": "b$"}}]},
        ),
    ],
)
def test_commas_and_arrays_mean_or(params: dict[str, Any], expected: dict[str, Any]) -> None:
    assert only(params) == expected


def test_array_elements_are_taken_whole_so_a_comma_can_be_matched() -> None:
    assert only({"name": ["Smith, John", "Lee"]}) == {"name": {"$in": ["Smith, John", "Lee"]}}
    assert only({"name.regex": ["a{1,3}"]}) == {"name": {"$regex": "a{1,3}"}}


def test_separate_keys_are_anded_and_never_overwrite_each_other() -> None:
    params = {"name.gte": "A", "name.lt": "M", "status": "Approved", "limit": 5, "sort": "name"}
    assert build_filter(params, TYPES, max_regex_length=256) == {
        "$and": [
            {"name": {"$gte": "A"}},
            {"name": {"$lt": "M"}},
            {"status": {"$eq": "Approved"}},
        ]
    }


@pytest.mark.parametrize(
    "params",
    [{}, {"fields": "name", "offset": 0, "limit": 10, "pageLimit": 10, "sort": "-name"}],
)
def test_no_filter_parameters_give_an_empty_filter(params: dict[str, Any]) -> None:
    assert build_filter(params, TYPES, max_regex_length=256) == {}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("creditProfile.creditScore", "5", 5),
        ("creditProfile.creditScore", " -7 ", -7),
        ("creditProfile.creditScore", "+3", 3),
        ("creditProfile.creditScore", 5, 5),
        ("creditProfile.creditScore", 5.0, 5),
        ("creditProfile.creditScore", 2**63 - 1, 2**63 - 1),
        ("rating", "2.5", 2.5),
        ("rating", "3", 3),
        ("rating", "1e3", 1000.0),
        ("rating", ".5", 0.5),
        ("rating", 7, 7),
        ("rating", 2**70, float(2**70)),
        ("contactMedium.preferred", "true", True),
        ("contactMedium.preferred", "false", False),
        ("contactMedium.preferred", True, True),
        ("contactMedium.preferred", False, False),
        ("id", 42, "42"),
        ("name", 1.5, "1.5"),
        ("name", "", ""),
        ("name", " spaced ", " spaced "),
        ("characteristic.value", 5, 5),
        ("characteristic.value", "5", "5"),
        ("characteristic.value", True, True),
    ],
)
def test_values_are_coerced_to_the_attribute_type(key: str, value: Any, expected: Any) -> None:
    condition = only({key: value})
    [(path, test)] = condition.items()
    assert path == key
    assert test == {"$eq": expected}
    assert type(test["$eq"]) is type(expected)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T00:00:00Z",
        "2024-01-01T01:00:00+01:00",
        "2023-12-31T18:30:00-05:30",
        "2024-01-01T00:00:00.000+00:00",
        "2024-01-01",
    ],
)
def test_date_times_become_instants_on_the_date_shadow(text: str) -> None:
    assert only({"validFor.startDateTime": text}) == {
        "_dt.validFor.startDateTime": {"$eq": MIDNIGHT}
    }


def test_date_time_ordering_uses_instants() -> None:
    condition = only({"validFor.startDateTime.gt": "2024-01-01T01:00:00+01:00,2023-06-01"})
    assert condition == {
        "$or": [
            {"_dt.validFor.startDateTime": {"$gt": MIDNIGHT}},
            {"_dt.validFor.startDateTime": {"$gt": datetime(2023, 6, 1, tzinfo=UTC)}},
        ]
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"nickname": "x"}, "unknown attribute 'nickname'"),
        ({"contactMedium.town": "x"}, "unknown attribute 'contactMedium.town'"),
        ({"validFor.like": "x"}, "unknown attribute 'validFor.like'"),
        ({"name.like": "x"}, "unknown operator 'like'"),
        ({"name.in": "x"}, "unknown operator 'in'"),
        ({"name.eq.ne": "x"}, "unknown attribute 'name.eq'"),
        ({"validFor": "x"}, "cannot be compared"),
        ({"contactMedium": "x"}, "cannot be compared"),
        ({"contactMedium.eq": "x"}, "cannot be compared"),
        ({"contactMedium.preferred.gt": "true"}, "does not apply to boolean"),
        ({"creditProfile.creditScore.regex": "1"}, "applies to strings"),
        ({"validFor.startDateTime.regex": "2024"}, "applies to strings"),
        ({"creditProfile.creditScore": "abc"}, "not an integer"),
        ({"creditProfile.creditScore": "5.5"}, "not an integer"),
        ({"creditProfile.creditScore": 5.5}, "not an integer"),
        ({"creditProfile.creditScore": True}, "not an integer"),
        ({"creditProfile.creditScore": "1_000"}, "not an integer"),
        ({"creditProfile.creditScore": "\u0663"}, "not an integer"),
        ({"creditProfile.creditScore": ""}, "not an integer"),
        ({"creditProfile.creditScore": 2**63}, "64-bit"),
        ({"creditProfile.creditScore": "1,x"}, "not an integer"),
        ({"rating": "nan"}, "not a number"),
        ({"rating": "inf"}, "not a number"),
        ({"rating": float("nan")}, "not a finite number"),
        ({"rating": float("inf")}, "not a finite number"),
        ({"rating": "1e999"}, "out of range"),
        ({"rating": False}, "not a number"),
        ({"contactMedium.preferred": "yes"}, "not a boolean"),
        ({"contactMedium.preferred": "True"}, "not a boolean"),
        ({"contactMedium.preferred": 1}, "not a boolean"),
        ({"validFor.startDateTime": "soon"}, "not an ISO 8601 date-time"),
        ({"validFor.startDateTime": 20240101}, "not a date-time string"),
        ({"name": True}, "not a string"),
        ({"name": None}, "must not be null"),
        ({"name": []}, "empty array"),
        ({"name": [["Ann"]]}, "must be a string, number or boolean"),
        ({"name": "Ann,,Bob"}, "empty value"),
        ({"name": "Ann,"}, "empty value"),
        ({"characteristic.value": 2**64}, "64-bit"),
        ({"characteristic.value.regex": 5}, "not a string"),
    ],
)
def test_bad_filters_are_refused_naming_the_key(params: dict[str, Any], message: str) -> None:
    [key] = params
    with pytest.raises(FilterParseError) as caught:
        build_filter(params, TYPES, max_regex_length=256)
    assert caught.value.message.startswith(f"filter {key!r}: ")
    assert message in caught.value.message


@pytest.mark.parametrize(
    "params",
    [
        {"name": {"$ne": None}},
        {"name": {"$regex": ".*"}},
        {"name": [{"$gt": ""}]},
        {"name.ne": {"$in": []}},
        {"$where": "sleep(1000)"},
        {"$or": [{"name": "Ann"}]},
        {"name.$gt": ""},
        {"name.$ne": "x"},
        {"contactMedium.$.city": "Paris"},
        {"_version": 1},
        {"_id": "42"},
        {"_deleted": "true"},
        {"_dt.validFor.startDateTime": "2024-01-01"},
        {"engagedParty._id": "x"},
        {"name..eq": "x"},
        {"": "x"},
        {".name": "x"},
        {"name.": "x"},
        {"name\x00": "x"},
        {"name.regex": "(unclosed"},
        {"name.regex": "[a-"},
        {"name.regex": "a" * 257},
        {"name.regex": ["^A", "b" * 300]},
    ],
)
def test_injection_attempts_are_refused(params: dict[str, Any]) -> None:
    [key] = params
    with pytest.raises(FilterParseError, match="filter ") as caught:
        build_filter(params, TYPES, max_regex_length=256)
    assert repr(key) in caught.value.message


def test_refusal_is_a_400_invalid_filter() -> None:
    with pytest.raises(FilterParseError) as caught:
        build_filter({"$where": "1"}, TYPES, max_regex_length=256)
    assert caught.value.to_tmf()["status"] == "400"
    assert caught.value.code == "INVALID_FILTER"


def test_regex_length_bound_is_inclusive() -> None:
    assert only({"name.regex": "a" * 8}, max_regex_length=8) == {"name": {"$regex": "a" * 8}}
    with pytest.raises(FilterParseError, match="longer than 8 characters"):
        build_filter({"name.regex": "a" * 9}, TYPES, max_regex_length=8)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"name": "$where"}, {"name": {"$eq": "$where"}}),
        ({"name": "$ne,$gt"}, {"name": {"$in": ["$ne", "$gt"]}}),
        ({"name.ne": "$exists"}, {"$nor": [{"name": {"$eq": "$exists"}}]}),
        ({"name.regex": "^\\$where"}, {"name": {"$regex": "^\\$where"}}),
        ({"contactMedium.city.gt": '{"$gt": ""}'}, {"contactMedium.city": {"$gt": '{"$gt": ""}'}}),
    ],
)
def test_dollar_strings_stay_data_under_an_explicit_operator(
    params: dict[str, Any], expected: dict[str, Any]
) -> None:
    condition = only(params)
    assert condition == expected
    assert set(operators_in(condition)) <= EMITTED_OPERATORS


def test_a_last_segment_named_like_an_operator_is_always_the_operator() -> None:
    types = {"settings": "object", "settings.eq": "string"}
    with pytest.raises(FilterParseError, match="cannot be compared"):
        build_filter({"settings.eq": "x"}, types, max_regex_length=256)
    assert build_filter({"settings.eq.eq": "x"}, types, max_regex_length=256) == {
        "$and": [{"settings.eq": {"$eq": "x"}}]
    }
