"""Building a command record: topic, key, value and the contract's request headers.

Pure functions over plain values, so the wire format is tested without a broker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from customer_async.client.topics import Topics
from customer_async.types import Operation

MERGE_PATCH: Final = "application/merge-patch+json"
"""RFC 7386 merge patch: `null` removes an attribute, arrays are replaced whole."""
JSON_PATCH: Final = "application/json-patch+json"
"""RFC 6902 JSON Patch: a list of operations; a failed `test` is a 409."""
JSON_PATCH_QUERY: Final = "application/json-patch-query+json"
"""JSON Patch whose `path` may end in `?attr=value&…` to act on every matching array element."""

PATCH_CONTENT_TYPES: Final = (MERGE_PATCH, JSON_PATCH, JSON_PATCH_QUERY, "application/json")

Scalar = str | int | float | bool
FilterValue = Scalar | Sequence[Scalar]
"""A filter value: a scalar (a comma in a string means OR) or a list of alternatives."""

LIST_CONTROLS: Final = frozenset({"fields", "offset", "limit", "pageLimit", "sort"})
"""List parameters that are not filters."""


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """One request ready to produce."""

    operation: Operation
    correlation_id: str
    topic: str
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


def encode_json(value: Any) -> bytes:
    """Compact UTF-8 JSON, as every value on the wire is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def comma_list(value: str | Sequence[str] | None) -> str | None:
    """`fields` or `sort` as the comma-separated text the contract takes (None when empty)."""
    if value is None:
        return None
    if not isinstance(value, str) and not _is_list(value, str):
        raise TypeError(f"expected text or a list of texts, not {value!r}")
    text = value if isinstance(value, str) else ",".join(value)
    return text or None


def _is_list(value: object, item: type | tuple[type, ...]) -> bool:
    """A list or tuple (not text, not a mapping) whose every element is an `item`."""
    return isinstance(value, list | tuple) and all(isinstance(v, item) for v in value)


def list_parameters(
    filters: Mapping[str, FilterValue] | None = None,
    *,
    fields: str | Sequence[str] | None = None,
    sort: str | Sequence[str] | None = None,
    offset: int | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """The `Parameters` of a list request. Filter keys are attribute paths with an optional
    operator suffix (`validFor.startDateTime.gte`); a list value means OR."""
    parameters: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if key in LIST_CONTROLS:
            raise ValueError(f"{key!r} is a list parameter, not a filter: pass it by name")
        if isinstance(value, str | int | float | bool):
            parameters[key] = value
        elif _is_list(value, (str, int, float, bool)):
            parameters[key] = list(value)
        else:  # a mapping or None would reach the service as something else than meant
            raise TypeError(f"filter {key!r}: expected a value or a list of values, not {value!r}")
    if (text := comma_list(fields)) is not None:
        parameters["fields"] = text
    if (text := comma_list(sort)) is not None:
        parameters["sort"] = text
    if offset is not None:
        parameters["offset"] = offset
    if limit is not None:
        parameters["limit"] = limit
    return parameters


def command_record(
    topics: Topics,
    operation: Operation,
    *,
    correlation_id: str,
    reply_channel: str,
    parameters: Mapping[str, Any] | None = None,
    payload: Any = None,
    content_type: str | None = None,
    key: str | None = None,
) -> CommandRecord:
    """The record for one command; `payload=None` sends an empty value."""
    headers = [
        ("X-Correlation-Id", correlation_id.encode()),
        ("Reply-Channel", reply_channel.encode()),
    ]
    if parameters:
        headers.append(("Parameters", encode_json(dict(parameters))))
    if content_type is not None:
        headers.append(("Content-Type", content_type.encode()))
    return CommandRecord(
        operation=operation,
        correlation_id=correlation_id,
        topic=topics.request(operation),
        key=None if key is None else key.encode(),
        value=b"" if payload is None else encode_json(payload),
        headers=headers,
    )
