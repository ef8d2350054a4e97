"""RFC 6902 JSON Patch through the `jsonpatch` library, with its errors translated.

All six operations (`add`, `remove`, `replace`, `move`, `copy`, `test`) are applied one by one to
a private deep copy of the document, so a patch is atomic: when an operation fails the copy is
dropped and the caller's document was never touched.

Errors:
- a `test` whose value differs, or whose path does not resolve in the document, is
  `PatchTestFailed` (409): the document is not in the state the client assumed;
- anything else (a malformed operation, an unknown `op`, a missing `value` or `from`, a pointer
  that is malformed or does not resolve, a move into its own child, removing the whole
  document) is `InvalidPatch` (400).
Messages name the operation's index, `op`, `path` (and `from`), never a document value.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import jsonpatch
import jsonpointer

from customer_async.errors import InvalidPatch, PatchTestFailed
from customer_async.types import JSON


def apply_json_patch(document: JSON, operations: JSON) -> JSON:
    """The document after every operation of `operations`, or an error and no change at all.

    `document` is never mutated; the result shares no mutable value with it or with the patch.
    """
    if not isinstance(operations, list):
        raise InvalidPatch("a JSON Patch must be a JSON array of operations")
    working = copy.deepcopy(document)
    for index, operation in enumerate(operations):
        working = apply_operation(working, operation, index=index)
    return working


def apply_operation(working: JSON, operation: JSON, *, index: int, written: JSON = None) -> JSON:
    """Apply one operation to `working` IN PLACE and return the (possibly new) document root.

    Only for callers that own `working` as a private copy they drop on error (see
    `apply_json_patch`). `index` is the operation's position in the client's patch, and
    `written` the operation as the client wrote it when `operation` was derived from it (a
    JSON Patch Query expansion), so that errors name what the client sent.
    """
    reported = operation if written is None else written
    if not isinstance(operation, Mapping):
        raise InvalidPatch(f"operation {index} must be a JSON object, with 'op' and 'path'")
    try:
        # A one-operation JsonPatch: the library validates the operation's shape here too.
        return jsonpatch.JsonPatch([operation]).apply(working, in_place=True)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise PatchTestFailed(
            f"{_describe(reported, index)}: the path holds no value, or not the tested one"
        ) from exc
    except jsonpatch.JsonPatchPathNotFound as exc:
        raise InvalidPatch(
            f"{_describe(reported, index)}: there is nothing at the location it acts on"
        ) from exc
    except (jsonpatch.InvalidJsonPatch, jsonpatch.JsonPatchConflict) as exc:
        # These messages say what is wrong with the operation and carry no document values.
        raise InvalidPatch(f"{_describe(reported, index)}: {exc}") from exc
    except jsonpointer.JsonPointerException as exc:
        # Not echoed: jsonpointer's messages can embed the whole document.
        raise InvalidPatch(f"{_describe(reported, index)}: {_pointer_problem(operation)}") from exc


def _pointer_problem(operation: Mapping[str, JSON]) -> str:
    """Why a pointer of `operation` failed: its syntax, or else it leads nowhere."""
    for member in ("path", "from"):
        pointer = operation.get(member)
        if isinstance(pointer, str):
            try:
                jsonpointer.JsonPointer(pointer)
            except jsonpointer.JsonPointerException:
                return (
                    f"{member} {pointer!r} is not a JSON Pointer (it must be empty or start "
                    "with '/', and a '~' in a name is written '~0', a '/' '~1')"
                )
    return (
        "it does not lead to a location in the customer (a missing member, a bad or "
        "out-of-range array index, or a step into a value that is not an object or array)"
    )


def _describe(operation: JSON, index: int) -> str:
    """`operation 2 (move from '/a' to '/b')`, from whatever of the operation is readable."""
    if not isinstance(operation, Mapping):
        return f"operation {index}"
    parts = [str(operation["op"])] if isinstance(operation.get("op"), str) else []
    if "from" in operation:
        parts.append(f"from {operation['from']!r}")
    if "path" in operation:
        parts.append(f"{'to' if 'from' in operation else 'at'} {operation['path']!r}")
    return f"operation {index} ({' '.join(parts)})" if parts else f"operation {index}"
