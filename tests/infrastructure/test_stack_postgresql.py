"""The local stack's PostgreSQL serves FerretDB's lookups from an index (stack/postgresql/).

FerretDB v1 filters equalities with jsonb containment, which its own btree indexes cannot serve;
the stack adds a GIN twin to each index FerretDB creates (on the `#>` path for a dotted one, which
the stack's FerretDB pushes down), plans every statement with its parameters, and keeps each
document in its row. Proven here on the plan PostgreSQL chooses, never on a timing.
"""

from __future__ import annotations

import glob
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring

from customer_async.query.shadow import customer_shadow
from customer_async.schemas import attribute_types
from customer_async.store import CustomerStore
from harness.repository import REPO
from tests.support.ferretdb import PrivateFerretDB, _stack_value
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e


def _psql(sql: str) -> str:
    bindir = (
        os.environ.get("CUSTOMER_ASYNC_STACK_POSTGRESQL_BINDIR")
        or sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    )
    port = _stack_value("POSTGRESQL_PORT")
    command = [f"{bindir}/psql", "-qAt", "-h", "127.0.0.1", "-p", port, "-U", "postgres"]
    found = subprocess.run(
        [*command, "-d", "ferretdb", "-c", sql], check=True, capture_output=True, text=True
    )
    return found.stdout


@pytest.fixture
def local_stack_store(servers: Servers) -> None:
    """The store under test is the native stack's (started by the session, or named by the
    environment that `scripts/stack env` printed); under Docker it is MongoDB, no twins."""
    if servers.origin != "native stack" and not os.environ.get(
        "CUSTOMER_ASYNC_STACK_POSTGRESQL_URL"
    ):
        pytest.skip("the store under test is not the local stack's FerretDB on PostgreSQL")


