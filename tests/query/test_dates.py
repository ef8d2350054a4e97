"""Date-time parsing and the `_dt` date shadow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from customer_async.query.dates import date_shadow, parse_datetime

TYPES = {
    "name": "string",
    "validFor": "object",
    "validFor.startDateTime": "date-time",
    "validFor.endDateTime": "date-time",
    "contactMedium": "array",
    "contactMedium.city": "string",
    "contactMedium.validFor": "object",
    "contactMedium.validFor.startDateTime": "date-time",
    "creditProfile": "array",
    "creditProfile.creditProfileDate": "date-time",
    "holidays": "date-time",
}

MIDNIGHT = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T00:00:00Z", MIDNIGHT),
        ("2024-01-01T01:00:00+01:00", MIDNIGHT),
        ("2023-12-31T19:00:00-05:00", MIDNIGHT),
        ("2024-01-01T05:30:00+0530", MIDNIGHT),
        ("2024-01-01T00:00Z", MIDNIGHT),
        ("2024-01-01t00:00:00z", MIDNIGHT),
        ("2024-01-01", MIDNIGHT),
        ("2024-01-01T00:00:00", MIDNIGHT),
        (" 2024-01-01T00:00:00Z ", MIDNIGHT),
        ("2024-01-01T00:00:00.000000000Z", MIDNIGHT),
        ("2024-01-01T00:00:00.5Z", MIDNIGHT.replace(microsecond=500000)),
        ("2024-01-01T00:00:00.123456789Z", MIDNIGHT.replace(microsecond=123000)),
        ("2024-01-01T00:00:00.0009Z", MIDNIGHT),
    ],
)
def test_parse_datetime_gives_the_utc_instant_to_the_millisecond(
    text: str, expected: datetime
) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2024-1-1",
        "2024-13-01",
        "2024-02-30",
        "2024-01-01T24:00:00Z",
        "2024-01-01T12",
        "2024-01-01T12:00:00+25:00",
        "2024-01-01 12:00:00Z",
        "2024-W01-1",
        "20240101",
        "0001-01-01T00:00:00+01:00",
        "\uff12\uff10\uff12\uff14-01-01",
    ],
)
def test_parse_datetime_rejects_what_is_not_an_iso_date_time(text: str) -> None:
    with pytest.raises(ValueError, match="date-time"):
        parse_datetime(text)


def test_parsed_instants_compare_chronologically_not_as_text() -> None:
    texts = ["2024-01-01T00:30:00+01:00", "2024-01-01T00:00:00Z", "2023-12-31T23:59:59.999-00:30"]
    assert sorted(texts) != sorted(texts, key=parse_datetime)
    assert [parse_datetime(text) for text in sorted(texts, key=parse_datetime)] == [
        datetime(2023, 12, 31, 23, 30, tzinfo=UTC),
        MIDNIGHT,
        datetime(2024, 1, 1, 0, 29, 59, 999000, tzinfo=UTC),
    ]


def test_shadow_holds_only_date_times_as_instants() -> None:
    resource = {
        "name": "2024-01-01T00:00:00Z",
        "validFor": {"startDateTime": "2024-01-01T01:00:00+01:00", "note": "x"},
    }
    assert date_shadow(resource, TYPES) == {"validFor": {"startDateTime": MIDNIGHT}}


def test_shadow_keeps_arrays_with_empty_placeholders() -> None:
    resource = {
        "contactMedium": [
            {"city": "Paris"},
            {"city": "Lyon", "validFor": {"startDateTime": "2024-01-01T00:00:00Z"}},
        ],
    }
    assert date_shadow(resource, TYPES) == {
        "contactMedium": [{}, {"validFor": {"startDateTime": MIDNIGHT}}],
    }


def test_shadow_drops_branches_without_dates() -> None:
    resource = {
        "name": "Ann",
        "validFor": {},
        "contactMedium": [{"city": "Paris", "validFor": {}}],
        "creditProfile": [],
    }
    assert date_shadow(resource, TYPES) == {}


def test_shadow_leaves_out_unparseable_and_non_string_dates() -> None:
    resource = {
        "validFor": {"startDateTime": "soon", "endDateTime": 20240101},
        "creditProfile": [{"creditProfileDate": "2024-01-01"}, {"creditProfileDate": None}],
    }
    assert date_shadow(resource, TYPES) == {
        "creditProfile": [{"creditProfileDate": MIDNIGHT}, {}],
    }


def test_shadow_of_an_array_of_date_times_is_an_array_of_instants() -> None:
    resource = {"holidays": ["2024-01-01", "not a date", "2024-01-01T01:00:00+01:00"]}
    assert date_shadow(resource, TYPES) == {"holidays": [MIDNIGHT, MIDNIGHT]}


def test_shadow_ignores_attributes_the_types_do_not_know() -> None:
    resource = {"extension": {"when": "2024-01-01T00:00:00Z"}}
    assert date_shadow(resource, TYPES) == {}
