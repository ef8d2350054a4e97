"""What a patch changed: JSON equality, and the first-level attributes whose values differ.

The handler uses `changed_attributes` to choose the events of a patch: `status` among them means
a state-change event, any other attribute an attribute-value-change event, none means no event.
"""

from __future__ import annotations

from collections.abc import Mapping

from customer_async.types import JSON, Document


def json_equal(first: JSON, second: JSON) -> bool:
    """Equality of JSON values: numbers by value (1 == 1.0), but `true` is not 1 and `false`
    is not 0, which Python's `==` would say they are."""
    if isinstance(first, bool) or isinstance(second, bool):
        return isinstance(first, bool) and isinstance(second, bool) and first == second
    if isinstance(first, Mapping) and isinstance(second, Mapping):
        return first.keys() == second.keys() and all(
            json_equal(first[key], second[key]) for key in first
        )
    if isinstance(first, list) and isinstance(second, list):
        return len(first) == len(second) and all(
            json_equal(a, b) for a, b in zip(first, second, strict=True)
        )
    if isinstance(first, Mapping | list) or isinstance(second, Mapping | list):
        return False
    return bool(first == second)


def changed_attributes(before: Document, after: Document) -> set[str]:
    """The first-level attribute names whose values differ, including added and removed ones."""
    return {
        name
        for name in before.keys() | after.keys()
        if name not in before or name not in after or not json_equal(before[name], after[name])
    }
