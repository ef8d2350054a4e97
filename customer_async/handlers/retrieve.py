"""retrieveCustomer: one customer by id, with `fields` applied."""

from __future__ import annotations

from customer_async.errors import CustomerNotFound
from customer_async.handlers.context import HandlerContext, customer_id
from customer_async.query.fields import parse_fields, select_fields
from customer_async.types import Command, Reply


async def retrieve_customer(command: Command, *, context: HandlerContext) -> Reply:
    """200 with the customer, or 404."""
    wanted = customer_id(command)
    fields = parse_fields(command.parameters.get("fields"))
    found = await context.store.get(wanted)
    if found is None:
        raise CustomerNotFound(f"no customer with id {wanted!r}")
    return Reply(200, select_fields(found, fields), key=wanted)
