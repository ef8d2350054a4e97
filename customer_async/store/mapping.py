"""A customer record as its stored document, and back: the layout, kept apart from any I/O.

One document per customer: `_id` is the customer id, the resource's attributes sit at the top
level (so filters are plain dotted paths), and bookkeeping lives in `_`-prefixed fields that never
reach a reply or event (attribute_names.py keeps clients from using such names): `_version`,
`_applied`, `_outbox`, `_stamp` and `_deletedAt` (see protocol/record.py for what each
promises; `_stamp` is an indexed string, what the sweep finds a gone run's customers by),
`_pending` (an outbox without a stamp, stored by a version before stamps), `_tombstone` (true on a
tombstone: an equality FerretDB pushes down, where the sweep's range on `_deletedAt` is not), and
`_dt`, the shadow lists compare instead of the resource (query/shadow.py: date-times as instants,
id buckets, flat values of paths into arrays). Everything a write needs is in that one document.

A remembered reply body or an event's customer that is the resource itself (a create's or a
patch's, until the next change) is stored as a mark (`bodyIsResource`, `customerIsResource`), not
a copy: a store's cost per document grows with its size (FerretDB reads 2.5 times fewer documents
a second with three copies).

`_applied` and a non-empty `_outbox` are *packed*: each one BSON binary holding the array, since
nothing queries into them (the sweep finds customers by `_stamp`) and FerretDB's cost per
document grows with its number of fields, not only its size: it converts every field of the
stored row on every read and write. Packed, a customer with its create's outbox is read about
15 % faster (1,725-1,847 against 1,447-1,570 `find_one`/s at 64 concurrent, 2,000 such
customers on the local stack; without bookkeeping 1,839-1,986). Arrays stored by earlier
versions read as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import bson
from bson.binary import Binary
from bson.codec_options import CodecOptions

from customer_async.protocol.record import AppliedRequest, CustomerRecord, Publication, Stamp
from customer_async.types import Document, Event, Reply, ReplyAddress

Stored = dict[str, Any]
"""A document as the driver reads and writes it."""

INTERNAL_PREFIX = "_"
"""What the name of every bookkeeping field starts with (`_id` included)."""
TOMBSTONE = "_tombstone"
"""True on a tombstone, false on a live customer (none on one stored before the mark)."""
LIVE: Document = {"_deletedAt": None}
"""The condition a customer that is not a tombstone meets."""
WITHOUT_BOOKKEEPING: Document = {
    "_applied": 0,
    "_outbox": 0,
    "_pending": 0,
    "_stamp": 0,
    "_dt": 0,
    "_tombstone": 0,
}
"""The projection reads of resources use: the bookkeeping stays on the server."""


def to_resource(stored: Mapping[str, Any]) -> Document:
    """The TMF resource in a stored document: every bookkeeping field removed."""
    return {k: v for k, v in stored.items() if not k.startswith(INTERNAL_PREFIX)}


def to_document(record: CustomerRecord, shadow: Document) -> Stored:
    """The whole document a new customer is stored as: its id, resource and bookkeeping."""
    return {"_id": record.customer_id, **record.resource, **bookkeeping(record, shadow)}


def bookkeeping(record: CustomerRecord, shadow: Document) -> Document:
    """The `_`-fields a record stores beside its resource (a write `$set`s them whole: FerretDB
    v1 has no `$push` with `$slice`, so bounded arrays are computed here)."""
    resource = record.resource
    return {
        "_version": record.version,
        "_dt": shadow,
        "_applied": _pack([_applied_document(a, resource) for a in record.applied]),
        "_outbox": _pack([_publication_document(p, resource) for p in record.outbox]),
        "_stamp": None if record.stamp is None else str(record.stamp),
        "_pending": bool(record.outbox) and record.stamp is None,
        "_deletedAt": record.deleted_at,
        TOMBSTONE: record.deleted_at is not None,
    }


def to_record(stored: Stored) -> CustomerRecord:
    """The record a stored document holds, a tombstone included (its marks resolved)."""
    resource = to_resource(stored)
    customer_id = stored["_id"]
    return CustomerRecord(
        customer_id=customer_id,
        resource=resource,
        version=int(stored.get("_version", 0)),
        applied=tuple(_applied_request(a, resource) for a in unpack(stored.get("_applied"))),
        outbox=tuple(_publication(p, customer_id, resource) for p in unpack(stored.get("_outbox"))),
        deleted_at=stored.get("_deletedAt"),
        stamp=stamp_of(stored),
    )


_PACKED: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)
"""How a packed array is read: its times as aware datetimes, as the client reads the rest."""


def _pack(items: list[Document]) -> Binary | list[Document]:
    """An array as one BSON binary (an empty one stays `[]`)."""
    return Binary(bson.encode({"items": items})) if items else []


def unpack(value: Any) -> list[Document]:
    """A stored bookkeeping array, packed (bytes) or as earlier versions stored it (a list)."""
    if isinstance(value, bytes):
        items: list[Document] = bson.decode(value, codec_options=_PACKED)["items"]
        return items
    return list(value or ())


def stamp_of(stored: Mapping[str, Any]) -> Stamp | None:
    """The stamp on a stored document's outbox, if any."""
    text = stored.get("_stamp")
    return None if text is None else Stamp.parse(text)


