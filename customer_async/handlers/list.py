"""listCustomer: filters, sort, paging and `fields`, with the total and page counts."""

from __future__ import annotations

from customer_async.handlers.context import HandlerContext
from customer_async.query import parse_list_query
from customer_async.query.fields import select_fields
from customer_async.types import Command, Reply


async def list_customers(command: Command, *, context: HandlerContext) -> Reply:
    """200 with a (possibly empty) page; X-Total-Count, X-Total-Count-Exact and X-Result-Count
    headers (a total past the store's count bound is a lower bound: `CustomerStore.find`)."""
    query = parse_list_query(command.parameters, context.attribute_types, context.settings)
    page = await context.store.find(
        query.filter, query.sort, query.offset, query.limit, query.projection
    )
    items = [select_fields(resource, query.fields) for resource in page.items]
    headers = {
        "X-Total-Count": str(page.total),
        "X-Total-Count-Exact": "true" if page.exact else "false",
        "X-Result-Count": str(len(items)),
    }
    return Reply(200, items, headers=headers)
