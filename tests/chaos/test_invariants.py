"""The chaos run's answer and leftover invariants, on hand-made ledgers (no servers)."""

from __future__ import annotations

from typing import Any

from chaos.invariants import Check, EndFacts, check_all
from chaos.ledger import Ledger, Request, SeenReply
from chaos.leftovers import Leftovers
from customer_async.client.requests import command_record
from customer_async.types import Operation
from harness.topics import RunTopics

TOPICS = RunTopics("t")
CREATED = {"id": "c1", "name": "chaos customer 0"}


async def ledger_with(*replies: tuple[int, Any, float]) -> Ledger:
    """One create request, answered with (status, body, produced) in that order of arrival."""
    ledger = Ledger()
    record = command_record(
        TOPICS, Operation.CREATE, correlation_id="r1", reply_channel=TOPICS.run_reply
    )
    ledger.add(Request(kind="create", record=record, expected=201, sends=[0.0]))
    for status, body, produced in replies:
        await ledger.reply_seen(SeenReply("r1", TOPICS.run_reply, status, body, produced, 99.0))
    return ledger


def check(ledger: Ledger, name: str, end: EndFacts | None = None) -> Check:
    checks = check_all(ledger, [], None, end or EndFacts(True, [], {}, []))
    return next(c for c in checks if c.name.startswith(name))


async def test_a_503_before_the_final_answer_is_no_violation() -> None:
    ledger = await ledger_with((503, {}, 1.0), (201, CREATED, 2.0), (201, CREATED, 3.0))
    assert check(ledger, "one final answer per request").ok


async def test_a_503_after_a_final_answer_is_a_violation_in_production_order() -> None:
    """Arrival order is not the service's: the 503 was produced after the 201."""
    ledger = await ledger_with((503, {}, 3.0), (201, CREATED, 2.0))
    found = check(ledger, "one final answer per request")
    assert not found.ok
    assert found.failures == [f"{TOPICS.request(Operation.CREATE)} r1: 503 after 201 (201, 503)"]


async def test_a_different_answer_after_a_4xx_is_a_violation() -> None:
    ledger = await ledger_with((400, {"reason": "a"}, 1.0), (201, CREATED, 2.0))
    assert not check(ledger, "one final answer per request").ok


async def test_any_500_is_a_violation_and_a_503_is_not() -> None:
    assert check(await ledger_with((503, {}, 1.0), (201, CREATED, 2.0)), "no 500").ok
    failed = check(await ledger_with((500, {"reason": "internal"}, 1.0)), "no 500")
    assert not failed.ok
    assert failed.failures[0].startswith("r1 (create): 500 internal")


async def test_leftovers_fail_when_the_store_keeps_an_outbox_or_a_lease() -> None:
    ledger = await ledger_with((201, CREATED, 1.0))
    left = Leftovers(outbox=["c1"], leases=["c2 held by x"], read_at=130.0, readings=3)
    end = EndFacts(True, [], {}, [], left, last_fault_over=100.0)
    outbox = check(ledger, "no customer left with an unpublished outbox", end)
    leases = check(ledger, "no document left in customer_lease", end)
    assert (outbox.ok, outbox.failures) == (False, ["c1"])
    assert (leases.ok, leases.failures) == (False, ["c2 held by x"])
    assert "the last 30 s after the last fault" in leases.detail


async def test_leftovers_fail_when_the_store_was_not_read() -> None:
    ledger = await ledger_with((201, CREATED, 1.0))
    assert not check(ledger, "no document left in customer_lease").ok
    clean = EndFacts(True, [], {}, [], Leftovers(read_at=1.0, readings=1), 0.0)
    assert check(ledger, "no document left in customer_lease", clean).ok
