"""A list's filter rewritten so that FerretDB hands its equalities to PostgreSQL, and its shape.

FerretDB v1 pushes down only a filter's top-level equalities on scalars (dotted paths too, with
nested pushdown) and evaluates everything else itself, document by document. The filters
`customer_async.query` builds are `$and`s of `$eq`s and other operators: `flat` lifts what can be
pushed down to the top level, and leaves the rest as it was. Pure: no store is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from customer_async.query.paths import through_objects
from customer_async.query.shadow import equality_path
from customer_async.types import Document


def flat(query: Document, types: Mapping[str, str], shadowed: Sequence[str] = ()) -> Document:
    """The same filter with its equalities at the top level, where FerretDB pushes them down to
    PostgreSQL (it evaluates everything inside `$and`, and `$eq`, itself, document by document).

    `{"$and": [{"name": {"$eq": "x"}}, {"status": {"$in": [...]}}]}` becomes
    `{"name": "x", "status": {"$in": [...]}}`; a plain JSON scalar under `$eq` means the same as
    the scalar itself. Conditions on a name already taken, or on an operator, stay in `$and`, and
    so do those on a dotted path into an array (`contactMedium.city`): FerretDB pushes a dotted
    equality down as `_jsonb #> '{contactMedium,city}'`, which is NULL through an array, so it
    would miss every customer whose match is in an array element (`types`: the attribute types,
    `query.paths.through_objects`). An equality on one of `shadowed` (paths into arrays whose
    values the shadow keeps flat) becomes the same equality on those values, which is pushed down.
    """
    conditions = query["$and"] if set(query) == {"$and"} else [query]
    flattened: Document = {}
    rest: list[Document] = []
    for condition in conditions:
        for given, value in condition.items():
            name, plain = _plain_condition(given, value, shadowed)
            if name.startswith("$") or name in flattened or not through_objects(name, types):
                rest.append({name: plain})
                continue
            flattened[name] = plain
    if rest:
        flattened["$and"] = rest
    return flattened


def pushed_down(name: str, value: Any) -> bool:
    """Whether FerretDB reads a condition of a flat filter through an index: a top-level
    equality on a scalar other than null (`flat` leaves only those that cross no array)."""
    return not name.startswith("$") and isinstance(value, str | int | float | bool)


def shape(flattened: Document) -> tuple[str, ...]:
    """The names of a flat filter's conditions with their operators: lists of one shape (`name`
    equalities, `name` regexes) tend to match alike (`lists.ListEstimates`)."""
    names: list[str] = []
    for name, value in flattened.items():
        if name == "$and":
            names += [f"$and {' '.join(shape(condition))}" for condition in value]
        elif isinstance(value, dict):
            names.append(f"{name} {' '.join(sorted(value))}")
        else:
            names.append(name)
    return tuple(sorted(names))


def _plain_condition(name: str, value: Any, shadowed: Sequence[str]) -> tuple[str, Any]:
    """A condition with `{"$eq": scalar}` as the scalar, and an equality on a `shadowed` path
    as the equality on its flat values."""
    if isinstance(value, dict) and set(value) == {"$eq"}:
        scalar = value["$eq"]
        if isinstance(scalar, str | int | float | bool) or scalar is None:
            value = scalar
    if name in shadowed and not isinstance(value, dict) and value is not None:
        return equality_path(name), value
    return name, value
