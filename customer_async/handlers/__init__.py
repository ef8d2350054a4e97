"""The five command handlers: each takes a `Command` and returns the `Reply`.

Write handlers store their change with its outbox entry in one write; the dispatcher publishes.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from customer_async.handlers.context import HandlerContext
from customer_async.handlers.create import create_customer
from customer_async.handlers.delete import delete_customer
from customer_async.handlers.list import list_customers
from customer_async.handlers.patch import patch_customer
from customer_async.handlers.retrieve import retrieve_customer
from customer_async.types import Handler, Operation

__all__ = ["HandlerContext", "handlers_for"]


def handlers_for(context: HandlerContext) -> Mapping[Operation, Handler]:
    """Each operation's handler, bound to the store, settings and schemas in `context`."""
    return {
        Operation.RETRIEVE: partial(retrieve_customer, context=context),
        Operation.LIST: partial(list_customers, context=context),
        Operation.CREATE: partial(create_customer, context=context),
        Operation.PATCH: partial(patch_customer, context=context),
        Operation.DELETE: partial(delete_customer, context=context),
    }
