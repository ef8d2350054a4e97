"""The delivery promises as a model, checked on the real stack under random store faults.

A Hypothesis state machine sends creates, patches, deletes and resends (same correlation id) to
one running service, which reaches the real store through the fault proxy
(tests/support/store_faults.py). Each write may meet a fault: its store command dropped before
it arrives or after it was applied, a short outage, or an outage past the retry budget before or
after the write landed. After every step, once the service is quiet, it checks:

- replies: every send got exactly one reply, plus one late final reply for each 503 whose write
  had landed; every final (non-503) reply of a correlation id is the same, and the one the model
  expects; a resend is answered with the request's final reply;
- events: each customer's events arrive in the order its writes were applied, with increasing
  X-Resource-Version, one eventId per change (a repeat carries the same id and body);
- state: the customer as retrieved is the result of the last applied change;
- leftovers (at the end of each example): deleted customers purged after the retention, nothing
  left to publish, at most `requests_remembered` replies kept per customer.

A 503 is never final, so the model accepts one for any send and asks the store whether the write
landed (the resource changed) to know what must follow; how many were not caused by an outage is
reported, as are the other figures, on stdout.

Rules run in a worker thread (Hypothesis drives them synchronously); each one submits its work to
the test's event loop, where the service, the proxy and the client live.
"""
# Raw records: the model counts every reply of a correlation id and resends with the same one.

from __future__ import annotations

import asyncio
import collections
import copy
import functools
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from customer_async.settings import Settings
from customer_async.store.mapping import to_record
from customer_async.types import Operation
from harness.outbox import unpublished_customers
from tests.e2e.conftest import StartService
from tests.support.client import Received, ServiceClient
from tests.support.examples import create_request
from tests.support.store_faults import Fault, Rule, StoreCommand, StoreFaults, settles

pytestmark = pytest.mark.e2e

T = TypeVar("T")

RETRY_SECONDS = 1.5
STORE_TIMEOUT_MS = 1000
SHORT_OUTAGE = 0.2
"""Well inside the retry budget: the request must still succeed."""
LONG_OUTAGE = 3.5
"""Past the budget plus a server-selection timeout: the request is answered 503."""
SWEEP_SECONDS = 1.0
RETENTION_SECONDS = 1
REMEMBERED = 4
STEP_TIMEOUT = 45.0
"""Bounds every wait of one step (a reply, quiet, events)."""

WEIGHTED_FAULTS = st.sampled_from(
    # An outage past the budget costs seconds; the cheap faults are drawn more often.
    (
        *("none", "none", "none", "drop before", "drop before", "drop after", "drop after"),
        *("short outage", "short outage", "outage before", "outage after"),
    )
)
MODEL_SETTINGS = hypothesis_settings(
    max_examples=4,
    stateful_step_count=8,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: each step costs real seconds
    database=None,
    suppress_health_check=[HealthCheck.too_slow],  # steps wait on a real broker and store
)

Customers = AsyncCollection[dict[str, Any]]


@dataclass
class Request:
    """A write request as the model knows it."""

    correlation_id: str
    operation: Operation
    payload: Any
    customer_id: str | None
    """The customer it writes; for a create, known once applied."""
    parameters: dict[str, Any] | None = None
    key: str | None = None
    name: str = ""
    email: str = ""
    sends: int = 0
    late: int = 0
    """503s whose write had landed: each owes one more (final) reply."""
    final: tuple[int, Any] | None = None


@dataclass
class CustomerModel:
    """What the store must show for one customer."""

    customer_id: str
    resource: dict[str, Any]
    live: bool = True
    writes: list[tuple[str, str]] = field(default_factory=list)
    """(correlation id, event type) of every applied write, in order."""
    remembered: list[str] = field(default_factory=list)
    """Correlation ids of the applied writes, newest last."""


