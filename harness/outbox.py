"""Which customers still hold an unpublished outbox, read straight from the database (the service
never shows its bookkeeping): an outbox is published when its stamp's run says so in its ledger
(`customer_ledger`), or has no ledger left (customer_async/protocol/ledger.py). A live run writes
its ledger every quarter second, so a reading may lag by that: callers read until it holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from customer_async.protocol.ledger import outbox_published
from customer_async.store.mapping import to_record

Stored = dict[str, Any]


async def unpublished_customers(
    database: AsyncDatabase[Stored], ids: Sequence[str] | None = None
) -> list[str]:
    """The customers (of `ids`, or all) whose outbox is not published yet, by id."""
    ledgers = await database["customer_ledger"].find({}).to_list()
    published = {str(d["_id"]): int(d["published"]) for d in ledgers}
    query: Stored = {} if ids is None else {"_id": {"$in": list(ids)}}
    # FerretDB v1 has no index-path `$exists`: the customers are filtered here.
    documents = await database["customer"].find(query, {"_outbox": 1, "_stamp": 1}).to_list()
    return sorted(str(d["_id"]) for d in documents if not outbox_published(to_record(d), published))
