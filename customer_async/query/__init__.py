"""List queries: filters, sort, paging and field selection, turned into store terms.

Pure functions over request parameters; nothing here talks to the store. Modules:

- `paths`: which attribute paths a client may name, and where the store keeps them;
- `filters`: filter parameters to a MongoDB filter;
- `paging`: `offset`/`limit`/`pageLimit` and `sort`;
- `fields`: the `fields` parameter, selection and projection;
- `dates`: date-time parsing and the date-times of the shadow;
- `shadow`: the `_dt` shadow stored beside a customer (date-times as instants, id buckets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from customer_async.query.fields import fields_projection, parse_fields
from customer_async.query.filters import RESERVED_PARAMETERS, build_filter
from customer_async.query.paging import SortKey, parse_page, parse_sort
from customer_async.types import Document

__all__ = ["RESERVED_PARAMETERS", "ListQuery", "QueryLimits", "parse_list_query"]


class QueryLimits(Protocol):
    """The bounds a list query is parsed under; `customer_async.settings.Settings` is one."""

    @property
    def default_limit(self) -> int:
        """Page size when none is asked for."""
        ...

    @property
    def max_limit(self) -> int:
        """Largest page size a client may ask for."""
        ...

    @property
    def max_regex_length(self) -> int:
        """Longest regular expression a filter may carry."""
        ...


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A list request in store terms: what matches, in which order, which slice, which fields."""

    filter: Document
    sort: list[SortKey]
    offset: int
    limit: int
    fields: frozenset[str] | None

    @property
    def projection(self) -> dict[str, int] | None:
        """The MongoDB projection for `fields`; None fetches whole documents."""
        return fields_projection(self.fields)


def parse_list_query(
    params: Mapping[str, object], types: Mapping[str, str], limits: QueryLimits
) -> ListQuery:
    """The `ListQuery` for a list command's parameters.

    `types` maps dotted attribute paths to schema types. Raises `InvalidParameter` for a bad
    `offset`, `limit`, `pageLimit`, `sort` or `fields`, and `FilterParseError` for a bad filter.
    """
    page = parse_page(params, default_limit=limits.default_limit, max_limit=limits.max_limit)
    return ListQuery(
        filter=build_filter(params, types, max_regex_length=limits.max_regex_length),
        sort=parse_sort(params.get("sort"), types),
        offset=page.offset,
        limit=page.limit,
        fields=parse_fields(params.get("fields")),
    )
