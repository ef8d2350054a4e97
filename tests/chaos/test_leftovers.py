"""The chaos run's reading of the store's leftovers, on the real store."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from pymongo import AsyncMongoClient

from chaos.leftovers import read_leftovers
from customer_async.settings import Settings

pytestmark = pytest.mark.e2e


async def test_unpublished_outboxes_and_leases_are_found_until_they_are_gone(
    settings: Settings, mongo: AsyncMongoClient[dict[str, object]]
) -> None:
    database = mongo[settings.mongodb_database]
    entry = {
        "seq": 1,
        "k": "k",
        "to": {"channel": "c", "correlationId": "c", "requestTopic": "t"},
        "events": [],
        "at": datetime.now(UTC),
    }
    await database["customer"].insert_many(
        [
            {"_id": "settled", "_outbox": []},
            {"_id": "published", "_outbox": [entry], "_stamp": "run/a#2"},
            {"_id": "recovered run", "_outbox": [entry], "_stamp": "run/gone#9"},
            {"_id": "unsettled", "_outbox": [entry], "_stamp": "run/a#3"},
            {"_id": "no-outbox-field"},
        ]
    )
    await database["customer_ledger"].insert_one(
        {"_id": "run/a", "published": 2, "reserved": 512, "beat": datetime.now(UTC)}
    )
    await database["customer_lease"].insert_one({"_id": "leased", "holder": "gone", "token": "t"})

    found = await read_leftovers(settings.mongodb_uri, settings.mongodb_database, time.time())
    assert (found.outbox, found.readings, found.clean) == (["unsettled"], 1, False)
    assert [lease.split()[:3] for lease in found.leases] == [["leased", "held", "by"]]

    await database["customer"].update_one({"_id": "unsettled"}, {"$set": {"_outbox": []}})
    await database["customer_lease"].delete_many({})
    clean = await read_leftovers(settings.mongodb_uri, settings.mongodb_database, time.time() + 30)
    assert (clean.clean, clean.readings) == (True, 1)
