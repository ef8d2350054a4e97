"""The `fields` parameter: which first-level attributes a reply carries.

Any syntactically valid first-level name may be asked for, known to the schema or not, because
customers carry extension attributes the schema does not name; a name no customer has simply
selects nothing. `id`, `href` and `@type` are always returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from typing import Any, Final

from customer_async.errors import InvalidParameter
from customer_async.query.paths import check_segment
from customer_async.types import Document

ALWAYS_SELECTED: Final = ("id", "href", "@type")
"""Attributes every selection includes."""


def parse_fields(value: object) -> frozenset[str] | None:
    """The attribute names `fields` selects, or None (everything) when `value` is None.

    `value` is comma-separated text (blanks around names are ignored) or a JSON array of strings.
    Raises `InvalidParameter` for anything else, an empty name, a dotted name, or a name starting
    with `$` or `_`.
    """
    if value is None:
        return None
    if isinstance(value, str):
        names = [name.strip() for name in value.split(",")]
    elif isinstance(value, list) and all(isinstance(name, str) for name in value):
        names = [name.strip() for name in value]
        if not names:
            raise InvalidParameter("parameter 'fields': empty array")
    else:
        raise InvalidParameter(
            "parameter 'fields': must be comma-separated names or an array of strings"
        )
    for name in names:
        try:
            check_segment(name)
        except ValueError as exc:
            raise InvalidParameter(f"parameter 'fields': {exc}") from exc
        if "." in name:
            raise InvalidParameter(
                f"parameter 'fields': {name!r} is not a first-level attribute name"
            )
    return frozenset(names)


def select_fields(resource: Mapping[str, Any], fields: Set[str] | None) -> Document:
    """A new dict with the attributes of `resource` that `fields` selects and that have a value.

    None selects every attribute. `id`, `href` and `@type` are kept whenever present. The copy
    is shallow and keeps the resource's attribute order; a null attribute has no value.
    """
    if fields is None:
        return dict(resource)
    return {
        name: value
        for name, value in resource.items()
        if value is not None and (name in fields or name in ALWAYS_SELECTED)
    }


def fields_projection(fields: Set[str] | None) -> dict[str, int] | None:
    """The MongoDB projection fetching only what `fields` selects; None means fetch everything.

    The projection always includes `_id`, `id`, `href` and `@type`.
    """
    if fields is None:
        return None
    projection = dict.fromkeys(("_id", *ALWAYS_SELECTED), 1)
    projection.update(dict.fromkeys(sorted(fields), 1))
    return projection
