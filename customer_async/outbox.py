"""The outbox entry: a change's reply and events, written in the same document write as the change.

A write handler stores one entry inside the customer document it changes. The dispatcher then
publishes the entry's events and reply, journals the reply, and removes the entry. A crash at any
point leaves either the entry (published again, same eventIds) or the journal (reply sent again),
so no event is lost or invented and each request is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from customer_async import events
from customer_async.types import Command, Document, Event, Reply


def reply_to_document(reply: Reply) -> Document:
    """The stored form of a reply (journal and outbox)."""
    return {
        "status": reply.status,
        "body": reply.body,
        "key": reply.key,
        "headers": dict(reply.headers),
    }


def reply_from_document(document: Document) -> Reply:
    """The reply stored by `reply_to_document`."""
    return Reply(
        status=int(document["status"]),
        body=document.get("body"),
        key=document.get("key"),
        headers=dict(document.get("headers") or {}),
    )


def event_to_document(event: Event) -> Document:
    """The stored form of an event."""
    return {
        "eventId": event.event_id,
        "eventType": event.event_type,
        "customerId": event.customer_id,
        "correlationId": event.correlation_id,
        "body": event.body,
    }


def event_from_document(document: Document) -> Event:
    """The event stored by `event_to_document`."""
    return Event(
        event_id=document["eventId"],
        event_type=document["eventType"],
        customer_id=document["customerId"],
        correlation_id=document["correlationId"],
        body=document["body"],
    )


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """Everything still to publish for one applied request."""

    request_key: str
    correlation_id: str
    request_topic: str
    reply_channel: str
    reply: Reply
    events: tuple[Event, ...] = ()
    written_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    raw: Document | None = field(default=None, compare=False)
    """The entry as read back from the store, when it was; removing it must match it exactly."""

    @property
    def stored_form(self) -> Document:
        """The subdocument as the store holds it (what removing the entry must match)."""
        return self.raw if self.raw is not None else self.to_document()

    @property
    def removes_customer(self) -> bool:
        """Whether this entry is a delete's: once published, the tombstone can go."""
        return any(event.event_type == events.DELETE for event in self.events)

    @classmethod
    def for_command(cls, command: Command, reply: Reply, events: tuple[Event, ...]) -> OutboxEntry:
        """The entry recording `command`'s outcome."""
        return cls(
            request_key=command.request_key,
            correlation_id=command.correlation_id,
            request_topic=command.request_topic,
            reply_channel=command.reply_channel,
            reply=reply,
            events=events,
        )

    def to_document(self) -> Document:
        """The subdocument stored in the customer's `_outbox` array."""
        return {
            "requestKey": self.request_key,
            "correlationId": self.correlation_id,
            "requestTopic": self.request_topic,
            "replyChannel": self.reply_channel,
            "reply": reply_to_document(self.reply),
            "events": [event_to_document(e) for e in self.events],
            "writtenAt": self.written_at,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> OutboxEntry:
        """The entry read back from the store, remembering its stored form."""
        return cls(
            request_key=document["requestKey"],
            correlation_id=document["correlationId"],
            request_topic=document["requestTopic"],
            reply_channel=document["replyChannel"],
            reply=reply_from_document(document["reply"]),
            events=tuple(event_from_document(e) for e in document.get("events", [])),
            written_at=document["writtenAt"],
            raw=document,
        )
