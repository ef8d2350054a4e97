"""Attribute paths in dot notation: what a client may name, and where the store keeps it.

A path such as `contactMedium.city` names an attribute through objects and arrays alike (MongoDB
dot notation reaches into arrays). Clients can never name internal bookkeeping: no segment may be
empty, start with `$` (an operator) or `_` (internal), or contain a NUL (not a valid BSON key).
Date-time attributes are filtered and sorted through the date shadow `_dt.<path>`.
"""

from __future__ import annotations

from collections.abc import Mapping

DATE_SHADOW = "_dt"
"""Top-level store field holding the shadow: date-times as instants (`customer_async.query.dates`)
and id buckets (`customer_async.query.shadow`)."""

COMPARABLE_TYPES = frozenset({"string", "date-time", "integer", "number", "boolean", "any"})
"""Attribute types whose values can be compared; `object` and `array` cannot."""


def check_segment(segment: str) -> None:
    """Raise `ValueError` (with the reason) if `segment` is not a name a client may use."""
    if not segment:
        raise ValueError("empty attribute name")
    if segment[0] in "$_":
        raise ValueError(f"attribute name {segment!r} must not start with '$' or '_'")
    if "\x00" in segment:
        raise ValueError("attribute name must not contain NUL")


def split_path(path: str) -> list[str]:
    """The segments of a dotted path, each checked by `check_segment`."""
    segments = path.split(".")
    for segment in segments:
        check_segment(segment)
    return segments


def comparable_type(path: str, types: Mapping[str, str]) -> str:
    """The schema type of `path`, which must be known and comparable, else `ValueError`."""
    kind = types.get(path)
    if kind is None:
        raise ValueError(f"unknown attribute {path!r}")
    if kind not in COMPARABLE_TYPES:
        raise ValueError(f"attribute {path!r} is of type {kind} and cannot be compared")
    return kind


def store_path(path: str, kind: str) -> str:
    """Where the store keeps the comparable value of `path`: `_dt.<path>` for date-times."""
    return f"{DATE_SHADOW}.{path}" if kind == "date-time" else path


def through_objects(path: str, types: Mapping[str, str]) -> bool:
    """Whether the store path `path` reaches through objects only, never into an array (or a
    value of any type), so that it names at most one place in a customer.

    A path under the shadow (`_dt.<attribute path>`) is judged by its attribute path, since the
    shadow mirrors the resource; the store's own fields (`_id`, the shadow's `_`-keys) reach no
    array on the way to their leaf.
    """
    if path.startswith(f"{DATE_SHADOW}."):
        path = path[len(DATE_SHADOW) + 1 :]
    segments = path.split(".")
    if segments[0].startswith("_"):
        return True  # the store's own tree (id buckets, flat values): objects down to the leaf
    return all(types.get(".".join(segments[:end])) == "object" for end in range(1, len(segments)))
