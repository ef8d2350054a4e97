"""Plain reference implementations of RFC 6902 and RFC 7386, written from the RFCs' text.

They share nothing with `jsonpatch`, `json_merge_patch` or `customer_async.patch`, so the
property tests can compare the service against them. Slow and simple on purpose.

Decisions they share with the service (the RFCs leave them open): a `test` whose path does not
resolve fails like a `test` whose value differs; values compare as JSON (1 == 1.0, true != 1).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


class ReferencePatchError(Exception):
    """The patch cannot be applied (RFC 6902 section 5)."""


class ReferenceTestFailed(ReferencePatchError):
    """A `test` operation did not hold."""


def canonical(value: Any) -> str:
    """A text that is equal for two JSON values exactly when they are the same JSON, types too."""
    return json.dumps(value, sort_keys=True)


def json_equal(first: Any, second: Any) -> bool:
    """RFC 6902 section 4.6 equality: numbers by value, `true` only equal to `true`."""
    if isinstance(first, bool) or isinstance(second, bool):
        return type(first) is type(second) and first == second
    if isinstance(first, dict) and isinstance(second, dict):
        return sorted(first) == sorted(second) and all(
            json_equal(first[key], second[key]) for key in first
        )
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(
            json_equal(a, b) for a, b in zip(first, second, strict=True)
        )
    if isinstance(first, dict | list) or isinstance(second, dict | list):
        return False
    return bool(first == second)


def escape(token: str) -> str:
    """RFC 6901 reference token for a member name."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(tokens: list[str] | tuple[str, ...]) -> str:
    """The JSON Pointer of a list of unescaped tokens."""
    return "".join("/" + escape(token) for token in tokens)


def parse_pointer(text: Any) -> list[str]:
    """The unescaped tokens of a JSON Pointer (RFC 6901 section 3 and 4)."""
    if not isinstance(text, str):
        raise ReferencePatchError("a pointer is a string")
    if text == "":
        return []
    if not text.startswith("/"):
        raise ReferencePatchError("a pointer starts with '/'")
    tokens = text[1:].split("/")
    for token in tokens:
        if re.search(r"~(?![01])", token):
            raise ReferencePatchError("'~' must be followed by 0 or 1")
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens]


def _index(array: list[Any], token: str, *, end_allowed: bool) -> int:
    if token == "-" and end_allowed:
        return len(array)
    if not _ARRAY_INDEX.fullmatch(token):
        raise ReferencePatchError(f"{token!r} is not an array index")
    return int(token)


def _resolve(document: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if isinstance(document, dict):
            if token not in document:
                raise ReferencePatchError(f"no member {token!r}")
            document = document[token]
        elif isinstance(document, list):
            index = _index(document, token, end_allowed=False)
            if index >= len(document):
                raise ReferencePatchError("index out of range")
            document = document[index]
        else:
            raise ReferencePatchError("cannot step into a scalar")
    return document


def _add(document: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _resolve(document, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = _index(parent, last, end_allowed=True)
        if index > len(parent):
            raise ReferencePatchError("index out of range")
        parent.insert(index, value)
    else:
        raise ReferencePatchError("cannot add into a scalar")
    return document


def _remove(document: Any, tokens: list[str]) -> tuple[Any, Any]:
    if not tokens:
        raise ReferencePatchError("cannot remove the whole document")
    parent = _resolve(document, tokens[:-1])
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise ReferencePatchError(f"no member {last!r}")
        return document, parent.pop(last)
    if isinstance(parent, list):
        index = _index(parent, last, end_allowed=False)
        if index >= len(parent):
            raise ReferencePatchError("index out of range")
        return document, parent.pop(index)
    raise ReferencePatchError("cannot remove from a scalar")


def _member(operation: dict[str, Any], name: str) -> Any:
    if name not in operation:
        raise ReferencePatchError(f"operation lacks {name!r}")
    return operation[name]


def _op_add(document: Any, operation: dict[str, Any], path: list[str]) -> Any:
    return _add(document, path, copy.deepcopy(_member(operation, "value")))


def _op_remove(document: Any, operation: dict[str, Any], path: list[str]) -> Any:
    return _remove(document, path)[0]


def _op_replace(document: Any, operation: dict[str, Any], path: list[str]) -> Any:
    value = copy.deepcopy(_member(operation, "value"))
    if not path:
        return value
    document, _ = _remove(document, path)  # the target must exist
    return _add(document, path, value)


def _op_move(document: Any, operation: dict[str, Any], path: list[str]) -> Any:
    source = parse_pointer(_member(operation, "from"))
    if source != path and path[: len(source)] == source:
        raise ReferencePatchError("cannot move a value into one of its children")
    _resolve(document, source)
    if source == path:
        return document
    document, value = _remove(document, source)
    return _add(document, path, value)


def _op_copy(document: Any, operation: dict[str, Any], path: list[str]) -> Any:
    source = parse_pointer(_member(operation, "from"))
    return _add(document, path, copy.deepcopy(_resolve(document, source)))


def _op_test(document: Any, operation: dict[str, Any], path: list[str]) -> Any:
    expected = _member(operation, "value")
    try:
        actual = _resolve(document, path)
    except ReferencePatchError as exc:
        raise ReferenceTestFailed("nothing to test there") from exc
    if not json_equal(actual, expected):
        raise ReferenceTestFailed("value differs")
    return document


_OPERATIONS = {
    "add": _op_add,
    "remove": _op_remove,
    "replace": _op_replace,
    "move": _op_move,
    "copy": _op_copy,
    "test": _op_test,
}


def _apply_one(document: Any, operation: Any) -> Any:
    if not isinstance(operation, dict):
        raise ReferencePatchError("an operation is an object")
    op = _member(operation, "op")
    if op not in _OPERATIONS:
        raise ReferencePatchError(f"unknown op {op!r}")
    path = parse_pointer(_member(operation, "path"))
    return _OPERATIONS[op](document, operation, path)


def reference_json_patch(document: Any, operations: list[Any]) -> Any:
    """RFC 6902: the document after all operations, on a copy; raises `ReferencePatchError`."""
    result = copy.deepcopy(document)
    for operation in operations:
        result = _apply_one(result, operation)
    return result


def reference_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 section 2, the `MergePatch` pseudocode, on copies."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = reference_merge_patch(result.get(name), value)
    return result
