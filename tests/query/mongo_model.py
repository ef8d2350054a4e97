"""A model of MongoDB `find` matching, for the operators `build_filter` emits, over a stored doc.

It lets a pure test check the translation (key parsing, coercion, `_dt` paths, operator choice)
against `tests.query.reference` without a server; the real store is compared in the e2e tests.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

from customer_async.query.dates import date_shadow
from tests.query.reference import comparable, reach, same

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def stored(customer: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """The store document for `customer`: the resource, `_id`, and its `_dt` date shadow."""
    return {**customer, "_id": customer["id"], "_dt": date_shadow(customer, types)}


def find_matches(doc: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """Whether MongoDB's `find(query)` would return `doc`."""
    for key, condition in query.items():
        if key == "$and":
            ok = all(find_matches(doc, part) for part in condition)
        elif key == "$or":
            ok = any(find_matches(doc, part) for part in condition)
        elif key == "$nor":
            ok = not any(find_matches(doc, part) for part in condition)
        else:
            ok = all(_field_matches(doc, key, op, arg) for op, arg in condition.items())
        if not ok:
            return False
    return True


def _field_matches(doc: Mapping[str, Any], path: str, op: str, arg: Any) -> bool:
    reached = list(reach(doc, path.split(".")))
    if op == "$eq":
        return any(same(have, arg) for have in reached)
    if op == "$ne":
        return not any(same(have, arg) for have in reached)
    if op == "$in":
        return any(same(have, want) for have in reached for want in arg)
    if op == "$nin":
        return not any(same(have, want) for have in reached for want in arg)
    if op == "$regex":
        return any(isinstance(have, str) and re.search(arg, have) for have in reached)
    if op in _ORDER:
        return any(comparable(have, arg) and _ORDER[op](have, arg) for have in reached)
    raise AssertionError(f"operator {op!r} is not modelled")
