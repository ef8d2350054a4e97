"""Every attribute name a patch payload holds, checked against the one naming rule.

The rule is `customer_async.attribute_names`; a patch breaking it is refused
(`InvalidAttributeName`, 400) before anything is applied.

What is checked:
- merge patch: every key of the patch object, at any depth, inside arrays too (a `null` member
  included: removing a name we never store is just as much a mistake);
- JSON Patch: every segment of each operation's `path` and `from` JSON Pointers, and every key
  inside its `value`;
- JSON Patch Query: as JSON Patch, with the pointer before `?`, plus every segment of the dotted
  attribute of each condition. Malformed operations are left for the patch itself to report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from customer_async.attribute_names import check_attribute_name
from customer_async.errors import InvalidPatch
from customer_async.patch.media_types import PatchFormat
from customer_async.patch.query import parse_query_path
from customer_async.types import JSON


def check_patch_names(patch_format: PatchFormat, payload: JSON) -> None:
    """Raise `InvalidAttributeName` for the first forbidden name anywhere in a patch payload."""
    names = (
        _keys(payload)
        if patch_format is PatchFormat.MERGE
        else _operation_names(payload, query=patch_format is PatchFormat.JSON_PATCH_QUERY)
    )
    for name in names:
        check_attribute_name(name)


def _keys(value: JSON) -> Iterator[str]:
    """Every object key inside a JSON value, at any depth."""
    if isinstance(value, Mapping):
        for key, member in value.items():
            yield key
            yield from _keys(member)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _operation_names(operations: JSON, *, query: bool) -> Iterator[str]:
    if not isinstance(operations, list):
        return
    for operation in operations:
        if not isinstance(operation, Mapping):
            continue
        for member in ("path", "from"):
            pointer = operation.get(member)
            if isinstance(pointer, str):
                yield from _pointer_names(pointer, query=query)
        yield from _keys(operation.get("value"))


def _pointer_names(pointer: str, *, query: bool) -> Iterator[str]:
    """The unescaped segments of a JSON Pointer, and with `query` those of its conditions."""
    plain = pointer.partition("?")[0] if query else pointer
    if plain.startswith("/"):
        for token in plain[1:].split("/"):
            yield token.replace("~1", "/").replace("~0", "~")
    if query and "?" in pointer:
        try:
            parsed = parse_query_path(pointer)
        except InvalidPatch:
            return  # malformed: the patch reports it with the operation's index
        if parsed is not None:
            for condition in parsed.conditions:
                yield from condition.attribute