def _applied_document(applied: AppliedRequest, resource: Document) -> Document:
    reply = applied.reply
    document: Document = {
        "k": applied.request_key,
        "status": reply.status,
        "key": reply.key,
        "headers": reply.headers,
    }
    if reply.body is not None and reply.body == resource:
        document["bodyIsResource"] = True
    else:
        document["body"] = reply.body
    return document


def _applied_request(document: Document, resource: Document) -> AppliedRequest:
    body = resource if document.get("bodyIsResource") else document.get("body")
    reply = Reply(
        status=int(document["status"]),
        body=body,
        key=document.get("key"),
        headers=dict(document.get("headers") or {}),
    )
    return AppliedRequest(document["k"], reply)


def _event_document(event: Event, resource: Document) -> Document:
    document: Document = {
        "eventId": event.event_id,
        "eventType": event.event_type,
        "correlationId": event.correlation_id,
    }
    if event.body.get("event", {}).get("customer") == resource:
        document["body"] = {**event.body, "event": {**event.body["event"], "customer": None}}
        document["customerIsResource"] = True
    else:
        document["body"] = event.body
    return document


def _event(document: Document, customer_id: str, seq: int, resource: Document) -> Event:
    # Neither the customer id nor the version is stored: an event is about its record's
    # customer, at the version its write produced (its publication's `seq`).
    body = document["body"]
    if document.get("customerIsResource"):
        body = {**body, "event": {**body["event"], "customer": resource}}
    return Event(
        document["eventId"],
        document["eventType"],
        customer_id,
        document["correlationId"],
        body,
        seq,
    )


def _publication_document(publication: Publication, resource: Document) -> Document:
    address = publication.address
    return {
        "seq": publication.seq,
        "k": publication.request_key,
        "to": {
            "channel": address.channel,
            "correlationId": address.correlation_id,
            "requestTopic": address.request_topic,
            "requestKey": address.request_key,
            # Objects, not pairs: FerretDB v1 refuses arrays nested in arrays.
            "echo": [{"name": name, "value": value} for name, value in address.echo],
        },
        "events": [_event_document(e, resource) for e in publication.events],
        "at": publication.written_at,
    }


def _publication(document: Document, customer_id: str, resource: Document) -> Publication:
    to = document["to"]
    address = ReplyAddress(
        to["channel"],
        to["correlationId"],
        to["requestTopic"],
        to.get("requestKey"),
        tuple((str(h["name"]), bytes(h["value"])) for h in to.get("echo") or ()),
    )
    seq = int(document["seq"])
    events = tuple(_event(e, customer_id, seq, resource) for e in document["events"])
    return Publication(seq, document["k"], address, events, document["at"])
