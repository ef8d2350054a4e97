"""Fixtures shared by the whole suite: real servers, fresh names, a clean environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings as hypothesis_settings
from pymongo import AsyncMongoClient

from customer_async.settings import Settings
from tests.support.servers import Servers, provide_servers, remove_test_data
from tests.support.store_faults import StoreFaults

# Two cores shared with a broker and a store: an example's wall time says nothing about its
# correctness, so no per-example deadline (properties stay exactly as strict).
hypothesis_settings.register_profile("customer-async", deadline=None)
hypothesis_settings.load_profile("customer-async")


@pytest.fixture(autouse=True)
def clean_environ() -> Iterator[None]:
    """Every test starts from the environment the session had and leaves it so."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The real Kafka broker and MongoDB-protocol store (see tests/support/servers.py)."""
    try:
        with provide_servers() as found:
            yield found
    except RuntimeError as exc:
        pytest.fail(f"no real Kafka/MongoDB for the end-to-end tests: {exc}", pytrace=False)


@pytest.fixture
def unique_name() -> str:
    """A short name no other test uses: a topic prefix and a database name."""
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def settings(servers: Servers, unique_name: str) -> AsyncIterator[Settings]:
    """Settings pointing at the real servers, with this test's own topics and database.

    Both are removed afterwards, so a long-lived local broker does not pile up partitions.
    """
    yield Settings(
        kafka_bootstrap_servers=servers.kafka_bootstrap_servers,
        mongodb_uri=servers.mongodb_uri,
        mongodb_database=unique_name,
        topic_prefix=unique_name,
        group_id=f"{unique_name}-service",
        store_retry_seconds=5.0,
        # Tests run many instances at once; those testing the operations port give each its own.
        http_enabled=False,
    )
    await remove_test_data(servers, unique_name)


@pytest.fixture
async def mongo(servers: Servers) -> AsyncIterator[AsyncMongoClient[dict[str, object]]]:
    """A client of the real store."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        servers.mongodb_uri, serverSelectionTimeoutMS=10_000
    )
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def faults(servers: Servers) -> AsyncIterator[StoreFaults]:
    """A loopback fault proxy in front of the real store (tests/support/store_faults.py)."""
    async with StoreFaults(servers.mongodb_uri) as proxy:
        yield proxy
        assert proxy.framing_errors == []
