"""The customer record: what a write remembers, what it still has to publish, and in what order."""

from __future__ import annotations

from customer_async import events
from customer_async.protocol.record import CustomerRecord, new_record
from customer_async.types import Reply, ReplyAddress

ADDRESS = ReplyAddress("t.reply", "corr", "t.request")
CUSTOMER = {"id": "c1", "href": "h", "@type": "Customer", "name": "n", "status": "Created"}


def created() -> CustomerRecord:
    return new_record(
        "c1",
        CUSTOMER,
        request_key="t|create",
        reply=Reply(201, CUSTOMER, key="c1"),
        address=ADDRESS,
        events=(events.customer_created(CUSTOMER, "corr"),),
    )


def patched(
    record: CustomerRecord, n: int, *, published_up_to: int = 0, keep: int = 3
) -> CustomerRecord:
    after = {**record.resource, "name": f"n{n}"}
    return record.applied_write(
        f"t|patch-{n}",
        Reply(200, after, key="c1"),
        resource=after,
        address=ADDRESS,
        events=events.customer_patched(after, {"name"}, "corr"),
        published_up_to=published_up_to,
        keep=keep,
    )


def test_a_create_is_version_one_remembered_and_waiting_to_be_published() -> None:
    record = created()
    assert record.version == 1
    assert record.live
    assert record.reply_to("t|create") == Reply(201, CUSTOMER, key="c1")
    assert record.reply_to("t|other") is None
    [entry] = record.unpublished()
    assert entry.seq == 1
    assert [e.resource_version for e in entry.events] == [1]


def test_a_write_publishes_behind_what_is_still_unpublished() -> None:
    record = patched(patched(created(), 1), 2)
    assert [p.seq for p in record.outbox] == [1, 2, 3]
    assert [e.resource_version for p in record.outbox for e in p.events] == [1, 2, 3]
    assert [p.seq for p in record.unpublished(published_up_to=2)] == [3]


def test_a_write_drops_what_was_published_already() -> None:
    record = patched(created(), 1, published_up_to=1)
    assert [p.seq for p in record.outbox] == [2]


def test_remembered_requests_are_bounded_but_never_while_their_entry_waits() -> None:
    record = created()
    for n in range(5):
        record = patched(record, n, published_up_to=record.version)
    assert [a.request_key for a in record.applied] == ["t|patch-2", "t|patch-3", "t|patch-4"]
    waiting = created()
    for n in range(5):
        waiting = patched(waiting, n)  # nothing published: every entry still needs its reply
    assert len(waiting.applied) == 6
    assert {p.request_key for p in waiting.outbox} == {a.request_key for a in waiting.applied}


def test_a_delete_leaves_a_tombstone_that_remembers_its_reply() -> None:
    record = created()
    deleted = record.applied_write(
        "t|delete",
        Reply(204, key="c1"),
        resource=None,
        address=ADDRESS,
        events=(events.customer_deleted(CUSTOMER, "corr"),),
        published_up_to=1,
        keep=3,
    )
    assert not deleted.live
    assert deleted.deleted_at is not None
    assert deleted.resource == CUSTOMER
    assert deleted.reply_to("t|delete") == Reply(204, key="c1")
    assert [p.seq for p in deleted.outbox] == [2]


def test_a_refusal_is_remembered_without_changing_the_resource() -> None:
    record = created()
    refused = record.applied_write(
        "t|bad",
        Reply(409, {"@type": "Error"}),
        resource=record.resource,
        address=ADDRESS,
        events=(),
        published_up_to=1,
        keep=3,
    )
    assert refused.resource == record.resource
    assert refused.version == 2
    assert refused.reply_to("t|bad") == Reply(409, {"@type": "Error"})
    assert [(p.seq, p.events) for p in refused.outbox] == [(2, ())]
