"""The local stack's PostgreSQL serves FerretDB's lookups from an index (stack/postgresql/).

FerretDB v1 filters equalities with jsonb containment, which its own btree indexes cannot serve;
the stack adds a GIN twin to each index FerretDB creates and plans every statement with its
parameters. Proven here on the plan PostgreSQL chooses, never on a timing.
"""

from __future__ import annotations

import glob
import os
import subprocess
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.support.ferretdb import _stack_value
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
