"""Inserting many documents in one command, and learning each one's outcome.

Both the creates of a poll and the single leases of concurrent writers are inserted together
(`batching.Batched`) and each caller must learn whether *its* `_id` was new: a taken id means
the create was applied before, or the customer's lease is held.
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from customer_async.store.errors import DUPLICATE_KEY
from customer_async.store.mapping import Stored
from customer_async.types import Document


async def insert_each(
    collection: AsyncCollection[Stored], documents: Sequence[Document]
) -> list[bool | BaseException]:
    """Inserts `documents` in one unordered command: for each, True when it was inserted,
    False when its `_id` was taken, or the error it alone met.

    Unordered, so one taken id does not stop the others. A command that fails whole (the
    connection lost, a write concern not met) raises: what landed is found by the caller's retry
    (its id taken), as with a single insert whose answer was lost.
    """
    if len(documents) == 1:
        try:
            await collection.insert_one(documents[0])
        except DuplicateKeyError:
            return [False]
        return [True]
    try:
        await collection.insert_many(documents, ordered=False)
    except BulkWriteError as exc:
        if exc.details.get("writeConcernErrors"):
            raise
        outcomes: list[bool | BaseException] = [True] * len(documents)
        for error in exc.details.get("writeErrors", []):
            code = error.get("code")
            outcomes[error["index"]] = (
                False
                if code == DUPLICATE_KEY
                else OperationFailure(error.get("errmsg", "insert refused"), code, error)
            )
        return outcomes
    return [True] * len(documents)
