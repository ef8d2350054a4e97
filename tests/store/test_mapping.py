"""A customer record as its stored document and back (store/mapping.py), without a server.

The round trip is the promise: whatever the write path stores, a read gives back the very record,
the marks that stand for a copy of the resource (`bodyIsResource`, `customerIsResource`) resolved.
It is checked on the document as built and on the document as BSON carries it (tuples become
arrays, datetimes milliseconds), the form the driver hands back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import bson
from bson.codec_options import CodecOptions
from hypothesis import given
from hypothesis import strategies as st

from customer_async import events
from customer_async.protocol.record import (
    AppliedRequest,
    CustomerRecord,
    Publication,
    Stamp,
    new_record,
)
from customer_async.store.mapping import (
    INTERNAL_PREFIX,
    bookkeeping,
    to_document,
    to_record,
    to_resource,
    unpack,
)
from customer_async.types import Document, Event, Reply, ReplyAddress
from tests.query.strategies import customers, instants

AS_READ: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)
"""How the service's client decodes documents (`CustomerStore.from_settings`: `tz_aware`)."""
SHADOW: Document = {"validFor": {"startDateTime": datetime(2024, 1, 1, tzinfo=UTC)}}
BOOKKEEPING = {
    "_version",
    "_dt",
    "_applied",
    "_outbox",
    "_stamp",
    "_pending",
    "_deletedAt",
    "_tombstone",
}

keys = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8)
"""Object keys BSON can carry (no NUL)."""
attribute_names = keys.filter(lambda name: not name.startswith(("_", "$")) and "." not in name)
"""Names a client may give an attribute (attribute_names.py)."""
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec="utf-8")),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=8,
)
texts = st.text(st.characters(codec="utf-8"), max_size=12)

REPLY_HEADER_NAMES = ("Retry-After", "X-Total-Count", "X-Total-Count-Exact", "X-Result-Count")


@st.composite
def resources(draw: st.DrawFn, customer_id: str) -> Document:
    """A Customer resource, sometimes with attributes of any JSON shape beside the usual."""
    resource = draw(customers(customer_id))
    resource.update(draw(st.dictionaries(attribute_names, json_values, max_size=3)))
    return resource


@st.composite
def replies(draw: st.DrawFn, resource: Document) -> Reply:
    """A remembered reply: its body the resource itself (stored as a mark), or anything."""
    body = draw(st.one_of(st.just(resource), st.none(), json_values))
    return Reply(
        status=draw(st.sampled_from((200, 201, 204, 400, 404, 409, 500, 503))),
        body=body,
        key=draw(st.none() | texts),
        # Header names are the service's own (a request's headers never reach a reply's).
        headers=draw(st.dictionaries(st.sampled_from(REPLY_HEADER_NAMES), texts, max_size=2)),
    )


@st.composite
def event_list(draw: st.DrawFn, customer_id: str, seq: int, resource: Document) -> list[Event]:
    """A write's events: about the record's customer, stamped with the version it produced,
    carrying the resource itself (stored as a mark), its identity, or another object."""
    made = []
    for _ in range(draw(st.integers(0, 2))):
        event_type = draw(st.sampled_from((events.CREATE, events.STATE_CHANGE, events.DELETE)))
        customer = draw(
            st.one_of(
                st.just(resource),
                st.just({"id": customer_id, "@type": "Customer"}),
                st.dictionaries(keys, json_values, max_size=3),
            )
        )
        event_id = str(draw(st.uuids()))
        correlation_id = draw(texts)
        body = {
            "@type": event_type,
            "eventId": event_id,
            "correlationId": correlation_id,
            "event": {"customer": customer, **draw(st.dictionaries(keys, json_values, max_size=1))},
        }
        made.append(Event(event_id, event_type, customer_id, correlation_id, body, seq))
    return made


