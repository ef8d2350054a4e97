"""The few types every layer speaks: a decoded command, a reply, an event, a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JSON = Any
"""A decoded JSON value (dict, list, str, int, float, bool or None)."""

Document = dict[str, Any]
"""A JSON object: a customer resource, a patch document, an event body."""


class Operation(StrEnum):
    """The five commands of the API, named as in their topic (`{op}Customer.commandRequest`)."""

    RETRIEVE = "retrieve"
    LIST = "list"
    CREATE = "create"
    PATCH = "patch"
    DELETE = "delete"

    @property
    def writes(self) -> bool:
        """Whether the command changes the store (and so is journalled and may emit events)."""
        return self in (Operation.CREATE, Operation.PATCH, Operation.DELETE)


@dataclass(frozen=True, slots=True)
class Command:
    """A request record decoded at the edge, free of any Kafka type."""

    operation: Operation
    correlation_id: str
    request_topic: str
    reply_channel: str
    parameters: Mapping[str, JSON] = field(default_factory=dict)
    content_type: str | None = None
    payload: JSON = None
    key: str | None = None
    echo: tuple[tuple[str, bytes], ...] = ()
    """Headers the reply repeats verbatim (a Spring caller's raw `kafka_correlationId`)."""

    @property
    def request_key(self) -> str:
        """The identity of the request for at-most-once application: topic and correlation id."""
        return f"{self.request_topic}|{self.correlation_id}"


@dataclass(frozen=True, slots=True)
class ReplyAddress:
    """Where a request's reply goes and what it echoes: kept with a write until it is published."""

    channel: str
    correlation_id: str
    request_topic: str
    request_key: str | None = None
    """The request record's Kafka key, used when the reply has no key of its own."""
    echo: tuple[tuple[str, bytes], ...] = ()
    """Headers the reply repeats verbatim, in the form the caller sent them."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler answers: a status, an optional JSON body and the record key to use."""

    status: int
    body: JSON = None
    key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Event:
    """A notification ready to publish; `event_id` is fixed when the change is written."""

    event_id: str
    event_type: str
    customer_id: str
    correlation_id: str
    body: Document
    resource_version: int = 0
    """The customer's version this event leaves it at: increases with each of its writes."""


ReadHandler = Callable[[Command], Awaitable[Reply]]
"""A read handler (retrieve, list): takes a decoded command, answers it from the store."""


@dataclass(frozen=True, slots=True)
class Change:
    """What a write command decides, before anything is stored.

    `resource` is the customer after the write (None: deleted). A change with no events and the
    same resource is a no-op that is still remembered as applied.
    """

    resource: Document | None
    reply: Reply
    events: tuple[Event, ...] = ()
