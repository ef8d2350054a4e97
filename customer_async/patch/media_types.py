"""The patch media types, and which patch format a request's `Content-Type` and payload name.

| Content-Type                        | format           | payload |
|-------------------------------------|------------------|---------|
| `application/merge-patch+json`      | MERGE            | object  |
| `application/json`                  | MERGE            | object  |
| `application/json-patch+json`       | JSON_PATCH       | array   |
| `application/json-patch-query+json` | JSON_PATCH_QUERY | array   |
| absent (or blank)                   | MERGE for an object, JSON_PATCH for an array |

Media-type parameters (`; charset=utf-8`) are ignored and the type is matched case-insensitively,
as RFC 9110 makes type and subtype case-insensitive.
"""

from __future__ import annotations

from enum import StrEnum

from customer_async.errors import InvalidPatch, UnsupportedContentType
from customer_async.types import JSON

MERGE_PATCH = "application/merge-patch+json"
"""RFC 7386 JSON Merge Patch."""

PLAIN_JSON = "application/json"
"""Plain JSON, read as a merge patch (the seed's `PatchCustomerJsonRequest`)."""

JSON_PATCH = "application/json-patch+json"
"""RFC 6902 JSON Patch."""

JSON_PATCH_QUERY = "application/json-patch-query+json"
"""JSON Patch whose paths may select array elements with `?attr=value&…`."""


class PatchFormat(StrEnum):
    """How a patch payload is applied; the value is the format's canonical media type."""

    MERGE = MERGE_PATCH
    JSON_PATCH = JSON_PATCH
    JSON_PATCH_QUERY = JSON_PATCH_QUERY


_FORMAT_OF_MEDIA_TYPE = {
    MERGE_PATCH: PatchFormat.MERGE,
    PLAIN_JSON: PatchFormat.MERGE,
    JSON_PATCH: PatchFormat.JSON_PATCH,
    JSON_PATCH_QUERY: PatchFormat.JSON_PATCH_QUERY,
}


def resolve_patch_format(content_type: str | None, payload: JSON) -> PatchFormat:
    """The format the request's `Content-Type` names, or the default for the payload's shape.

    Raises `UnsupportedContentType` (415) for any other media type, and `InvalidPatch` (400)
    when the payload is not the shape its format needs (an object for a merge patch, an array
    for JSON Patch and JSON Patch Query).
    """
    media_type = _media_type(content_type)
    if media_type is None:
        patch_format = _default_format(payload)
    else:
        found = _FORMAT_OF_MEDIA_TYPE.get(media_type)
        if found is None:
            raise UnsupportedContentType(
                f"Content-Type {content_type!r} is not a patch format; use one of "
                f"{MERGE_PATCH}, {PLAIN_JSON}, {JSON_PATCH}, {JSON_PATCH_QUERY}"
            )
        patch_format = found
    _check_shape(patch_format, payload)
    return patch_format


def _media_type(content_type: str | None) -> str | None:
    """The bare, lower-case media type of a `Content-Type` value; None when absent or blank."""
    if content_type is None:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    # A blank header is what a console producer sends when it means "no Content-Type".
    return media_type or None


def _default_format(payload: JSON) -> PatchFormat:
    if isinstance(payload, dict):
        return PatchFormat.MERGE
    if isinstance(payload, list):
        return PatchFormat.JSON_PATCH
    raise InvalidPatch(
        "a patch must be a JSON object (merge patch) or a JSON array (JSON Patch), "
        f"not {_json_kind(payload)}"
    )


def _check_shape(patch_format: PatchFormat, payload: JSON) -> None:
    if patch_format is PatchFormat.MERGE:
        if not isinstance(payload, dict):
            raise InvalidPatch(f"a merge patch must be a JSON object, not {_json_kind(payload)}")
    elif not isinstance(payload, list):
        raise InvalidPatch(
            f"a {patch_format.value} patch must be a JSON array of operations, "
            f"not {_json_kind(payload)}"
        )


def _json_kind(value: JSON) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null (or an empty value)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