@st.composite
def publications(draw: st.DrawFn, customer_id: str, seq: int, resource: Document) -> Publication:
    """An outbox entry: where its reply goes (raw headers echoed included), its events, when."""
    address = ReplyAddress(
        draw(texts),
        draw(texts),
        draw(texts),
        draw(st.none() | texts),
        tuple(draw(st.lists(st.tuples(texts, st.binary(max_size=8)), max_size=2))),
    )
    return Publication(
        seq,
        draw(texts),
        address,
        tuple(draw(event_list(customer_id, seq, resource))),
        draw(instants()),
    )


@st.composite
def records(draw: st.DrawFn) -> CustomerRecord:
    """Any record: a live customer or a tombstone, with replies remembered and entries to
    publish (each at a version up to the record's, oldest first)."""
    customer_id = str(draw(st.uuids()))
    resource = draw(resources(customer_id))
    version = draw(st.integers(1, 1000))
    seqs = sorted(draw(st.sets(st.integers(1, version), max_size=3)))
    return CustomerRecord(
        customer_id=customer_id,
        resource=resource,
        version=version,
        applied=tuple(
            AppliedRequest(draw(texts), draw(replies(resource)))
            for _ in range(draw(st.integers(0, 3)))
        ),
        outbox=tuple(draw(publications(customer_id, seq, resource)) for seq in seqs),
        deleted_at=draw(st.none() | instants()),
        stamp=draw(st.none() | stamps()),
    )


@st.composite
def stamps(draw: st.DrawFn) -> Stamp:
    """A write's stamp: any run id (a stable instance id may hold any character, `#` too)."""
    return Stamp(draw(texts), draw(st.integers(1, 2**62)))


@st.composite
def histories(draw: st.DrawFn) -> CustomerRecord:
    """A record as the write path leaves it: a create, then patches and maybe a delete, each
    with the events and reply the service builds, published or not in between."""
    customer_id = str(draw(st.uuids()))
    address = ReplyAddress("t.reply", "corr", "t.request", customer_id)
    resource = draw(resources(customer_id))
    record = new_record(
        customer_id,
        resource,
        request_key="t|create",
        reply=Reply(201, resource, key=customer_id),
        address=address,
        events=(events.customer_created(resource, "corr"),),
        now=draw(instants()),
    )
    for n in range(draw(st.integers(0, 4))):
        after = {**record.resource, "status": draw(st.sampled_from(("Approved", "Closed")))}
        record = record.applied_write(
            f"t|patch-{n}",
            Reply(200, after, key=customer_id),
            resource=after,
            address=address,
            events=events.customer_patched(after, {"status", "name"}, "corr"),
            published_up_to=draw(st.integers(0, record.version)),
            keep=draw(st.integers(1, 3)),
            now=draw(instants()),
        )
    if draw(st.booleans()):
        record = record.applied_write(
            "t|delete",
            Reply(204, key=customer_id),
            resource=None,
            address=address,
            events=(events.customer_deleted(record.resource, "corr"),),
            published_up_to=draw(st.integers(0, record.version)),
            keep=3,
            now=draw(instants()),
        )
    return record


def as_read(document: dict[str, Any]) -> dict[str, Any]:
    """The document after a trip through BSON, decoded as the service's client decodes it."""
    return bson.decode(bson.encode(document), codec_options=AS_READ)


@given(records())
def test_any_record_comes_back_from_its_document(record: CustomerRecord) -> None:
    assert to_record(to_document(record, SHADOW)) == record


@given(records())
def test_any_record_comes_back_from_its_document_as_bson_carries_it(
    record: CustomerRecord,
) -> None:
    assert to_record(as_read(to_document(record, SHADOW))) == record


@given(histories())
def test_a_record_the_write_path_built_comes_back(record: CustomerRecord) -> None:
    assert to_record(as_read(to_document(record, SHADOW))) == record


@given(records())
def test_the_resource_of_a_document_is_the_record_s_without_any_bookkeeping(
    record: CustomerRecord,
) -> None:
    document = to_document(record, SHADOW)
    assert set(document) == {"_id", *record.resource, *BOOKKEEPING}
    assert to_resource(document) == record.resource
    assert not [name for name in to_resource(document) if name.startswith(INTERNAL_PREFIX)]


