"""The requests of the run: each customer created, patched four times in order, maybe deleted;
malformed records mixed in; what stays unanswered is resent with the same correlation id.

At most `in_flight` requests wait for their reply at once. A customer's four merge patches go out
back to back, keyed by its id (so they share a partition and stay in order); each is acknowledged
by the broker before the next is sent, so a send retried across a broker restart cannot overtake.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from chaos.ledger import Ledger, Request
from chaos.malformed import KINDS
from chaos.scenario import Scenario
from chaos.wire import Wire
from customer_async.client.requests import MERGE_PATCH, command_record
from customer_async.types import Operation
from harness.topics import RunTopics

PATCHES = 4
STATUS_PATCH = 2
"""The patch that also changes `status` (so it emits a state change event too)."""


def patch_document(customer: int, step: int) -> dict[str, str]:
    """Patch `step` of customer number `customer`: a new description, and once a new status."""
    document = {"description": f"patch {step} of customer {customer}"}
    if step == STATUS_PATCH:
        document["status"] = "Approved"
    return document


def final_document(customer: int) -> dict[str, str]:
    """What a surviving customer must show at the end: the last patch, over the status patch."""
    return {**patch_document(customer, PATCHES), "status": "Approved"}


class Progress:
    """Customers finished and faults over: faults wait for the one, customers for the other,
    so the workload cannot run ahead of the faults (each fault meets load). A fault that needs
    load to happen at all (a crash at the next write) lets the workload past it while it waits
    (`let_past`)."""

    def __init__(self) -> None:
        self.finished = 0
        self.faults_over = 0
        self._let_past = 0
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def customer_finished(self) -> None:
        self.finished += 1
        await self._notify()

    async def fault_over(self) -> None:
        self.faults_over += 1
        self._let_past = 0
        await self._notify()

    async def let_past(self) -> None:
        """The fault under way no longer holds customers back (it waits for their requests)."""
        self._let_past = 1
        await self._notify()

    async def customers_finished(self, count: int) -> None:
        """Return once `count` customers have finished."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.finished >= count)

    async def faults_ended(self, count: int) -> None:
        """Return once `count` faults are over."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.faults_over + self._let_past >= count)


@dataclass(frozen=True, slots=True)
class Customer:
    """What the workload did to one customer."""

    number: int
    customer_id: str | None
    deleted: bool


class Workload:
    """Drives the customers through their lives against the service instances."""

    def __init__(
        self,
        scenario: Scenario,
        topics: RunTopics,
        wire: Wire,
        ledger: Ledger,
        progress: Progress,
        *,
        run_id: str,
    ) -> None:
        self._scenario = scenario
        self._topics = topics
        self._wire = wire
        self._ledger = ledger
        self.progress = progress
        self._run_id = run_id
        self._slots = asyncio.Semaphore(scenario.in_flight)
        self._deadline = 0.0
        random_ = random.Random(scenario.seed)
        self._deleting = {
            i for i in range(scenario.customers) if random_.random() < scenario.delete_share
        }
        self.customers: list[Customer] = []

    async def run(self, deadline: float) -> None:
        """Every customer's life, `in_flight` customers at a time, none running more than a
        window ahead of a fault that is not over yet."""
        self._deadline = deadline
        active = asyncio.Semaphore(self._scenario.in_flight)
        tasks: list[asyncio.Task[None]] = []
        for number in range(self._scenario.customers):
            await self.progress.faults_ended(self._scenario.faults_before(number))
            await active.acquire()
            tasks.append(asyncio.create_task(self._customer(number, active)))
            if number % self._scenario.malformed_every == 0:
                tasks.append(asyncio.create_task(self._malformed(number)))
        await asyncio.gather(*tasks)

    async def _customer(self, number: int, active: asyncio.Semaphore) -> None:
        try:
            customer_id = await self._create(number)
            deleted = False
            if customer_id is not None:
                answers = []
                for step in range(1, PATCHES + 1):
                    patch = await self._send(self._patch(number, customer_id, step))
                    answers.append(asyncio.create_task(self._answer(patch)))
                await asyncio.gather(*answers)
                if number in self._deleting:
                    delete = await self._send(self._delete(number, customer_id))
                    deleted = await self._answer(delete) == 204
            self.customers.append(Customer(number, customer_id, deleted))
        finally:
            active.release()
            await self.progress.customer_finished()

    async def _create(self, number: int) -> str | None:
        correlation = f"{self._run_id}-{number}-create"
        request = Request(
            kind="create",
            record=command_record(
                self._topics,
                Operation.CREATE,
                correlation_id=correlation,
                reply_channel=self._topics.run_reply,
                payload={
                    "name": f"chaos customer {number}",
                    "description": "created",
                    "engagedParty": {"id": f"party-{number}", "@referredType": "Organization"},
                },
                key=f"customer-{number}",
            ),
            expected=201,
            customer=number,
        )
        if await self._answer(await self._send(request)) != 201:
            return None
        assert request.final is not None
        body = request.final.body
        customer_id = body.get("id") if isinstance(body, dict) else None
        request.customer_id = customer_id if isinstance(customer_id, str) else None
        return request.customer_id

    def _patch(self, number: int, customer_id: str, step: int) -> Request:
        return Request(
            kind=f"patch {step}",
            record=command_record(
                self._topics,
                Operation.PATCH,
                correlation_id=f"{self._run_id}-{number}-patch-{step}",
                reply_channel=self._topics.run_reply,
                parameters={"id": customer_id},
                payload=patch_document(number, step),
                content_type=MERGE_PATCH,
                key=customer_id,
            ),
            expected=200,
            customer=number,
            customer_id=customer_id,
        )

    def _delete(self, number: int, customer_id: str) -> Request:
        return Request(
            kind="delete",
            record=command_record(
                self._topics,
                Operation.DELETE,
                correlation_id=f"{self._run_id}-{number}-delete",
                reply_channel=self._topics.run_reply,
                parameters={"id": customer_id},
                key=customer_id,
            ),
            expected=204,
            customer=number,
            customer_id=customer_id,
        )

    async def _malformed(self, number: int) -> None:
        malformed = KINDS[(number // self._scenario.malformed_every) % len(KINDS)]
        correlation = f"{self._run_id}-{number}-malformed"
        request = Request(
            kind=f"malformed: {malformed.kind}",
            record=malformed.build(self._topics, correlation),
            expected="4xx",
        )
        await self._answer(await self._send(request))

    async def _send(self, request: Request) -> Request:
        """Take a slot and send the request the first time (acknowledged by the broker)."""
        self._ledger.add(request)
        await self._slots.acquire()
        if not await self._wire.send(request, self._deadline):
            self._slots.release()
        return request

    async def _answer(self, request: Request) -> int | None:
        """Wait for the final answer, resending after `resend_after` s of silence, or after a
        503's Retry-After; frees the request's slot. The status, or None if none came in time."""
        if not request.sends:
            return None
        try:
            while request.final is None:
                remaining = self._deadline - time.monotonic()
                if remaining <= 0:
                    break
                request.changed.clear()
                transient = await _wait(
                    request.changed, min(self._scenario.resend_after, remaining)
                )
                if request.final is not None:
                    break
                if transient and request.transient is not None:  # a 503: not final, resend
                    await asyncio.sleep(min(request.transient.retry_after or 1.0, remaining))
                    if request.final is not None:
                        break
                await self._wire.send(request, self._deadline)
        finally:
            self._slots.release()
        return None if request.final is None else request.final.status


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(event.wait(), max(0.0, seconds))
    except TimeoutError:
        return False
    return True
