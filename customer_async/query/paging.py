"""Paging and ordering of a list: `offset`, `limit` (alias `pageLimit`) and `sort`.

Paging is stable because every sort ends in the unique `_id` (the customer id): the same query
pages through every match exactly once while nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from customer_async.errors import InvalidParameter
from customer_async.query.paths import comparable_type, split_path, store_path

SortKey = tuple[str, int]
"""A store field and its direction: 1 ascending, -1 descending."""

DEFAULT_SORT: Final[tuple[SortKey, ...]] = (("_id", 1),)
"""The order of a list that asks for none: by customer id."""

_INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class Page:
    """Which slice of the matches a list returns: skip `offset`, then at most `limit`."""

    offset: int
    limit: int


def parse_page(params: Mapping[str, object], *, default_limit: int, max_limit: int) -> Page:
    """The page `offset`, `limit` and `pageLimit` in `params` ask for.

    Each is an integer or a decimal string; null counts as absent. `offset` defaults to 0,
    `limit` to `default_limit`; `pageLimit` is an alias of `limit` (both given and different is
    an error). Raises `InvalidParameter` for a malformed value, a negative offset, or a limit
    below 1 or above `max_limit`.
    """
    offset = _integer(params, "offset")
    limit = _integer(params, "limit")
    page_limit = _integer(params, "pageLimit")
    if limit is not None and page_limit is not None and limit != page_limit:
        raise InvalidParameter("parameters 'limit' and 'pageLimit' differ; give one of them")
    limit = limit if limit is not None else page_limit
    name = "limit" if params.get("limit") is not None else "pageLimit"
    if offset is None:
        offset = 0
    elif not 0 <= offset <= _INT64_MAX:
        raise InvalidParameter(f"parameter 'offset' must be 0 or more, got {offset}")
    if limit is None:
        limit = default_limit
    elif not 1 <= limit <= max_limit:
        raise InvalidParameter(f"parameter {name!r} must be from 1 to {max_limit}, got {limit}")
    return Page(offset=offset, limit=limit)


def _integer(params: Mapping[str, object], name: str) -> int | None:
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    raise InvalidParameter(f"parameter {name!r} must be an integer, got {value!r}")


def parse_sort(value: object, types: Mapping[str, str]) -> list[SortKey]:
    """The store sort for the `sort` parameter: `[(field, 1 | -1), …]`, ending in `_id`.

    `value` is comma-separated attribute paths (blanks around them are ignored) or a JSON array
    of them; `-` before a path sorts descending, `+` (or nothing) ascending. Date-time paths sort
    through the date shadow `_dt.<path>`. A unique `_id` tiebreak is always last (in the
    direction of `id` when `id` is sorted on). None gives `DEFAULT_SORT`. Raises
    `InvalidParameter` for an unknown, internal, `object` or `array` path, or one given twice.
    """
    if value is None:
        return list(DEFAULT_SORT)
    if isinstance(value, str):
        items = [item.strip() for item in value.split(",")]
    elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise InvalidParameter(
            "parameter 'sort': must be comma-separated attribute paths or an array of them"
        )
    keys: list[SortKey] = []
    tiebreak: SortKey = ("_id", 1)
    for item in items:
        direction = -1 if item.startswith("-") else 1
        path = item[1:] if item[:1] in ("-", "+") else item
        try:
            split_path(path)
            field = store_path(path, comparable_type(path, types))
        except ValueError as exc:
            raise InvalidParameter(f"parameter 'sort': {exc}") from exc
        if any(field == known for known, _ in keys):
            raise InvalidParameter(f"parameter 'sort': {path!r} is given more than once")
        keys.append((field, direction))
        if path == "id":
            tiebreak = ("_id", direction)
    keys.append(tiebreak)
    return keys
