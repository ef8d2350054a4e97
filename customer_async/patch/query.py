"""JSON Patch Query: JSON Patch whose `path` may select array elements by their attributes.

`{"op": "replace", "path": "/contactMedium/preferred?city=Paris", "value": true}` sets
`preferred` to true in every element of the `contactMedium` array whose `city` is `Paris`.

The path is `<pointer>?<cond>&<cond>…`:
- `<pointer>` is a JSON Pointer (RFC 6901). Its leading segment names an array attribute of the
  customer; the rest of it is the location the operation acts on within each selected element
  (`/preferred` here; empty for the element itself).
- Each `<cond>` is `attr=value`. `attr` is a dotted path within the element, written bare
  (`city`, `validFor.startDateTime`) or led by the array's name (`contactMedium.city`). An
  element is selected when it meets every condition.
- Everything after the first `?` is the query, so this media type cannot address a member whose
  name holds a `?` (use plain JSON Patch for that). Attribute names and values are split on `&`
  and `=` first and then percent-decoded, so `%26`, `%3D` and `%25` stand for `&`, `=` and `%`;
  `+` is a plus sign, not a space (think phone numbers).
- `value` is compared with the element's attribute as text: a string matches exactly (case
  and all), `true`, `false` and `null` match those words, and a number matches any JSON-number
  spelling of the same value (`2`, `2.0` and `2e0` all match 2). An attribute that is missing,
  an object or an array never matches; the dotted path walks objects only.

Operations: `add`, `remove`, `replace` and `test` act at the rest of the pointer in every selected
element, exactly as that JSON Patch operation would act there (so a `replace` of a member that a
selected element lacks fails the patch, where `add` would set it). With no rest, `remove` removes
the selected elements, `replace` replaces them and `test` tests them; `add` with no rest (insert
where?) is an `InvalidPatch`, and so are `move` and `copy` with a query in `path` or `from`. A
query that selects nothing, or whose leading segment is not an array, is an `InvalidPatch` (400);
a `test` that does not hold for a selected element is a `PatchTestFailed` (409).

Each query operation is expanded into plain JSON Patch operations against the document as it is
when that operation's turn comes (earlier operations may have changed the array), and applied
through `json_patch.apply_operation`, which also translates the errors. The patch is atomic like
a plain JSON Patch. Operations without `?` are plain JSON Patch.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import unquote

import jsonpointer

from customer_async.errors import InvalidPatch
from customer_async.patch.json_patch import apply_operation
from customer_async.types import JSON

_QUERY_OPERATIONS = frozenset({"add", "remove", "replace", "test"})

_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
"""RFC 8259's number grammar: the spellings a condition value may give a number in."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One `attr=value` of a query: the attribute's path within an element, and the text."""

    attribute: tuple[str, ...]
    value: str


@dataclass(frozen=True, slots=True)
class QueryPath:
    """A parsed query path: the array, the pointer within each element, and the conditions."""

    array: str
    rest: str
    conditions: tuple[Condition, ...]

    def element_path(self, index: int) -> str:
        """The plain JSON Pointer of `rest` within the array's element at `index`."""
        return f"/{_escape(self.array)}/{index}{self.rest}"


def parse_query_path(path: str) -> QueryPath | None:
    """The query in `path`, or None when `path` has no `?` (a plain JSON Pointer).

    Raises `InvalidPatch` when the part before `?` is not a JSON Pointer with at least one
    segment, or a condition is not `attr=value` with a non-empty dotted `attr`.
    """
    pointer, separator, query = path.partition("?")
    if not separator:
        return None
    try:
        parts = jsonpointer.JsonPointer(pointer).parts
    except jsonpointer.JsonPointerException as exc:
        raise InvalidPatch(f"{pointer!r} before the '?' is not a JSON Pointer") from exc
    if not parts:
        raise InvalidPatch("a query path must start with an array attribute")
    array = parts[0]
    # The rest stays in its escaped form: it is appended to `/{array}/{index}` as it was written.
    rest = pointer[len("/") + len(pointer.split("/", 2)[1]) :]
    conditions = tuple(_parse_condition(array, text) for text in query.split("&"))
    return QueryPath(array=array, rest=rest, conditions=conditions)


