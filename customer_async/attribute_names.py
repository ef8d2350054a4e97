"""Which attribute names a client may use: the one rule, for created documents and patches alike.

A name must not start with `$` (an operator to MongoDB) or `_` (the store's bookkeeping, such as
`_id`), nor contain `.` (MongoDB's path separator) or NUL (not allowed in a BSON key): such names
could reach into, or break, how the store keeps a customer. Keys like `@type` are fine.
"""

from __future__ import annotations

from customer_async.errors import InvalidAttributeName
from customer_async.schemas import json_path
from customer_async.types import JSON

_FORBIDDEN_START = ("$", "_")


def forbidden_because(name: str) -> str | None:
    """Why a client may not use `name` as an attribute name, or None if it may."""
    if name.startswith(_FORBIDDEN_START):
        return "must not start with '$' or '_'"
    if "." in name:
        return "must not contain '.'"
    if "\x00" in name:
        return "must not contain NUL"
    return None


def check_attribute_name(name: str) -> None:
    """Raise `InvalidAttributeName` if a client may not use `name`."""
    reason = forbidden_because(name)
    if reason is not None:
        raise InvalidAttributeName(f"attribute name {name!r} {reason}")


def check_document_names(doc: JSON) -> None:
    """Raise `InvalidAttributeName`, naming its JSON path, for the first forbidden key in `doc`.

    Every create and patch is walked, and nearly all are fine: the walk keeps no paths (a
    tenth of a create's CPU went to building them, profiled), and only a document with a
    forbidden name is walked again to name where it is."""
    if _all_allowed(doc):
        return
    pending: list[tuple[tuple[str | int, ...], JSON]] = [((), doc)]
    while pending:  # iterative, so a deeply nested document cannot exhaust the stack
        path, value = pending.pop()
        if isinstance(value, dict):
            for key in value:
                name = str(key)
                reason = forbidden_because(name)
                if reason is not None:
                    raise InvalidAttributeName(
                        f"{json_path((*path, name))}: attribute name {name!r} {reason}"
                    )
            pending.extend(((*path, str(key)), child) for key, child in reversed(value.items()))
        elif isinstance(value, list):
            pending.extend(
                ((*path, index), child) for index, child in reversed(list(enumerate(value)))
            )


def _all_allowed(doc: JSON) -> bool:
    """Whether every key in `doc`, at any depth, is a name a client may use."""
    pending: list[JSON] = [doc]
    while pending:  # iterative, so a deeply nested document cannot exhaust the stack
        value = pending.pop()
        if isinstance(value, dict):
            for key, child in value.items():
                if forbidden_because(str(key)) is not None:
                    return False
                if isinstance(child, dict | list):
                    pending.append(child)
        elif isinstance(value, list):
            pending.extend(child for child in value if isinstance(child, dict | list))
    return True
