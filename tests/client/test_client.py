"""`CustomerClient` without a broker: its states and what it refuses before any traffic."""

from __future__ import annotations

import pytest

from customer_async.client import BrokerUnavailable, ClientNotStarted, CustomerClient
from customer_async.settings import Settings


async def test_a_client_not_started_says_so_instead_of_sending() -> None:
    client = CustomerClient("127.0.0.1:1", "acme")
    with pytest.raises(ClientNotStarted):
        await client.retrieve("42")
    assert client.in_flight == 0
    await client.close()  # closing a client never started is harmless


async def test_an_unreachable_broker_is_broker_unavailable_naming_it() -> None:
    # Port 1 on loopback refuses at once: nothing listens there.
    client = CustomerClient("127.0.0.1:1", "acme", timeout=5)
    with pytest.raises(BrokerUnavailable, match=r"127\.0\.0\.1:1"):
        await client.start()
    with pytest.raises(ClientNotStarted):
        await client.delete("42")


def test_the_reply_topic_defaults_to_the_prefixs_shared_client_topic() -> None:
    assert CustomerClient(topic_prefix="acme").reply_topic == (
        "acme.customerManagement.v5.client.commandReply"
    )
    assert CustomerClient(reply_topic="mine.commandReply").reply_topic == "mine.commandReply"


def test_from_settings_uses_the_services_bootstrap_servers_and_prefix() -> None:
    settings = Settings(kafka_bootstrap_servers="127.0.0.1:19092", topic_prefix="acme")
    client = CustomerClient.from_settings(settings, timeout=3)
    assert client.topics.prefix == "acme"
    assert client.timeout == 3


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="timeout"):
        CustomerClient(timeout=0)