@dataclass
class Figures:
    """What one run of the machine did, for the report."""

    examples: int = 0
    steps: collections.Counter[str] = field(default_factory=collections.Counter)
    armed: collections.Counter[str] = field(default_factory=collections.Counter)
    fired: collections.Counter[str] = field(default_factory=collections.Counter)
    unavailable: collections.Counter[str] = field(default_factory=collections.Counter)
    """503 replies by the fault armed for the step."""
    replies_per_request: collections.Counter[int] = field(default_factory=collections.Counter)
    repeated_events: int = 0
    out_of_order: int = 0
    leftovers: int = 0
    purged: int = 0

    def line(self) -> str:
        return (
            f"examples={self.examples} steps={sum(self.steps.values())} {dict(self.steps)} "
            f"faults armed={dict(self.armed)} fired={dict(self.fired)} "
            f"503s={dict(self.unavailable)} replies per correlation id="
            f"{dict(sorted(self.replies_per_request.items()))} repeated events="
            f"{self.repeated_events} out-of-order customers={self.out_of_order} "
            f"leftovers={self.leftovers} tombstones purged={self.purged}"
        )


@dataclass
class Harness:
    """The service's surroundings, all living in the test's event loop."""

    loop: asyncio.AbstractEventLoop
    client: ServiceClient
    faults: StoreFaults
    customers: Customers
    figures: Figures

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Runs `work` on the loop from the machine's thread."""
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(STEP_TIMEOUT * 3)


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], timeout: float = STEP_TIMEOUT
) -> bool:
    """Polls `check` (a condition, or a coroutine's) until it holds; False after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        held = check()
        if held if isinstance(held, bool) else await held:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)


def _writes_of(customer_id: str | None) -> Callable[[StoreCommand], bool]:
    """The store command writing a change (not a settle), of the customer when known."""
    return lambda c: (customer_id is None or customer_id in c.ids) and not settles(c)


class FaultModel(RuleBasedStateMachine):
    """Creates, patches, deletes and resends against a model of what the contract promises."""

    customers = Bundle("customers")

    def __init__(self, harness: Harness) -> None:
        super().__init__()
        self.h = harness
        self.requests: dict[str, Request] = {}
        self.model: dict[str, CustomerModel] = {}

    @staticmethod
    def bound_to(harness: Harness) -> type[FaultModel]:
        """The machine class Hypothesis instantiates (without arguments) for each example."""

        class Bound(FaultModel):
            def __init__(self) -> None:
                super().__init__(harness)

        return Bound

    # Rules: thin shells; the work runs on the event loop.

    @initialize(target=customers)
    def first_customers(self) -> Any:
        """Two customers to start from, so that every rule has work from the first step."""
        created = [self._create("none") for _ in range(2)]
        return multiple(*(c for c in created if c is not None))

    @rule(target=customers, fault=WEIGHTED_FAULTS)
    def create(self, fault: str) -> Any:
        created = self._create(fault)
        return multiple(created) if created else multiple()

    def _create(self, fault: str) -> str | None:
        name = f"Model {uuid.uuid4().hex[:10]}"
        request = Request(
            str(uuid.uuid4()), Operation.CREATE, create_request(name=name), None, name=name
        )
        self.requests[request.correlation_id] = request
        return self.h.run(self._step("create", request, fault))

    @rule(
        customer=customers,
        # A delete ends a customer's story; patches are drawn more often.
        operation=st.sampled_from((Operation.PATCH, Operation.PATCH, Operation.DELETE)),
        fault=WEIGHTED_FAULTS,
    )
    def change(self, customer: str, operation: Operation, fault: str) -> None:
        """A patch (adds an email contact medium, so a second application would show) or delete."""
        email = f"{uuid.uuid4().hex[:10]}@example.com"
        value = {"@type": "EmailContactMedium", "emailAddress": email}
        request = Request(
            str(uuid.uuid4()),
            operation,
            [{"op": "add", "path": "/contactMedium/-", "value": value}]
            if operation is Operation.PATCH
            else None,
            customer,
            {"id": customer},
            customer,
            email=email if operation is Operation.PATCH else "",
        )
        self.requests[request.correlation_id] = request
        self.h.run(self._step(str(operation), request, fault))

    def resendable(self) -> list[str]:
        """Requests whose resend the contract answers predictably.

        Answered ones the customer still remembers (live, within the last `REMEMBERED`), answered
        404s, and unanswered ones (a 503 whose write did not land): those are applied now. Never
        a request about a deleted customer, whose memory ends with the tombstone's retention.
        """
        found = []
        for request in self.requests.values():
            customer = self.model.get(request.customer_id or "")
            live = customer is None or customer.live
            if (
                (request.final is None and live)
                or (request.final is not None and request.final[0] == 404)
                or (customer is not None and live and request.correlation_id in customer.remembered)
            ):
                found.append(request.correlation_id)
        return sorted(found)

    @precondition(lambda self: bool(self.resendable()))
    @rule(target=customers, data=st.data(), fault=WEIGHTED_FAULTS)
    def resend(self, data: st.DataObject, fault: str) -> Any:
        request = self.requests[data.draw(st.sampled_from(self.resendable()))]
        created = self.h.run(self._step("resend", request, fault))
        return multiple(created) if created else multiple()

    def teardown(self) -> None:
        figures = self.h.figures
        figures.examples += 1
        for request in self.requests.values():
            figures.replies_per_request[_count(self.h.client, request)] += 1
        self.h.run(self._no_leftovers())

    # The work of one step.

    async def _step(self, kind: str, request: Request, fault: str) -> str | None:
        """Send (with the fault armed), check the reply, wait until quiet, check everything."""
        h = self.h
        h.figures.steps[kind] += 1
        h.faults.clear()
        h.faults.forget()
        rules = self._arm(request, fault)
        h.figures.armed[fault] += 1
        customer_before = self.model.get(request.customer_id or "")
        live_before = customer_before is not None and customer_before.live
        answered_before = request.final
        already = len(h.client.replies(request.correlation_id))
        request.sends += 1
        await h.client.send(
            request.operation,
            request.payload,
            parameters=request.parameters,
            content_type="application/json-patch+json" if request.email else None,
            correlation_id=request.correlation_id,
            key=request.key,
        )
        assert await eventually(lambda: _count(h.client, request) > already), (
            f"{kind} {request.correlation_id}: no reply"
        )
        reply = h.client.replies(request.correlation_id)[already]
        if any(r.hits for r in rules):
            h.figures.fired[fault] += 1
        h.faults.clear()  # an outage that outlasted the budget has done its work: end it

        created = None
        if reply.status == 503:
            h.figures.unavailable[fault] += 1
            assert reply.headers.get("Retry-After", "").isdigit(), reply.headers
            if answered_before is None and await self._landed(request, live_before):
                request.late += 1
                await self._quiet()
                assert await eventually(lambda: _finals(h.client, request) > 0), (
                    f"{kind} {request.correlation_id}: landed, but its real answer never came"
                )
                late = next(r for r in h.client.replies(request.correlation_id) if r.status != 503)
                created = self._applied(request, late)
        elif answered_before is not None:
            assert (reply.status, reply.body) == answered_before, (
                f"resend of {request.correlation_id} answered {reply.status} {reply.body}, "
                f"first answered {answered_before}"
            )
        else:
            created = self._applied(request, reply)
        await self._quiet()
        await self._check_replies()
        if request.customer_id is not None:
            await self._check_customer(request.customer_id)
        return created

    def _arm(self, request: Request, fault: str) -> list[Rule]:
        """The rules that put `fault` on this request's write (or its first store command)."""
        faults = self.h.faults
        target = request.customer_id
        command = "insert" if request.operation is Operation.CREATE else "update"

        def first_about(c: StoreCommand) -> bool:
            # The first command about the customer that is no lease release: the read of a
            # write, or a create's insert. No lease is held yet, so none is stranded.
            if target is None:
                return (c.name, c.collection) == ("insert", "customer")
            return c.name in ("find", "insert", "update") and target in c.ids

        if fault == "none":
            return []
        if fault == "drop before":
            return [faults.drop_before(command, collection="customer", where=_writes_of(target))]
        if fault == "drop after":
            return [faults.drop_after(command, collection="customer", where=_writes_of(target))]
        if fault in ("short outage", "outage before"):
            seconds = SHORT_OUTAGE if fault == "short outage" else LONG_OUTAGE
            return [faults.add(Rule(Fault.DROP_BEFORE, where=first_about, outage=seconds))]
        lost = faults.drop_after(command, collection="customer", where=_writes_of(target))

        def next_about(c: StoreCommand) -> bool:
            return c.name in ("find", "insert", "update") and bool(lost.hits[0].ids & c.ids)

        away = faults.add(Rule(Fault.DROP_BEFORE, where=next_about, after=lost, outage=LONG_OUTAGE))
        return [lost, away]

    async def _landed(self, request: Request, live_before: bool) -> bool:
        """Whether a request answered 503 changed the store anyway."""
        customers = self.h.customers
        if request.operation is Operation.CREATE:
            return await customers.count_documents({"name": request.name}) > 0
        if request.operation is Operation.PATCH:
            found = await customers.find_one({"_id": request.customer_id})
            media = (found or {}).get("contactMedium") or []
            return any(m.get("emailAddress") == request.email for m in media)
        retrieved = await self.h.client.call(
            Operation.RETRIEVE, parameters={"id": request.customer_id}
        )
        return live_before and retrieved.status == 404

    def _applied(self, request: Request, reply: Received) -> str | None:
        """Checks the final reply of a request applied now and moves the model on."""
        request.final = (reply.status, reply.body)
        if request.operation is Operation.CREATE:
            assert reply.status == 201, reply.body
            assert reply.body["name"] == request.name
            customer_id: str = reply.body["id"]
            request.customer_id = customer_id
            self.model[customer_id] = CustomerModel(customer_id, copy.deepcopy(reply.body))
            self._wrote(self.model[customer_id], request, "CustomerCreateEvent")
            return customer_id
        assert request.customer_id is not None
        customer = self.model[request.customer_id]
        if not customer.live:
            assert reply.status == 404, (reply.status, reply.body)
            return None
        if request.operation is Operation.PATCH:
            expected = copy.deepcopy(customer.resource)
            expected.setdefault("contactMedium", []).append(request.payload[0]["value"])
            assert (reply.status, reply.body) == (200, expected)
            customer.resource = expected
            self._wrote(customer, request, "CustomerAttributeValueChangeEvent")
        else:
            assert (reply.status, reply.body) == (204, None)
            customer.live = False
            self._wrote(customer, request, "CustomerDeleteEvent")
        return None

    def _wrote(self, customer: CustomerModel, request: Request, event_type: str) -> None:
        customer.writes.append((request.correlation_id, event_type))
        customer.remembered = [*customer.remembered, request.correlation_id][-REMEMBERED:]

    async def _quiet(self) -> None:
        """Waits until nothing is left to publish (the sweep publishes late ones)."""

        async def nothing_pending() -> bool:
            return not await unpublished_customers(self.h.customers.database)

        assert await eventually(nothing_pending), "outbox entries left unpublished"

    async def _check_replies(self) -> None:
        """Exactly one reply per send (plus the late ones); one final answer per request."""
        client = self.h.client
        for request in self.requests.values():
            expected = request.sends + request.late
            await eventually(functools.partial(_replied, client, request, expected), 10)
            replies = client.replies(request.correlation_id)
            assert len(replies) == expected, (
                f"{request.operation} {request.correlation_id}: {len(replies)} replies "
                f"{[r.status for r in replies]} for {request.sends} sends, {request.late} late"
            )
            finals = {(r.status, _frozen(r.body)) for r in replies if r.status != 503}
            if request.final is None:
                assert not finals, f"an unapplied request got a final reply: {replies}"
            else:
                assert finals == {(request.final[0], _frozen(request.final[1]))}, finals

    async def _check_customer(self, customer_id: str) -> None:
        """Events in write order, and the retrievable state, for one modelled customer."""
        customer = self.model.get(customer_id)
        if customer is None:
            return
        client = self.h.client

        def distinct() -> list[Received]:
            seen: dict[str, Received] = {}
            for event in client.events:
                if event.key == customer_id:
                    seen.setdefault(event.body["eventId"], event)
            return list(seen.values())

        await eventually(lambda: len(distinct()) >= len(customer.writes), 10)
        every = [e for e in client.events if e.key == customer_id]
        by_id: dict[str, Received] = {}
        for event in every:
            first = by_id.setdefault(event.body["eventId"], event)
            if first is not event:
                self.h.figures.repeated_events += 1
                assert (first.body, first.headers) == (event.body, event.headers)
        events = distinct()
        arrived = [(e.headers["X-Correlation-Id"], e.headers["eventType"]) for e in events]
        versions = [int(e.headers["X-Resource-Version"]) for e in events]
        in_order = arrived == customer.writes and versions == sorted(set(versions))
        if not in_order:
            self.h.figures.out_of_order += 1
        assert in_order, (
            f"customer {customer_id}: events {arrived} v{versions}, writes {customer.writes}"
        )
        for event, (_, event_type) in zip(events, customer.writes, strict=True):
            if event_type == "CustomerAttributeValueChangeEvent":
                changed = self.requests[event.headers["X-Correlation-Id"]].final
                assert changed is not None
                assert event.body["event"]["customer"] == changed[1]

        retrieved = await client.call(Operation.RETRIEVE, parameters={"id": customer_id})
        if customer.live:
            assert (retrieved.status, retrieved.body) == (200, customer.resource)
        else:
            assert retrieved.status == 404, retrieved.body

    async def _no_leftovers(self) -> None:
        """After retention and a sweep: no tombstone, nothing to publish, bounded memory."""
        customers = self.h.customers
        deleted = [c.customer_id for c in self.model.values() if not c.live]
        live = [c.customer_id for c in self.model.values() if c.live]

        async def purged() -> bool:
            return await customers.count_documents({"_id": {"$in": deleted}}) == 0

        if deleted and not await eventually(purged, RETENTION_SECONDS + 3 * SWEEP_SECONDS + 10):
            left = await customers.find({"_id": {"$in": deleted}}).to_list()
            self.h.figures.leftovers += len(left)
            pytest.fail(f"tombstones left after retention: {[d['_id'] for d in left]}")
        self.h.figures.purged += len(deleted)
        unpublished = set(await unpublished_customers(customers.database, live))
        for document in await customers.find({"_id": {"$in": live}}).to_list():
            applied = to_record(document).applied
            if document["_id"] in unpublished or len(applied) > REMEMBERED:
                self.h.figures.leftovers += 1
                pytest.fail(f"bookkeeping left on {document['_id']}: {document}")


