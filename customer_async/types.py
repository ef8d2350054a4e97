"""The few types every layer speaks: a decoded command, a reply, an event, a handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from customer_async.outbox import OutboxEntry

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

    @property
    def request_key(self) -> str:
        """The identity of the request for at-most-once application: topic and correlation id."""
        return f"{self.request_topic}|{self.correlation_id}"


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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a handler did: its reply and, for a write, the outbox entry it stored and where."""

    reply: Reply
    customer_id: str | None = None
    written: OutboxEntry | None = None


Handler = Callable[[Command], Awaitable[Outcome]]
"""A command handler: takes a decoded command, says what it did (events go through the outbox)."""
