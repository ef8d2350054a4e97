"""The five command handlers.

Reads (retrieve, list) take a `Command` and answer it from the store. Writes (create, patch,
delete) only decide: they turn a command and the customer as it is into a `Change`, and the write
path (protocol/writes.py) stores, publishes and remembers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

from customer_async.handlers.context import HandlerContext, customer_id
from customer_async.handlers.create import create_customer
from customer_async.handlers.delete import delete_customer
from customer_async.handlers.list import list_customers
from customer_async.handlers.patch import patch_customer
from customer_async.handlers.retrieve import retrieve_customer
from customer_async.types import Operation, ReadHandler

__all__ = [
    "HandlerContext",
    "create_customer",
    "customer_id",
    "delete_customer",
    "patch_customer",
    "read_handlers_for",
]


def read_handlers_for(context: HandlerContext) -> Mapping[Operation, ReadHandler]:
    """The read operations' handlers, bound to the store and settings in `context`."""
    return {
        Operation.RETRIEVE: partial(retrieve_customer, context=context),
        Operation.LIST: partial(list_customers, context=context),
    }
