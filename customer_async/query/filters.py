"""Turning list filter parameters into a MongoDB filter, safely.

Every parameter other than the reserved ones is a filter. Its key is an attribute path in dot
notation, optionally ending in an operator segment; its value is one value, several values
separated by commas (OR), or a JSON array of values (OR; elements are taken whole, so an array is
how to match a value that contains a comma). Separate keys are ANDed.

    contactMedium.city=Paris,Lyon
        {"contactMedium.city": {"$in": ["Paris", "Lyon"]}}
    validFor.startDateTime.gte=2024-01-01
        {"_dt.validFor.startDateTime": {"$gte": datetime(2024, 1, 1, tzinfo=UTC)}}

Safe by construction: the filter is built here from checked pieces. Keys can name only known,
comparable attributes (never `$…` or `_…`), values are scalars coerced to the attribute's type
and always sit under an operator this module chose, so client data is never read as a query.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from customer_async.errors import FilterParseError
from customer_async.query.dates import parse_datetime
from customer_async.query.paths import (
    COMPARABLE_TYPES,
    comparable_type,
    split_path,
    store_path,
)
from customer_async.types import Document

RESERVED_PARAMETERS: Final = frozenset({"fields", "offset", "limit", "pageLimit", "sort"})
"""List parameters that are not filters."""

OPERATORS: Final = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "regex"})
"""Operator segments a filter key may end in; without one the operator is `eq`."""

EMITTED_OPERATORS: Final = frozenset(
    {"$and", "$or", "$nor", "$eq", "$in", "$gt", "$gte", "$lt", "$lte", "$regex"}
)
"""Every MongoDB operator `build_filter` can put in its output, and no other."""

_ORDERING = frozenset({"gt", "gte", "lt", "lte"})
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

Scalar = str | int | float | bool
"""A filter value as the client sent it."""

Value = Scalar | datetime
"""A filter value coerced to its attribute's type."""


def build_filter(
    params: Mapping[str, object], types: Mapping[str, str], *, max_regex_length: int
) -> Document:
    """The MongoDB filter for the filter parameters in `params` (reserved names are skipped).

    `types` maps dotted attribute paths to schema types (`customer_async.schemas`). The result
    is `{}` when there is no filter, else `{"$and": [condition, …]}` with one condition per key.
    Only `EMITTED_OPERATORS` occur in it. Date-time conditions target `_dt.<path>`.
    Raises `FilterParseError`, naming the key, for an unknown or internal attribute path, an
    `object`/`array` attribute, an unknown operator or one that does not fit the type, a value
    that is an object, null or not of the attribute's type, and an invalid or too long regex.
    """
    conditions = [
        _condition(key, value, types, max_regex_length)
        for key, value in params.items()
        if key not in RESERVED_PARAMETERS
    ]
    return {"$and": conditions} if conditions else {}


def _condition(key: str, raw: object, types: Mapping[str, str], max_regex_length: int) -> Document:
    try:
        path, operator = _split_key(key, types)
        kind = comparable_type(path, types)
        _check_operator(operator, kind)
        values = [_coerce(value, kind) for value in _alternatives(raw)]
        if operator == "regex":
            for value in values:
                _check_regex(value, max_regex_length)
    except ValueError as exc:
        raise FilterParseError(f"filter {key!r}: {exc}") from exc
    return _mongo_condition(store_path(path, kind), operator, values)


def _split_key(key: str, types: Mapping[str, str]) -> tuple[str, str]:
    """(attribute path, operator) of a filter key."""
    segments = split_path(key)
    if len(segments) > 1 and segments[-1] in OPERATORS:
        return ".".join(segments[:-1]), segments[-1]
    if (
        key not in types
        and len(segments) > 1
        and types.get(".".join(segments[:-1])) in COMPARABLE_TYPES
    ):
        known = ", ".join(sorted(OPERATORS))
        raise ValueError(f"unknown operator {segments[-1]!r} (known: {known})")
    return key, "eq"


def _check_operator(operator: str, kind: str) -> None:
    if operator == "regex" and kind not in ("string", "any"):
        raise ValueError(f"operator 'regex' applies to strings, not to {kind}")
    if operator in _ORDERING and kind == "boolean":
        raise ValueError(f"operator {operator!r} does not apply to boolean")


def _alternatives(raw: object) -> list[Scalar]:
    """The OR-ed values of a filter value: comma-separated text, or a JSON array."""
    if isinstance(raw, str):
        pieces = raw.split(",")
        if len(pieces) > 1 and "" in pieces:
            raise ValueError("empty value in comma-separated list")
        return list(pieces)
    if isinstance(raw, list):
        if not raw:
            raise ValueError("empty array")
        return [_scalar(item) for item in raw]
    return [_scalar(raw)]


def _scalar(value: object) -> Scalar:
    if isinstance(value, str | int | float):  # bool is an int
        return value
    if value is None:
        raise ValueError("value must not be null")
    raise ValueError("value must be a string, number or boolean (or an array of them)")


def _coerce(value: Scalar, kind: str) -> Value:
    """`value` as the attribute type `kind` compares it; `ValueError` if it is not one."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    match kind:
        case "string":
            return _as_string(value)
        case "integer":
            return _as_integer(value)
        case "number":
            return _as_number(value)
        case "boolean":
            return _as_boolean(value)
        case "date-time":
            if not isinstance(value, str):
                raise ValueError(f"{value!r} is not a date-time string")
            return parse_datetime(value)
        case _:  # "any": compared as given
            if isinstance(value, int) and not isinstance(value, bool):
                _check_int64(value)
            return value


def _as_string(value: Scalar) -> str:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a string")
    return value if isinstance(value, str) else str(value)


def _as_integer(value: Scalar) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        value = int(value)
    elif isinstance(value, str):
        if not _INTEGER.fullmatch(value.strip()):
            raise ValueError(f"{value!r} is not an integer")
        value = int(value)
    return _check_int64(value)


def _as_number(value: Scalar) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"{value!r} is not a number")
        value = int(text) if _INTEGER.fullmatch(text) else float(text)
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        value = float(value)  # beyond a BSON long; a double still compares numerically
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is out of range")
    return value


def _as_boolean(value: Scalar) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip() in ("true", "false"):
        return value.strip() == "true"
    raise ValueError(f"{value!r} is not a boolean (true or false)")


def _check_int64(value: int) -> int:
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError(f"{value} is out of the 64-bit integer range")
    return value


def _check_regex(pattern: Value, max_length: int) -> None:
    if not isinstance(pattern, str):
        raise ValueError(f"regular expression {pattern!r} is not a string")
    if len(pattern) > max_length:
        raise ValueError(f"regular expression longer than {max_length} characters")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc


def _mongo_condition(field: str, operator: str, values: list[Value]) -> Document:
    if operator == "eq":
        return {field: {"$eq": values[0]} if len(values) == 1 else {"$in": values}}
    if operator == "ne":
        # `$nor` of the equality, not `$ne`/`$nin`: FerretDB v1 tests those per array element
        # when the path crosses an array of objects; `$nor` means "no reached value equals"
        # on every server.
        return {"$nor": [_mongo_condition(field, "eq", values)]}
    mongo_operator = f"${operator}"
    if len(values) == 1:
        return {field: {mongo_operator: values[0]}}
    return {"$or": [{field: {mongo_operator: value}} for value in values]}
