"""The benchmark writes customers straight into the store in the service's stored shape: the same
fields as `to_document` gives a settled, live customer (a field the service adds later, such as a
mark its queries rely on, must be added there too)."""

from __future__ import annotations

from benchmarks.stored_customers import StoredCustomers
from customer_async.protocol.record import new_record
from customer_async.settings import Settings
from customer_async.store.mapping import to_document, to_record
from customer_async.types import Reply, ReplyAddress


def test_a_bulk_loaded_customer_has_the_fields_the_service_stores() -> None:
    document = StoredCustomers(Settings()).document("c-1")
    resource = {k: v for k, v in document.items() if not k.startswith("_")}
    record = new_record(
        "c-1",
        resource,
        request_key="t|c-1",
        reply=Reply(201),
        address=ReplyAddress("t.reply", "c", "t.request"),
        events=(),
        stamp=None,
    )
    assert set(document) == set(to_document(record, document["_dt"]))
    read = to_record(document)
    assert (read.resource, read.deleted_at, read.outbox) == (resource, None, ())
