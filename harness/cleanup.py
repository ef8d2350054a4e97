"""Removing what a run created: its topics and its databases (best effort, bounded in time)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from harness.topics import delete_topics

_CLEANUP_SECONDS = 120.0
"""Dropping a database of 100,000 customers takes a store that is still busy a while."""


async def remove_run_data(
    bootstrap_servers: str, topics: Sequence[str], mongodb_uri: str, databases: Sequence[str]
) -> None:
    """Delete the run's topics and drop its databases; what cannot be removed stays behind."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_CLEANUP_SECONDS):
            await delete_topics(bootstrap_servers, topics)
            await _drop_databases(mongodb_uri, databases)


async def _drop_databases(mongodb_uri: str, databases: Sequence[str]) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongodb_uri, serverSelectionTimeoutMS=5_000
    )
    try:
        for name in databases:
            with contextlib.suppress(PyMongoError):
                await client.drop_database(name)
    finally:
        await client.close()
