"""The shadow: what the store keeps beside a customer for lists to compare instead of the resource.

It is stored as one tree in the top-level field `_dt` (`paths.DATE_SHADOW`) and holds:

- the customer's date-times as instants (`dates.date_shadow`), at the attribute's own path;
- its **id buckets**: under `_id1` … `_id4` (keys no attribute can have, as attribute names never
  start with `_`), the first 1 … 4 characters of its id;
- under `_eq.<path>`, every value reached by each of `EQUALITY_PATHS` (paths into arrays), as one
  flat array: an equality on such a path is then one containment a store can push down and index
  (`_jsonb #> '{_dt,_eq,contactMedium,emailAddress}' @> '"a@b"'` on FerretDB), where the path
  itself, through an array, is not.

Id buckets let a store that pushes down nothing but equalities (FerretDB v1: no range, no sort,
no limit once a filter is given) read customers in id order a slice at a time: the customers of
bucket `0a3` at level 3 are one indexed equality, and in id order all of them come after those of
`0a2` and before those of `0a4`. Ids the service creates are UUIDs, lowercase hex digits spread
evenly, so each of the 16**L buckets of level L holds about 1/16**L of the customers. Any other
id (tests store such) is in the buckets of the greatest four hex digits not after it (`both` in
`bfff`; one before `0000` in `0000`), which keeps every bucket's ids between it and the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from customer_async.query.dates import date_shadow
from customer_async.query.paths import DATE_SHADOW
from customer_async.types import Document

LEVELS: Final = 4
"""Id bucket levels kept: level L has 16**L buckets (level 0, one bucket, needs no field)."""

DIGITS: Final = "0123456789abcdef"
"""The characters of a bucket name, in the order ids sort."""


def bucket_key(level: int) -> str:
    """The shadow key holding the level's bucket name (`_id3`)."""
    if not 1 <= level <= LEVELS:
        raise ValueError(f"no id bucket level {level}")
    return f"_id{level}"


def bucket_path(level: int) -> str:
    """The store path of the level's bucket name (`_dt._id3`)."""
    return f"{DATE_SHADOW}.{bucket_key(level)}"


def id_bucket(customer_id: str) -> str:
    """The greatest `LEVELS` hex digits not after the id (its first ones, for a UUID), or
    `0000` when every such string is after it."""
    chosen = ""
    for char in customer_id[:LEVELS]:
        if char in DIGITS:
            chosen += char
            continue
        lower = [digit for digit in DIGITS if digit < char]
        if lower:  # the greatest digit before this character, then anything
            return (chosen + lower[-1]).ljust(LEVELS, "f")
        break
    if len(chosen) == LEVELS:
        return chosen
    # The id ends (or goes below every digit) here: one digit earlier must be smaller.
    for place in range(len(chosen) - 1, -1, -1):
        digit = DIGITS.index(chosen[place])
        if digit > 0:
            return (chosen[:place] + DIGITS[digit - 1]).ljust(LEVELS, "f")
    return "0" * LEVELS


def id_buckets(customer_id: str) -> dict[str, str]:
    """The id's bucket at every level: `{"_id1": "0", "_id2": "0a", …}`."""
    bucket = id_bucket(customer_id)
    return {bucket_key(level): bucket[:level] for level in range(1, LEVELS + 1)}


EQUALITY_PATHS: Final = ("relatedParty.partyOrPartyRole.id", "contactMedium.emailAddress")
"""Paths into arrays that lists filter on by equality (ids of related parties, email addresses)."""

EQUALITY_SHADOW: Final = "_eq"
"""The shadow key under which `EQUALITY_PATHS` keep their values."""


def equality_path(path: str) -> str:
    """The store path of the flat values of one of `EQUALITY_PATHS` (`_dt._eq.<path>`)."""
    return f"{DATE_SHADOW}.{EQUALITY_SHADOW}.{path}"


def equality_shadow(resource: Mapping[str, Any]) -> Document:
    """`{"_eq": {...}}`: for each of `EQUALITY_PATHS` that reaches a value, every scalar value it
    reaches (through arrays and arrays of values, as a MongoDB equality does), each once."""
    tree: Document = {}
    for path in EQUALITY_PATHS:
        values: list[Any] = []
        seen: set[tuple[str, Any]] = set()
        for value in _reached(resource, path.split(".")):
            if (type(value).__name__, value) not in seen:
                seen.add((type(value).__name__, value))
                values.append(value)
        if values:
            *parents, leaf = path.split(".")
            branch = tree.setdefault(EQUALITY_SHADOW, {})
            for segment in parents:
                branch = branch.setdefault(segment, {})
            branch[leaf] = values
    return tree


def _reached(value: Any, segments: list[str]) -> list[Any]:
    if isinstance(value, list):
        return [found for item in value for found in _reached(item, segments)]
    if not segments:
        return [value] if isinstance(value, str | int | float) else []
    if not isinstance(value, Mapping):
        return []
    return _reached(value.get(segments[0]), segments[1:]) if segments[0] in value else []


def customer_shadow(resource: Mapping[str, Any], types: Mapping[str, str]) -> Document:
    """The whole shadow of `resource` (its `id` gives the buckets): what a write stores in `_dt`."""
    return {
        **date_shadow(resource, types),
        **id_buckets(str(resource.get("id", ""))),
        **equality_shadow(resource),
    }
