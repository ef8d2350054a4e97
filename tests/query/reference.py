"""A plain-Python reference for the filter language, evaluated over a customer resource.

Written apart from `customer_async.query` on purpose: it reads filter parameters straight off the
contract and evaluates them on the resource as a client sees it (date-times as strings), with
MongoDB's semantics for dot notation:

- a path reaches every value along it, through arrays (`contactMedium.city` reaches the city of
  each contact medium; a terminal array contributes its elements);
- `eq`, `gt`, `gte`, `lt`, `lte` and `regex` hold when ANY reached value satisfies them;
- `ne` holds when NO reached value equals (so a missing attribute satisfies `ne`);
- values compare only within their kind (numbers, strings, booleans, instants), never across;
- OR across the values of one key, AND across keys.

Only valid filters are meant to be evaluated here; tests check errors on the product directly.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

RESERVED = frozenset({"fields", "offset", "limit", "pageLimit", "sort"})
OPERATORS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "regex"})

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def matches(
    customer: Mapping[str, Any], params: Mapping[str, Any], types: Mapping[str, str]
) -> bool:
    """Whether `customer` satisfies every filter in `params` (reserved parameters ignored)."""
    return all(
        holds(customer, key, value, types) for key, value in params.items() if key not in RESERVED
    )


def holds(customer: Mapping[str, Any], key: str, value: Any, types: Mapping[str, str]) -> bool:
    """Whether `customer` satisfies the one filter `key=value`."""
    path, op = split_key(key)
    kind = types[path]
    wanted = [coerce(item, kind) for item in alternatives(value)]
    reached = [kind_value(item, kind) for item in reach(customer, path.split("."))]
    if op == "eq":
        return any(same(have, want) for have in reached for want in wanted)
    if op == "ne":
        return not any(same(have, want) for have in reached for want in wanted)
    if op == "regex":
        return any(
            isinstance(have, str) and re.search(want, have) is not None
            for have in reached
            for want in wanted
        )
    return any(
        comparable(have, want) and _ORDER[op](have, want) for have in reached for want in wanted
    )


def split_key(key: str) -> tuple[str, str]:
    """(path, operator) of a filter key."""
    head, _, last = key.rpartition(".")
    return (head, last) if head and last in OPERATORS else (key, "eq")


def alternatives(value: Any) -> list[Any]:
    """OR-ed values: a JSON array's elements, or the comma-separated pieces of a string."""
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return value.split(",")
    return [value]


def coerce(value: Any, kind: str) -> Any:
    """A filter value as its attribute type compares it."""
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else value == "true"
    if kind == "date-time":
        return instant(value)
    return value


def kind_value(value: Any, kind: str) -> Any:
    """A stored value as it compares: date-time strings become instants (None if unparseable)."""
    if kind == "date-time":
        return instant(value) if isinstance(value, str) else None
    return value


def instant(text: str) -> datetime | None:
    """The UTC instant of an ISO 8601 text, to the millisecond (a BSON date); None if invalid."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    return parsed.replace(microsecond=parsed.microsecond - parsed.microsecond % 1000)


def reach(value: Any, segments: list[str]) -> Iterator[Any]:
    """Every value `segments` reaches from `value`, MongoDB-style (arrays are traversed)."""
    if not segments:
        if isinstance(value, list):
            yield from value
        else:
            yield value
        return
    if isinstance(value, Mapping):
        if segments[0] in value:
            yield from reach(value[segments[0]], segments[1:])
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping):
                yield from reach(item, segments)


def bracket(value: Any) -> str | None:
    """The comparison kind of a value; values of different kinds never compare."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "instant"
    return None


def comparable(a: Any, b: Any) -> bool:
    """Whether `a` and `b` are of one comparison kind."""
    kind = bracket(a)
    return kind is not None and kind == bracket(b)


def same(a: Any, b: Any) -> bool:
    """Equality within a comparison kind (so `True` is not `1`)."""
    return comparable(a, b) and bool(a == b)
