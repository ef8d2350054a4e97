"""Properties over generated customers and filters: the translation is total, safe and faithful.

Faithful is checked against `tests.query.reference` through a model of MongoDB matching; the
same comparison against the real store lives with the store's end-to-end tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from customer_async.query.dates import date_shadow, parse_datetime
from customer_async.query.filters import EMITTED_OPERATORS, build_filter
from customer_async.query.paging import parse_sort
from tests.query import reference
from tests.query.mongo_model import find_matches, stored
from tests.query.strategies import (
    CUSTOMER_TYPES,
    customers,
    date_time_texts,
    filter_params,
    instants,
)


def keys_in(value: Any) -> Iterator[str]:
    """Every key anywhere in a filter."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from keys_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from keys_in(item)


@given(filter_params())
def test_valid_filters_translate_and_emit_only_allowed_operators(params: dict[str, Any]) -> None:
    result = build_filter(params, CUSTOMER_TYPES, max_regex_length=256)
    assert len(result["$and"]) == len(params)
    for key in keys_in(result):
        if key.startswith("$"):
            assert key in EMITTED_OPERATORS
        else:
            path = key.removeprefix("_dt.")
            assert CUSTOMER_TYPES[path] in ("string", "integer", "boolean", "date-time")
            assert (path != key) == (CUSTOMER_TYPES[path] == "date-time")


@given(customers(), filter_params())
def test_translation_matches_the_reference(
    customer: dict[str, Any], params: dict[str, Any]
) -> None:
    query = build_filter(params, CUSTOMER_TYPES, max_regex_length=256)
    expected = reference.matches(customer, params, CUSTOMER_TYPES)
    assert find_matches(stored(customer, CUSTOMER_TYPES), query) == expected


@given(instants(), st.data())
def test_any_rendering_of_an_instant_parses_back_to_it(
    moment: datetime, data: st.DataObject
) -> None:
    text = data.draw(date_time_texts(moment, seconds_optional=True))
    assert parse_datetime(text) == moment
    assert reference.instant(text) == moment


@given(st.lists(instants(), min_size=2, max_size=5), st.data())
def test_parsed_renderings_sort_chronologically(
    moments: list[datetime], data: st.DataObject
) -> None:
    texts = [data.draw(date_time_texts(moment)) for moment in moments]
    assert sorted(parse_datetime(text) for text in texts) == sorted(moments)


@given(customers())
def test_shadow_holds_aware_utc_instants_of_the_date_attributes(customer: dict[str, Any]) -> None:
    shadow = date_shadow(customer, CUSTOMER_TYPES)
    for path, kind in CUSTOMER_TYPES.items():
        segments = path.split(".")
        found = list(reference.reach(shadow, segments))
        if kind == "date-time":
            assert found == [
                reference.instant(text) for text in reference.reach(customer, segments)
            ]
            assert all(moment.utcoffset() == timedelta(0) for moment in found)
            assert all(moment.tzinfo is UTC for moment in found)
        elif kind not in ("object", "array"):
            assert found == []


@given(st.lists(st.sampled_from(["name", "status", "id", "validFor.startDateTime"]), unique=True))
def test_sort_always_ends_in_a_unique_tiebreak(paths: list[str]) -> None:
    keys = parse_sort(",".join(f"-{path}" for path in paths) or None, CUSTOMER_TYPES)
    assert keys[-1] == ("_id", -1 if "id" in paths else 1)
    assert [field for field, _ in keys].count("_id") == 1