def apply_json_patch_query(document: JSON, operations: JSON) -> JSON:
    """The document after every operation, query or plain, or an error and no change at all.

    `document` is never mutated.
    """
    if not isinstance(operations, list):
        raise InvalidPatch("a JSON Patch Query must be a JSON array of operations")
    working = copy.deepcopy(document)
    for index, operation in enumerate(operations):
        query = _query_of(operation, index)
        if query is None:
            working = apply_operation(working, operation, index=index)
        else:
            working = _apply_query_operation(working, operation, query, index)
    return working


def selected_indices(array: Sequence[JSON], conditions: Sequence[Condition]) -> list[int]:
    """The indices of the elements of `array` that meet every condition, in ascending order."""
    return [
        index
        for index, element in enumerate(array)
        if all(_meets(element, condition) for condition in conditions)
    ]


def _query_of(operation: JSON, index: int) -> QueryPath | None:
    """The query of an operation's `path`; None for a plain operation (or a malformed one,
    which `apply_operation` reports)."""
    if not isinstance(operation, Mapping):
        return None
    op, path, source = operation.get("op"), operation.get("path"), operation.get("from")
    if op in ("move", "copy") and (_has_query(path) or _has_query(source)):
        raise InvalidPatch(
            f"operation {index} ({op}): {op} cannot select elements with a query; only add, "
            "remove, replace and test can"
        )
    if not isinstance(path, str) or "?" not in path:
        return None
    if op not in _QUERY_OPERATIONS:
        raise InvalidPatch(
            f"operation {index} ({op!r} at {path!r}): only add, remove, replace and test take a "
            "query path"
        )
    try:
        return parse_query_path(path)
    except InvalidPatch as exc:
        raise InvalidPatch(f"operation {index} ({op} at {path!r}): {exc.message}") from exc


def _has_query(pointer: JSON) -> bool:
    return isinstance(pointer, str) and "?" in pointer


def _apply_query_operation(
    working: JSON, operation: Mapping[str, JSON], query: QueryPath, index: int
) -> JSON:
    op, path = operation["op"], operation["path"]
    if op == "add" and not query.rest:
        raise InvalidPatch(
            f"operation {index} (add at {path!r}): 'add' needs a location within the selected "
            "elements; to add an element use '/" + _escape(query.array) + "/-'"
        )
    array = working.get(query.array) if isinstance(working, Mapping) else None
    if not isinstance(array, list):
        raise InvalidPatch(
            f"operation {index} ({op} at {path!r}): {query.array!r} is not an array attribute"
        )
    indices = selected_indices(array, query.conditions)
    if not indices:
        raise InvalidPatch(f"operation {index} ({op} at {path!r}): no element matches the query")
    # Descending, so that removing an element never shifts one still to be acted on.
    for element_index in reversed(indices):
        concrete = {**operation, "path": query.element_path(element_index)}
        working = apply_operation(working, concrete, index=index, written=operation)
    return working


def _parse_condition(array: str, text: str) -> Condition:
    name, separator, value = text.partition("=")
    if not separator:
        raise InvalidPatch(f"condition {text!r} is not attr=value")
    segments = unquote(name).split(".")
    if len(segments) > 1 and segments[0] == array:
        # The full dotted form `contactMedium.city` says the same as the bare `city`.
        segments = segments[1:]
    if not all(segments):
        raise InvalidPatch(f"condition {text!r} has an empty attribute name")
    return Condition(attribute=tuple(segments), value=unquote(value))


def _meets(element: JSON, condition: Condition) -> bool:
    value = element
    for segment in condition.attribute:
        if not isinstance(value, Mapping) or segment not in value:
            return False
        value = value[segment]
    return _matches_text(value, condition.value)


def _matches_text(value: JSON, text: str) -> bool:
    """Whether a JSON scalar, rendered as text, is `text` (numbers compared by value)."""
    if isinstance(value, str):
        return value == text
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if value is None:
        return text == "null"
    if isinstance(value, int | float):
        if not _JSON_NUMBER.fullmatch(text):
            return False
        # repr gives the shortest text that reads back as the same float, i.e. its JSON form;
        # an infinite or NaN float (not JSON, but json.loads makes them) is equal to no text.
        return Decimal(text) == Decimal(repr(value))
    return False


def _escape(segment: str) -> str:
    """A JSON Pointer reference token for `segment` (RFC 6901: `~` → `~0`, `/` → `~1`)."""
    return segment.replace("~", "~0").replace("/", "~1")
