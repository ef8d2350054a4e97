"""When /readyz says ready, and what it names when it does not."""

from __future__ import annotations

import asyncio

import pytest

from customer_async.errors import StoreUnavailable
from customer_async.ops.readiness import (
    Dependencies,
    Phase,
    StoreAnswer,
    StorePing,
    assess,
)

NOW = 1000.0


def dependencies(**changes: object) -> Dependencies:
    fields: dict[str, object] = {
        "phase": Phase.SERVING,
        "consumer_joined": True,
        "producer_connected": True,
        "store": StoreAnswer(answered_at=NOW - 1),
    }
    fields.update(changes)
    return Dependencies(**fields)  # type: ignore[arg-type]  # the test's own keyword overrides


def test_serving_joined_connected_and_answered_is_ready() -> None:
    readiness = assess(dependencies(), NOW)
    assert readiness.ready
    assert readiness.body() == {"status": "ready"}


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"phase": Phase.STARTING}, {"service": "starting"}),
        ({"phase": Phase.STOPPING}, {"service": "stopping"}),
        ({"consumer_joined": False}, {"consumer": "not in the consumer group"}),
        ({"producer_connected": False}, {"producer": "not connected to the broker"}),
        ({"store": StoreAnswer()}, {"store": "no ping answered yet"}),
        (
            {"store": StoreAnswer(answered_at=NOW - 1, failure="connection refused")},
            {"store": "ping failed: connection refused"},
        ),
        ({"store": StoreAnswer(answered_at=NOW - 11)}, {"store": "no ping answered for 11 s"}),
        (
            {"unpublished": 2048, "unpublished_limit": 2048},
            {"publishing": "2048 writes to publish"},
        ),
    ],
)
def test_each_missing_dependency_is_named(
    changes: dict[str, object], named: dict[str, str]
) -> None:
    readiness = assess(dependencies(**changes), NOW)
    assert not readiness.ready
    assert readiness.not_ready == named
    assert readiness.body() == {"status": "not ready", "notReady": named}


def test_everything_missing_is_named_at_once() -> None:
    readiness = assess(
        Dependencies(
            Phase.STARTING, consumer_joined=False, producer_connected=False, store=StoreAnswer()
        ),
        NOW,
    )
    assert set(readiness.not_ready) == {"service", "consumer", "producer", "store"}


def test_a_backlog_below_its_limit_is_ready() -> None:
    assert assess(dependencies(unpublished=2047, unpublished_limit=2048), NOW).ready


def test_an_answer_just_within_the_age_limit_is_fresh() -> None:
    assert assess(dependencies(store=StoreAnswer(answered_at=NOW - 10)), NOW).ready
    assert assess(
        dependencies(store=StoreAnswer(answered_at=NOW - 3)), NOW, store_max_age=2
    ).not_ready


class FakeStore:
    """A ping that answers, fails or hangs, as the test says."""

    def __init__(self) -> None:
        self.mode = "answer"

    async def ping(self) -> None:
        if self.mode == "fail":
            raise StoreUnavailable("the store did not answer a ping")
        if self.mode == "hang":
            await asyncio.sleep(60)


async def test_store_ping_remembers_the_last_answer_and_why_the_latest_failed() -> None:
    store = FakeStore()
    now = [50.0]
    ping = StorePing(store.ping, timeout=0.05, clock=lambda: now[0])
    assert ping.answer == StoreAnswer()
    await ping.ping_once()
    assert ping.answer == StoreAnswer(answered_at=50.0)
    now[0] = 52.0
    store.mode = "fail"
    await ping.ping_once()
    assert ping.answer == StoreAnswer(answered_at=50.0, failure="the store did not answer a ping")
    store.mode = "hang"
    await ping.ping_once()
    assert ping.answer == StoreAnswer(answered_at=50.0, failure="no answer within 0.05 s")
    store.mode = "answer"
    await ping.ping_once()
    assert ping.answer == StoreAnswer(answered_at=52.0)


async def test_store_ping_runs_until_stopped() -> None:
    calls: list[None] = []

    async def ping() -> None:
        calls.append(None)

    stop = asyncio.Event()
    pinging = asyncio.create_task(StorePing(ping, interval=0.01).run(stop))
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.wait_for(pinging, 1)
    assert len(calls) >= 3
