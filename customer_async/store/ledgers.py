"""The runs' ledgers on the MongoDB side: the `customer_ledger` collection, one document per run.

What a ledger means and who writes it is `protocol/ledger.py`; this module only keeps its table:
`_id` is the run, beside `published`, `reserved` and `beat`. Each run writes only its own
document (an upsert, so a run whose entry was removed while it was silent writes it back); the
sweep of another instance removes it once the run is recovered. A handful of documents: read
whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from customer_async.protocol.ledger import LedgerEntry
from customer_async.store.mapping import Stored


class MongoLedgers:
    """The `customer_ledger` collection as a `LedgerTable`."""

    def __init__(self, ledgers: AsyncCollection[Stored]) -> None:
        self._ledgers = ledgers

    async def keep(self, entry: LedgerEntry) -> None:
        fields = {"published": entry.published, "reserved": entry.reserved, "beat": entry.beat}
        await self._ledgers.update_one({"_id": entry.run}, {"$set": fields}, upsert=True)

    async def get(self, run: str) -> LedgerEntry | None:
        found = await self._ledgers.find_one({"_id": run})
        return None if found is None else _entry(found)

    async def all(self) -> list[LedgerEntry]:
        return [_entry(found) for found in await self._ledgers.find({}).to_list()]

    async def remove(self, run: str, beat: datetime | None = None) -> None:
        query: Stored = {"_id": run} if beat is None else {"_id": run, "beat": beat}
        await self._ledgers.delete_one(query)


def _entry(stored: Mapping[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        str(stored["_id"]), int(stored["published"]), int(stored["reserved"]), stored["beat"]
    )
