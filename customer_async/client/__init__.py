"""A Python client of the Customer Management Async API: request/reply over Kafka, and events.

    async with CustomerClient(bootstrap_servers="127.0.0.1:9092", topic_prefix="tmf") as client:
        customer = await client.create({"name": "Moon FC", "engagedParty": {"id": "500"}})
        page = await client.list({"name": "Moon FC"}, fields="name", limit=10)
        await client.patch(customer["id"], {"status": "Approved"})
        await client.delete(customer["id"])

It speaks only the wire contract (topics, headers, statuses), so it works against any instance of
the service and imports nothing of the service's internals.

**Results are plain dicts, not models generated from `schemas/`.** A reply is exactly the JSON the
service sent, and three parts of the contract make generated models a poor fit: `fields` returns
partial resources (every attribute but `id`, `href`, `@type` may be missing), the extension
pattern keeps attributes the schema does not name, and `@type` sub-classes (polymorphic contact
media, `Customer` sub-types) are open-ended. Models faithful to that would be all-optional with
extra attributes allowed, adding a code-generation step and a second copy of the schemas (which
the service already enforces, and which change) for little checking; they would also re-serialise
with aliases and defaults, while the CLI and callers that forward a customer want it unchanged.
What is typed is what the contract fixes: `Page` (items, offset, `X-Total-Count`,
`X-Result-Count`), `CustomerEvent`, `Reply`, and the error tree in `errors`.
"""

from customer_async.client.client import CustomerClient
from customer_async.client.errors import (
    BadRequest,
    BrokerUnavailable,
    ClientNotStarted,
    Conflict,
    CustomerClientError,
    ErrorReply,
    Forbidden,
    InternalServerError,
    MalformedReply,
    NotFound,
    PayloadTooLarge,
    ReplyTimeout,
    RequestRefused,
    ServiceFailed,
    ServiceUnavailable,
    TopicNotFound,
    UnsupportedMediaType,
)
from customer_async.client.events import EVENT_TYPES, CustomerEvent, EventStream
from customer_async.client.pages import Customer, Page
from customer_async.client.replies import Reply
from customer_async.client.requests import JSON_PATCH, JSON_PATCH_QUERY, MERGE_PATCH

__all__ = [
    "EVENT_TYPES",
    "JSON_PATCH",
    "JSON_PATCH_QUERY",
    "MERGE_PATCH",
    "BadRequest",
    "BrokerUnavailable",
    "ClientNotStarted",
    "Conflict",
    "Customer",
    "CustomerClient",
    "CustomerClientError",
    "CustomerEvent",
    "ErrorReply",
    "EventStream",
    "Forbidden",
    "InternalServerError",
    "MalformedReply",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "Reply",
    "ReplyTimeout",
    "RequestRefused",
    "ServiceFailed",
    "ServiceUnavailable",
    "TopicNotFound",
    "UnsupportedMediaType",
]
