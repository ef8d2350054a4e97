"""What every handler works with, and the parameter readers they share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from customer_async import schemas
from customer_async.customer_ids import requested_customer_id
from customer_async.query.shadow import customer_shadow
from customer_async.settings import Settings
from customer_async.store import CustomerStore
from customer_async.types import Command, Document


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """The settings, the store and the Customer attribute types, shared by all handlers."""

    settings: Settings
    store: CustomerStore
    attribute_types: Mapping[str, str] = field(default_factory=schemas.attribute_types)

    def shadow(self, resource: Document) -> Document:
        """The shadow stored beside `resource` for lists: date-times as instants, id buckets."""
        return customer_shadow(resource, self.attribute_types)


def customer_id(command: Command) -> str:
    """The `id` parameter of a retrieve, patch or delete (400 when missing or malformed)."""
    return requested_customer_id(command.parameters)
