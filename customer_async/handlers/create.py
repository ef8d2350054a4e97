"""createCustomer: validate, assign id/href/defaults; the write path stores it with its event."""

from __future__ import annotations

from customer_async import events, schemas
from customer_async.attribute_names import check_document_names
from customer_async.customer_ids import created_customer_id
from customer_async.errors import SchemaViolation
from customer_async.handlers.context import HandlerContext
from customer_async.query.fields import parse_fields, select_fields
from customer_async.settings import Settings
from customer_async.types import Change, Command, Document, Reply

_SERVER_ASSIGNED = ("id", "href")


def new_customer(payload: Document, customer_id: str, settings: Settings) -> Document:
    """The resource a create stores: the client's attributes plus the server's.

    Client `id`/`href` are ignored; `@type` defaults to Customer and `status` to Created;
    `topicRef` names the retrieve topic. Attributes the schema does not know are kept.
    """
    resource: Document = {"id": customer_id, "href": settings.customer_href(customer_id)}
    resource["@type"] = payload.get("@type", "Customer")
    resource.update((k, v) for k, v in payload.items() if k not in (*_SERVER_ASSIGNED, "@type"))
    resource.setdefault("status", "Created")
    resource["topicRef"] = settings.topic_ref
    return resource


def create_customer(command: Command, context: HandlerContext) -> Change:
    """201 with the new customer and its CustomerCreateEvent (every check is on the request)."""
    payload = command.payload
    if not isinstance(payload, dict):
        raise SchemaViolation("$: the value must be a Customer JSON object")
    fields = parse_fields(command.parameters.get("fields"))
    check_document_names(payload)
    schemas.validate("Customer_FVO", payload)
    customer_id = created_customer_id(command.request_key)
    resource = new_customer(payload, customer_id, context.settings)
    schemas.validate("Customer", resource)
    reply = Reply(201, select_fields(resource, fields), key=customer_id)
    return Change(resource, reply, (events.customer_created(resource, command.correlation_id),))
