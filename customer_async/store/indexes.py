"""The indexes the service's queries read through, made for the way each server uses them.

The sweep's on every server: `_stamp`, `_pending`, and for tombstones `_deletedAt` on MongoDB,
the `_tombstone` mark on FerretDB, which pushes no range down (an earlier version's `_deletedAt`
index there is dropped, as is the `_outbox.at` index of earlier versions everywhere: nothing
reads them, and every write had to maintain them); then, for lists:

- *MongoDB:* `{attribute: 1, _id: 1}` for each filtered attribute. Every list sorts last by `_id`,
  so an equality filter on the attribute is served in id order straight from the index (no sort;
  skip and limit walk it), an ascending sort by it too, and a count up to the bound stops in the
  index after that many. A sort by it descending (then `_id` ascending) is a top-k sort MongoDB
  holds `offset + limit` documents for. The single-attribute indexes (`by_<attribute>`) of earlier
  versions are prefixes of these: they are dropped, so a write maintains one index per attribute,
  not two.
- *FerretDB:* `{attribute: 1}` for each filtered attribute that reaches into no array (a btree
  FerretDB never uses; the stack's PostgreSQL gives it the GIN twin its pushed-down equalities
  use, which a compound index would not get; through an array nothing is pushed down), and the
  shadow's id buckets and flat values (`SHADOW_INDEXES`): lists in id order read one bucket at a
  time (lists.py), an equality on a path into an array reads the flat values. Those are created
  only on an empty collection (or kept once there): then every customer stored has its shadow,
  which such a list relies on. A collection of customers stored before keeps being listed by
  whole finds (queries.py), and so does a FerretDB without nested pushdown (the bucket equalities
  are dotted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from customer_async.query.paths import through_objects
from customer_async.query.shadow import EQUALITY_PATHS, LEVELS, bucket_path, equality_path
from customer_async.store.mapping import TOMBSTONE, Stored

FILTER_INDEXES = (
    "name",
    "status",
    "engagedParty.id",
    "relatedParty.partyOrPartyRole.id",
    "contactMedium.emailAddress",
    "_dt.validFor.startDateTime",
)
"""The attributes users filter on most (seed 000: name; ids of the parties involved; status).

Each is indexed for the server's way of using it (`create_indexes`)."""
SHADOW_INDEXES = (
    *(bucket_path(level) for level in range(1, LEVELS + 1)),
    *(equality_path(path) for path in EQUALITY_PATHS),
)
"""The shadow's id buckets and flat values (query/shadow.py), indexed on FerretDB for lists."""


async def create_indexes(
    customers: AsyncCollection[Stored],
    extra: Sequence[str],
    *,
    ferretdb: bool,
    types: Mapping[str, str],
) -> None:
    """Creates the sweep's indexes and those of `extra` (the filtered attributes) for lists, as
    the module docstring says (idempotent); `types`: the attribute types."""
    # The sweep looks up a gone run's stamps, unstamped outboxes and expired tombstones: on
    # MongoDB by the range on `_deletedAt`; FerretDB pushes no range down, so there by their mark
    # (an index on `_deletedAt` would only be written, never read).
    await customers.create_index([("_stamp", ASCENDING)], name="stamp")
    await customers.create_index([("_pending", ASCENDING)], name="pending")
    if ferretdb:
        await customers.create_index([(TOMBSTONE, ASCENDING)], name="tombstone_marks")
    else:
        await customers.create_index([("_deletedAt", ASCENDING)], name="tombstones")
    unread = ("outbox_written_at", "tombstones") if ferretdb else ("outbox_written_at",)
    existing = await customers.index_information()
    for name in unread:
        if name in existing:
            await customers.drop_index(name)
    if not ferretdb:
        for path in extra:
            await customers.create_index(
                [(path, ASCENDING), ("_id", ASCENDING)], name=f"by_{path}_id"
            )
            if f"by_{path}" in existing:
                await customers.drop_index(f"by_{path}")
        return
    for path in extra:
        if through_objects(path, types):  # else never pushed down
            await customers.create_index([(path, ASCENDING)], name=f"by_{path}")
    empty = await customers.find_one({}, projection={"_id": 1}) is None
    if empty or await has_shadow_indexes(customers):
        for path in SHADOW_INDEXES:
            await customers.create_index([(path, ASCENDING)], name=f"by_{path}")


async def has_shadow_indexes(customers: AsyncCollection[Stored]) -> bool:
    """Whether every index of `SHADOW_INDEXES` exists (lists may then read id buckets)."""
    existing = await customers.index_information()
    return all(f"by_{path}" in existing for path in SHADOW_INDEXES)
