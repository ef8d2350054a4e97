"""The shadow stored beside a customer: its id buckets and the flat values of paths into arrays."""

from __future__ import annotations

import pytest

from customer_async.query.shadow import (
    bucket_path,
    customer_shadow,
    equality_path,
    equality_shadow,
    id_bucket,
    id_buckets,
)

TYPES = {"validFor": "object", "validFor.startDateTime": "date-time"}


def test_a_uuid_is_in_the_bucket_of_its_first_characters_at_every_level() -> None:
    assert id_buckets("0a3f9c1e-5d0b-4b8e-9a57-6a1f0c2d9e11") == {
        "_id1": "0",
        "_id2": "0a",
        "_id3": "0a3",
        "_id4": "0a3f",
    }
    assert bucket_path(3) == "_dt._id3"


@pytest.mark.parametrize(
    ("customer_id", "bucket"),
    [
        ("both", "bfff"),
        ("c7", "c6ff"),
        ("0a-x", "09ff"),
        ("0A3F", "09ff"),
        ("abc", "abbf"),
        ("zz", "ffff"),
        ("Émile", "ffff"),
        ("0", "0000"),
        ("", "0000"),
    ],
)
def test_any_other_id_is_in_the_bucket_of_the_greatest_hex_digits_not_after_it(
    customer_id: str, bucket: str
) -> None:
    """So a bucket's ids still lie between its name and the next bucket's (the first bucket
    also takes every id before `0000`)."""
    assert id_bucket(customer_id) == bucket
    assert bucket <= customer_id or bucket == "0000"
    assert id_buckets(customer_id)["_id2"] == bucket[:2]


def test_paths_into_arrays_keep_every_value_they_reach_once_flat() -> None:
    resource = {
        "contactMedium": [
            {"emailAddress": "a@example.com"},
            {"city": "Paris"},
            {"emailAddress": "a@example.com"},
            {"emailAddress": ["b@example.com", {"not": "a value"}]},
        ],
        "relatedParty": [{"partyOrPartyRole": {"id": "1"}}, {"partyOrPartyRole": {"id": 1}}],
    }
    assert equality_shadow(resource) == {
        "_eq": {
            "contactMedium": {"emailAddress": ["a@example.com", "b@example.com"]},
            "relatedParty": {"partyOrPartyRole": {"id": ["1", 1]}},
        }
    }
    assert equality_path("contactMedium.emailAddress") == "_dt._eq.contactMedium.emailAddress"
    assert equality_shadow({"contactMedium": [{"city": "Paris"}]}) == {}


def test_the_shadow_holds_dates_buckets_and_flat_values_under_keys_no_attribute_has() -> None:
    resource = {
        "id": "ffff0000-0000-0000-0000-000000000000",
        "validFor": {"startDateTime": "2024-01-01T01:00:00+01:00"},
        "contactMedium": [{"emailAddress": "a@example.com"}],
    }
    shadow = customer_shadow(resource, TYPES)
    assert set(shadow) == {"validFor", "_id1", "_id2", "_id3", "_id4", "_eq"}
    assert shadow["validFor"]["startDateTime"].isoformat() == "2024-01-01T00:00:00+00:00"
    assert shadow["_id4"] == "ffff"