@pytest.mark.usefixtures("local_stack_store")
async def test_lookups_by_id_and_indexed_attribute_use_an_index(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    collection = mongo[unique_name]["customer"]
    await collection.create_index("name")
    await collection.insert_many([{"_id": f"c{n}", "name": f"n{n}"} for n in range(50)])
    try:
        table = _psql(
            f"SELECT tablename FROM pg_tables WHERE schemaname = '{unique_name}' "
            "AND tablename LIKE 'customer%'"
        ).strip()
        twins = _psql(
            f"SELECT indexdef FROM pg_indexes WHERE schemaname = '{unique_name}' "
            f"AND tablename = '{table}' AND indexdef LIKE '%USING gin%'"
        )
        assert "'_id'::text" in twins
        assert "'name'::text" in twins
        # No pending list: a lookup after many inserts does not scan the entries not merged yet.
        assert twins.count("fastupdate=off") == 2, twins
        btrees = _psql(
            f"SELECT indexdef FROM pg_indexes WHERE schemaname = '{unique_name}' "
            f"AND tablename = '{table}' AND indexdef LIKE '%USING btree%'"
        ).splitlines()
        # The unique `_id` btree stays whole; the one for `name`, which no filter can use, is
        # left empty (no entry to add on a write), under the name FerretDB knows it by.
        assert any("UNIQUE" in b and "'_id'" in b and "WHERE" not in b for b in btrees), btrees
        assert any("'name'" in b and b.endswith("WHERE false") for b in btrees), btrees
        assert {"_id_", "name_1"} <= {i["name"] async for i in await collection.list_indexes()}
        # The statement as FerretDB sends it: field name and value as parameters, prepared.
        # (Sequential scans off: on 50 rows the question is whether an index can serve it.)
        plan = _psql(
            "SET enable_seqscan = off; "
            f'PREPARE lookup(text, jsonb) AS SELECT _jsonb FROM "{unique_name}"."{table}" '
            "WHERE _jsonb->$1 @> $2; "
            + "; ".join("EXECUTE lookup('_id', '\"c7\"')" for _ in range(6))
            + "; EXPLAIN EXECUTE lookup('_id', '\"c7\"')"
        )
        assert "Index Cond" in plan, plan
        # ... and a plan made with the parameters' values is the only one that can use it.
        assert _psql("SHOW plan_cache_mode").strip() == "force_custom_plan"
        assert await collection.find_one({"_id": "c7"}) == {"_id": "c7", "name": "n7"}
        assert await collection.count_documents({"name": "n8"}) == 1
    finally:
        await mongo.drop_database(unique_name)


@pytest.mark.usefixtures("local_stack_store")
async def test_a_customer_stays_in_its_row_so_a_small_collection_is_read_by_index(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    """A document larger than about 2 KB compressed (a customer with its bookkeeping) would be
    moved out of line into TOAST: the heap of 400 of them then looks a few pages long, and a
    lookup by `_id` is planned as a scan that decompresses every one (3x slower, measured).
    The stack keeps `_jsonb` in the row (`inline-documents.sql`), so the plan is the index's."""
    collection = mongo[unique_name]["customer"]
    # About 4.5 KB of hex each, which compresses to about 2.5 KB: out of line by default.
    await collection.insert_many(
        [{"_id": f"c{n}", "notes": [uuid.uuid4().hex for _ in range(140)]} for n in range(400)]
    )
    try:
        table = _psql(
            f"SELECT tablename FROM pg_tables WHERE schemaname = '{unique_name}' "
            "AND tablename LIKE 'customer%'"
        ).strip()
        qualified = f'"{unique_name}"."{table}"'
        storage = _psql(
            f"SELECT attstorage FROM pg_attribute WHERE attrelid = '{qualified}'::regclass "
            "AND attname = '_jsonb'"
        )
        assert storage.strip() == "m", storage  # MAIN: compressed in the row, not moved out
        plan = _psql(
            f"ANALYZE {qualified}; "
            "PREPARE lookup(text, jsonb) AS "
            f"SELECT _jsonb FROM {qualified} WHERE _jsonb->$1 @> $2; "
            "EXPLAIN EXECUTE lookup('_id', '\"c7\"')"
        )
        assert "Seq Scan" not in plan, plan
        assert "Index Cond" in plan, plan
        found = await collection.find_one({"_id": "c7"})
        assert found is not None
        assert len(found["notes"]) == 140
    finally:
        await mongo.drop_database(unique_name)


class _ListCommands(monitoring.CommandListener):
    """The finds and counts a client sends, and how many documents the finds returned."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []
        self.returned = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(event.command["filter"])
        elif event.command_name == "aggregate":
            self.filters.append(event.command["pipeline"][0]["$match"])

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        cursor = event.reply.get("cursor", {})
        self.returned += len(cursor.get("firstBatch", cursor.get("nextBatch", [])))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(node for child in plan.get("Plans", []) for node in _plan_nodes(child))]


def _stored(number: int) -> dict[str, Any]:
    """A customer in the stored shape, with its shadow (id buckets, flat email addresses)."""
    customer_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"customer-{number}"))  # spread as a create's
    resource = {
        "id": customer_id,
        "name": f"Club {number}",
        "engagedParty": {"id": f"p{number % 100}"},
        "contactMedium": [{"@type": "EmailContactMedium", "emailAddress": f"c{number}@ex.org"}],
    }
    shadow = customer_shadow(resource, attribute_types())
    return {"_id": customer_id, **resource, "_dt": shadow, "_deletedAt": None}


@pytest.mark.usefixtures("local_stack_store")
async def test_every_query_of_a_list_is_pushed_down_to_an_index(
    servers: Servers, mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    """The finds and counts of lists in id order (one id bucket each), on a dotted path
    (`engagedParty.id`) and through an array (`contactMedium.emailAddress`, by its flat values
    in the shadow): FerretDB pushes each filter down (nested pushdown is on), and PostgreSQL
    serves it from the GIN twins of the indexes `ensure_indexes` made, never a table scan."""
    commands = _ListCommands()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        servers.mongodb_uri, event_listeners=[commands]
    )
    store = CustomerStore(client, unique_name, 5.0, total_count_limit=50)
    await store.ensure_indexes()
    await mongo[unique_name]["customer"].insert_many([_stored(n) for n in range(3000)])
    commands.filters.clear()  # ensure_indexes asked whether the collection was empty
    try:
        first = await store.find({}, [("_id", 1)], 0, 10)
        assert (len(first.items), first.total, first.exact) == (10, 51, False)
        # A first page and its count read a few buckets, not the 3,000 customers.
        assert commands.returned < 300
        party = await store.find({"engagedParty.id": {"$eq": "p7"}}, [("_id", 1)], 0, 10)
        assert (len(party.items), party.total, party.exact) == (10, 30, True)
        found = await store.find(
            {"$and": [{"contactMedium.emailAddress": {"$eq": "c7@ex.org"}}]}, [("_id", 1)], 0, 10
        )
        assert [customer["name"] for customer in found.items] == ["Club 7"]
        filters = commands.filters
        assert any("_dt._id3" in f or "_dt._id2" in f for f in filters)
        assert any("engagedParty.id" in f for f in filters)
        assert any("_dt._eq.contactMedium.emailAddress" in f for f in filters)
        for query in filters:
            explained = await mongo[unique_name].command(
                "explain", {"find": "customer", "filter": query}
            )
            # Not pushed down: a FerretDB started before the launcher turned nested pushdown on
            # (`scripts/stack down && scripts/stack up` starts the current one).
            assert explained["filterPushdown"], query
            nodes = _plan_nodes(explained["queryPlanner"]["Plan"])
            kinds = {node["Node Type"] for node in nodes}
            assert "Seq Scan" not in kinds, (query, kinds)
            assert "Bitmap Index Scan" in kinds, (query, kinds)
    finally:
        await client.close()
        await mongo.drop_database(unique_name)


@pytest.mark.usefixtures("local_stack_store")
async def test_a_dotted_index_gets_a_twin_on_the_path_nested_pushdown_compares(
    mongo: AsyncMongoClient[dict[str, Any]], unique_name: str
) -> None:
    collection = mongo[unique_name]["customer"]
    await collection.create_index("engagedParty.id")
    await collection.insert_one({"_id": "c1", "engagedParty": {"id": "p1"}})
    try:
        table = _psql(
            f"SELECT tablename FROM pg_tables WHERE schemaname = '{unique_name}' "
            "AND tablename LIKE 'customer%'"
        ).strip()
        twins = _psql(
            f"SELECT indexdef FROM pg_indexes WHERE schemaname = '{unique_name}' "
            f"AND tablename = '{table}' AND indexdef LIKE '%USING gin%'"
        )
        assert "(_jsonb #> '{engagedParty,id}'::text[])) jsonb_path_ops" in twins, twins
        # Applying the set-up again (every `scripts/stack up`) adds no second twin.
        sql = (REPO / "stack" / "postgresql" / "containment-indexes.sql").read_text()
        _psql(sql)
        again = _psql(
            f"SELECT count(*) FROM pg_indexes WHERE schemaname = '{unique_name}' "
            f"AND tablename = '{table}' AND indexdef LIKE '%USING gin%'"
        )
        assert int(again) == twins.count("USING gin")
    finally:
        await mongo.drop_database(unique_name)


@pytest.mark.usefixtures("local_stack_store")
async def test_without_nested_pushdown_a_list_is_one_find_and_one_count(
    tmp_path: Path, unique_name: str
) -> None:
    """A FerretDB that does not push dotted equalities down would read every customer for
    every id bucket: the store asks it (`explain`) and lists with whole finds instead."""
    ferretdb = PrivateFerretDB(tmp_path / "ferretdb.log", "-nested-pushdown=false")
    await ferretdb.start()
    commands = _ListCommands()
    # Everything through this FerretDB: another one would not know the database it creates.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        ferretdb.uri, event_listeners=[commands]
    )
    try:
        store = CustomerStore(client, unique_name, 5.0, total_count_limit=50)
        await store.ensure_indexes()
        await client[unique_name]["customer"].insert_many([_stored(n) for n in range(200)])
        commands.filters.clear()
        page = await store.find({}, [("_id", 1)], 0, 10)
        assert (len(page.items), page.total, page.exact) == (10, 51, False)
        assert commands.filters == [{"_deletedAt": None}] * 2
    finally:
        await client.drop_database(unique_name)
        await client.close()
        await ferretdb.stop()
