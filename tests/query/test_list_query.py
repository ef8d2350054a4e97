"""`parse_list_query`: one list command's parameters in store terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from customer_async.errors import FilterParseError, InvalidParameter
from customer_async.query import RESERVED_PARAMETERS, ListQuery, parse_list_query
from customer_async.settings import Settings

TYPES = {
    "id": "string",
    "name": "string",
    "validFor": "object",
    "validFor.startDateTime": "date-time",
    "contactMedium": "array",
    "contactMedium.city": "string",
}


@dataclass(frozen=True)
class Limits:
    default_limit: int = 2
    max_limit: int = 3
    max_regex_length: int = 4


def test_reserved_parameters_are_the_contracts() -> None:
    assert frozenset({"fields", "offset", "limit", "pageLimit", "sort"}) == RESERVED_PARAMETERS


def test_a_full_list_command() -> None:
    params = {
        "fields": "name",
        "offset": "4",
        "limit": 50,
        "sort": "-validFor.startDateTime",
        "contactMedium.city": "Paris,Lyon",
        "validFor.startDateTime.lt": "2024-01-01T01:00:00+01:00",
    }
    query = parse_list_query(params, TYPES, Settings(default_limit=100, max_limit=1000))
    assert query == ListQuery(
        filter={
            "$and": [
                {"contactMedium.city": {"$in": ["Paris", "Lyon"]}},
                {"_dt.validFor.startDateTime": {"$lt": datetime(2024, 1, 1, tzinfo=UTC)}},
            ]
        },
        sort=[("_dt.validFor.startDateTime", -1), ("_id", 1)],
        offset=4,
        limit=50,
        fields=frozenset({"name"}),
    )
    assert query.projection == {"_id": 1, "id": 1, "href": 1, "@type": 1, "name": 1}


def test_an_empty_list_command_gets_the_defaults() -> None:
    query = parse_list_query({}, TYPES, Limits())
    assert query == ListQuery(filter={}, sort=[("_id", 1)], offset=0, limit=2, fields=None)
    assert query.projection is None


def test_limits_come_from_the_given_bounds() -> None:
    with pytest.raises(InvalidParameter, match="from 1 to 3"):
        parse_list_query({"limit": 4}, TYPES, Limits())
    with pytest.raises(FilterParseError, match="longer than 4"):
        parse_list_query({"name.regex": "abcde"}, TYPES, Limits())


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"offset": -1}, InvalidParameter),
        ({"sort": "nickname"}, InvalidParameter),
        ({"fields": "_outbox"}, InvalidParameter),
        ({"nickname": "x"}, FilterParseError),
    ],
)
def test_each_part_reports_its_own_error(params: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_list_query(params, TYPES, Limits())
