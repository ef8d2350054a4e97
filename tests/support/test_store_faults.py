"""The fault proxy relays the real store's wire protocol faithfully, and faults land where asked."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from typing import Any

import bson
import pytest
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from tests.support.servers import Servers
from tests.support.store_faults import (
    HEADER,
    OP_MSG,
    FramingError,
    StoreFaults,
    parse_command,
    proxied_uri,
    settles,
)

Client = AsyncMongoClient[dict[str, Any]]


def op_msg(
    body: dict[str, Any], sequences: dict[str, list[dict[str, Any]]], checksum: bool
) -> bytes:
    """An OP_MSG request built by hand: kind 0 body, kind 1 sequences, optional checksum."""
    sections = b"\x00" + bson.encode(body)
    for identifier, documents in sequences.items():
        payload = identifier.encode() + b"\x00" + b"".join(bson.encode(d) for d in documents)
        sections += b"\x01" + struct.pack("<i", 4 + len(payload)) + payload
    flags = struct.pack("<I", 1 if checksum else 0)
    tail = b"\x00\x00\x00\x00" if checksum else b""
    length = HEADER.size + len(flags) + len(sections) + len(tail)
    return HEADER.pack(length, 7, 0, OP_MSG) + flags + sections + tail


@pytest.mark.parametrize("checksum", [False, True])
def test_parse_reads_name_collection_body_and_sequences(checksum: bool) -> None:
    message = op_msg(
        {"update": "customer", "ordered": False, "$db": "d"},
        {"updates": [{"q": {"_id": "a"}, "u": {"$set": {"_outbox": []}}}]},
        checksum,
    )
    command = parse_command(message)
    assert command is not None
    assert (command.name, command.collection) == ("update", "customer")
    assert command.statements == ({"q": {"_id": "a"}, "u": {"$set": {"_outbox": []}}},)
    assert command.ids == {"a"}
    assert settles(command)


def test_parse_refuses_a_length_that_disagrees_with_the_header() -> None:
    message = op_msg({"ping": 1}, {}, checksum=False)
    with pytest.raises(FramingError):
        parse_command(message + b"\x00")


def test_other_op_codes_are_relayed_unread() -> None:
    assert parse_command(HEADER.pack(HEADER.size, 1, 0, 2004)) is None


def test_proxied_uri_keeps_credentials_and_options() -> None:
    assert (
        proxied_uri("mongodb://u:p@db.example:27017/?authSource=admin", 4000)
        == "mongodb://u:p@127.0.0.1:4000/?authSource=admin"
    )


@pytest.fixture
async def through(faults: StoreFaults) -> AsyncIterator[Client]:
    """A client of the store through the proxy that surfaces every fault (no retries)."""
    client: Client = AsyncMongoClient(
        faults.uri, serverSelectionTimeoutMS=1500, retryWrites=False, retryReads=False
    )
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def direct(servers: Servers, unique_name: str) -> AsyncIterator[Client]:
    """A client of the store itself; drops the test's database afterwards."""
    client: Client = AsyncMongoClient(servers.mongodb_uri, serverSelectionTimeoutMS=10_000)
    try:
        yield client
    finally:
        await client.drop_database(unique_name)
        await client.close()


def collections(
    through: Client, direct: Client, name: str
) -> tuple[AsyncCollection[dict[str, Any]], AsyncCollection[dict[str, Any]]]:
    return through[name]["customer"], direct[name]["customer"]


