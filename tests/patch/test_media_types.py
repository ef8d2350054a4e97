"""Choosing the patch format from `Content-Type` and the payload's shape."""

from __future__ import annotations

import re

import pytest

from customer_async.errors import InvalidPatch, UnsupportedContentType
from customer_async.patch import PatchFormat, resolve_patch_format

OBJECT = {"name": "x"}
ARRAY = [{"op": "test", "path": "/name", "value": "x"}]


@pytest.mark.parametrize(
    ("content_type", "payload", "expected"),
    [
        ("application/merge-patch+json", OBJECT, PatchFormat.MERGE),
        ("application/json", OBJECT, PatchFormat.MERGE),
        ("application/json-patch+json", ARRAY, PatchFormat.JSON_PATCH),
        ("application/json-patch-query+json", ARRAY, PatchFormat.JSON_PATCH_QUERY),
        (None, OBJECT, PatchFormat.MERGE),
        (None, ARRAY, PatchFormat.JSON_PATCH),
        ("", OBJECT, PatchFormat.MERGE),
        ("  ", ARRAY, PatchFormat.JSON_PATCH),
        ("application/merge-patch+json; charset=utf-8", OBJECT, PatchFormat.MERGE),
        ("Application/JSON-Patch+JSON ;charset=UTF-8", ARRAY, PatchFormat.JSON_PATCH),
        (" application/json-patch-query+json ", ARRAY, PatchFormat.JSON_PATCH_QUERY),
    ],
)
def test_content_type_names_the_format(
    content_type: str | None, payload: object, expected: PatchFormat
) -> None:
    assert resolve_patch_format(content_type, payload) is expected


def test_format_value_is_its_canonical_media_type() -> None:
    assert PatchFormat.MERGE.value == "application/merge-patch+json"
    assert PatchFormat.JSON_PATCH.value == "application/json-patch+json"
    assert PatchFormat.JSON_PATCH_QUERY.value == "application/json-patch-query+json"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/patch+json", "application/json-patch"],
)
def test_other_content_type_is_415_naming_it(content_type: str) -> None:
    with pytest.raises(UnsupportedContentType, match=re.escape(repr(content_type))) as caught:
        resolve_patch_format(content_type, OBJECT)
    assert caught.value.status == 415


@pytest.mark.parametrize(
    ("content_type", "payload"),
    [
        ("application/merge-patch+json", ARRAY),
        ("application/json", ARRAY),
        ("application/merge-patch+json", "name"),
        ("application/json-patch+json", OBJECT),
        ("application/json-patch-query+json", OBJECT),
        ("application/json-patch+json", None),
        (None, None),
        (None, "x"),
        (None, 3),
        (None, True),
    ],
)
def test_payload_not_of_the_format_shape_is_400(content_type: str | None, payload: object) -> None:
    with pytest.raises(InvalidPatch) as caught:
        resolve_patch_format(content_type, payload)
    assert caught.value.status == 400


def test_unsupported_content_type_wins_over_a_bad_payload() -> None:
    """415 says the most useful thing: the client used a format we do not speak."""
    with pytest.raises(UnsupportedContentType):
        resolve_patch_format("text/plain", None)