def _count(client: ServiceClient, request: Request) -> int:
    return len(client.replies(request.correlation_id))


def _replied(client: ServiceClient, request: Request, times: int) -> bool:
    return _count(client, request) >= times


def _finals(client: ServiceClient, request: Request) -> int:
    return sum(r.status != 503 for r in client.replies(request.correlation_id))


def _frozen(value: Any) -> Any:
    """A hashable form of a JSON value."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


async def test_delivery_promises_hold_under_random_store_faults(
    settings: Settings,
    faults: StoreFaults,  # before the service: torn down after it
    start_service: StartService,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    """Random writes and resends under random store faults keep every Delivery promise."""
    await start_service(
        mongodb_uri=faults.uri,
        store_retry_seconds=RETRY_SECONDS,
        store_timeout_ms=STORE_TIMEOUT_MS,
        outbox_sweep_seconds=SWEEP_SECONDS,
        tombstone_retention_seconds=RETENTION_SECONDS,
        requests_remembered=REMEMBERED,
    )
    client = ServiceClient(settings)
    await client.start()
    harness = Harness(
        asyncio.get_running_loop(),
        client,
        faults,
        mongo[settings.mongodb_database]["customer"],
        Figures(),
    )
    started = time.monotonic()
    try:
        await asyncio.to_thread(
            run_state_machine_as_test, FaultModel.bound_to(harness), settings=MODEL_SETTINGS
        )
    finally:
        print(f"\nfault model: {harness.figures.line()} in {time.monotonic() - started:.1f} s")
        await client.stop()