@pytest.mark.e2e
async def test_commands_pass_unchanged_and_are_seen(
    faults: StoreFaults, through: Client, direct: Client, unique_name: str
) -> None:
    proxied, stored = collections(through, direct, unique_name)
    big = "x" * 3_000_000  # a message far larger than one socket read
    await proxied.insert_one({"_id": "a", "n": 1, "big": big})
    await proxied.bulk_write(
        [UpdateOne({"_id": "a"}, {"$inc": {"n": 1}}) for _ in range(3)], ordered=True
    )
    found = await proxied.find_one({"_id": "a"})
    assert found is not None
    assert (found["n"], found["big"]) == (4, big)
    assert await stored.find_one({"_id": "a"}, {"n": 1}) == {"_id": "a", "n": 4}

    by_name = {(c.name, c.collection): c for c in faults.seen}
    inserted = by_name[("insert", "customer")]
    assert [d["_id"] for d in inserted.statements] == ["a"]
    assert inserted.ids == {"a"}
    bulk = by_name[("update", "customer")]
    assert len(bulk.statements) == 3
    assert bulk.ids == {"a"}
    assert not settles(bulk)
    assert by_name[("find", "customer")].ids == {"a"}


@pytest.mark.e2e
async def test_drop_before_never_reaches_the_store(
    faults: StoreFaults, through: Client, direct: Client, unique_name: str
) -> None:
    proxied, stored = collections(through, direct, unique_name)
    rule = faults.drop_before("insert", collection="customer")
    with pytest.raises(AutoReconnect):
        await proxied.insert_one({"_id": "a"})
    assert len(rule.hits) == 1
    assert await stored.count_documents({}) == 0
    await proxied.insert_one({"_id": "b"})  # the rule acted once; the next one passes
    assert await stored.count_documents({}) == 1


@pytest.mark.e2e
async def test_drop_after_lands_the_write_and_loses_its_reply(
    faults: StoreFaults, through: Client, direct: Client, unique_name: str
) -> None:
    proxied, stored = collections(through, direct, unique_name)
    await proxied.insert_one({"_id": "a", "n": 0})
    rule = faults.drop_after("update", about="a")
    with pytest.raises(AutoReconnect):
        await proxied.update_one({"_id": "a"}, {"$inc": {"n": 1}})
    assert [c.name for c in rule.hits] == ["update"]
    assert await stored.find_one({"_id": "a"}) == {"_id": "a", "n": 1}


@pytest.mark.e2e
async def test_nth_times_and_after_pick_exactly_those_commands(
    faults: StoreFaults, through: Client, direct: Client, unique_name: str
) -> None:
    proxied, stored = collections(through, direct, unique_name)
    await proxied.insert_one({"_id": "a", "n": 0})
    second = faults.drop_before("update", nth=2, times=2)
    then = faults.drop_before("find", after=second, times=None)
    outcomes = []
    for _ in range(5):
        try:
            await proxied.update_one({"_id": "a"}, {"$inc": {"n": 1}})
            outcomes.append("ok")
        except AutoReconnect:
            outcomes.append("dropped")
    assert outcomes == ["ok", "dropped", "dropped", "ok", "ok"]
    assert second.matched == 5
    assert await stored.find_one({"_id": "a"}) == {"_id": "a", "n": 3}
    with pytest.raises(AutoReconnect):
        await proxied.find_one({"_id": "a"})
    assert len(then.hits) == 1


@pytest.mark.e2e
async def test_black_hole_and_outage_after_make_the_store_unreachable_for_a_while(
    faults: StoreFaults, through: Client, direct: Client, unique_name: str
) -> None:
    proxied, stored = collections(through, direct, unique_name)
    faults.outage_after("insert", seconds=2.0)
    await proxied.insert_one({"_id": "a"})  # answered; then the store is away
    assert faults.unreachable
    with pytest.raises((AutoReconnect, ServerSelectionTimeoutError)):
        await proxied.find_one({"_id": "a"})
    await faults.reachable_again()
    assert await proxied.find_one({"_id": "a"}) == {"_id": "a"}

    faults.black_hole(1.0)
    with pytest.raises((AutoReconnect, ServerSelectionTimeoutError)):
        await proxied.insert_one({"_id": "b"})
    await faults.reachable_again()
    await asyncio.sleep(0.1)
    await proxied.insert_one({"_id": "c"})
    assert sorted(d["_id"] for d in await stored.find().to_list()) == ["a", "c"]