def created(resource: Document) -> CustomerRecord:
    """A create as the write path stores it: its reply and event carry the resource."""
    return new_record(
        "c1",
        resource,
        request_key="t|create",
        reply=Reply(201, resource, key="c1"),
        address=ReplyAddress("t.reply", "corr", "t.request", echo=(("kafka_id", b"\x00\xff"),)),
        events=(events.customer_created(resource, "corr"),),
        now=datetime(2024, 1, 1, tzinfo=UTC),
    )


CUSTOMER: Document = {"id": "c1", "href": "h", "@type": "Customer", "name": "Ann"}


def test_a_reply_and_an_event_carrying_the_resource_store_a_mark_not_a_copy() -> None:
    document = to_document(created(CUSTOMER), SHADOW)
    (applied,) = unpack(document["_applied"])
    assert applied["bodyIsResource"] is True
    assert "body" not in applied
    ((event,),) = [entry["events"] for entry in unpack(document["_outbox"])]
    assert event["customerIsResource"] is True
    assert event["body"]["event"]["customer"] is None


def test_a_reply_body_that_is_no_longer_the_resource_is_stored_as_it_was() -> None:
    """After a patch the create's reply still says what was created, not what is there now."""
    record = created(CUSTOMER)
    patched = CustomerRecord("c1", {**CUSTOMER, "name": "Bob"}, 2, record.applied, record.outbox)
    document = to_document(patched, SHADOW)
    assert unpack(document["_applied"])[0]["body"] == CUSTOMER
    assert "bodyIsResource" not in unpack(document["_applied"])[0]
    assert to_record(document).reply_to("t|create") == Reply(201, CUSTOMER, key="c1")


def test_echoed_headers_are_stored_as_objects_not_pairs() -> None:
    """FerretDB v1 refuses an array nested in an array."""
    document = to_document(created(CUSTOMER), SHADOW)
    echo = unpack(document["_outbox"])[0]["to"]["echo"]
    assert echo == [{"name": "kafka_id", "value": b"\x00\xff"}]


def test_applied_and_outbox_are_packed_and_arrays_of_earlier_versions_still_read() -> None:
    """One binary each (nothing queries into them); a document stored with plain arrays reads
    as the same record."""
    record = created(CUSTOMER)
    document = to_document(record, SHADOW)
    assert isinstance(document["_applied"], bytes)
    assert isinstance(document["_outbox"], bytes)
    earlier = {
        **document,
        "_applied": unpack(document["_applied"]),
        "_outbox": unpack(document["_outbox"]),
    }
    assert to_record(as_read(earlier)) == to_record(as_read(document)) == record
    assert to_document(CustomerRecord("c1", CUSTOMER, 1), SHADOW)["_outbox"] == []


def test_the_pending_mark_says_whether_anything_is_left_to_publish() -> None:
    record = created(CUSTOMER)
    settled = CustomerRecord("c1", CUSTOMER, 1, record.applied)
    assert bookkeeping(record, SHADOW)["_pending"] is True
    assert bookkeeping(settled, SHADOW)["_pending"] is False


def test_a_tombstone_keeps_its_deletion_time_and_last_resource() -> None:
    deleted_at = datetime(2024, 2, 1, 12, 30, tzinfo=UTC)
    tombstone = CustomerRecord("c1", CUSTOMER, 3, deleted_at=deleted_at)
    record = to_record(as_read(to_document(tombstone, SHADOW)))
    assert not record.live
    assert record.deleted_at == deleted_at
    assert record.resource == CUSTOMER


def test_a_document_without_bookkeeping_is_a_record_at_version_zero() -> None:
    """A document stored without the `_`-fields (by hand, or before they existed) still reads."""
    assert to_record({"_id": "c1", **CUSTOMER}) == CustomerRecord("c1", CUSTOMER, 0)


@given(records())
def test_a_tombstone_and_only_a_tombstone_carries_the_mark_the_purge_finds_it_by(
    record: CustomerRecord,
) -> None:
    document = to_document(record, SHADOW)
    assert document["_tombstone"] is (record.deleted_at is not None)
