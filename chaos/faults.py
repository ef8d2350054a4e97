"""Injecting the faults, one after another as the workload progresses, and timing recovery.

Recovery is read from the replies: the first reply the service produced (Kafka timestamp) after
the fault's reference point, for a workload request on the partitions the fault took away (an
instance's assignment, read from its `/metrics` just before; all partitions for the broker, the
store and the database). For a SIGKILL that reply is timed from the kill and from the restart
(fail-over), and its target depends on the group membership (`Scenario.kill_target`). The reply
gap (longest silence a client saw) is computed afterwards from arrivals.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chaos.instances import Partition, ServiceInstance
from chaos.ledger import Ledger, Request, SeenReply
from chaos.scenario import FaultKind, PlannedFault, Scenario
from chaos.workload import Progress
from harness.private_stack import PrivateStack

_RECOVERY_WAIT = 120.0
"""Seconds a fault waits for the first reply after it before giving up (recovery missing)."""
_PAUSE = 2.0
"""Seconds between the end of one fault and the next."""


@dataclass
class FaultResult:
    """One injected fault: when, what it hit, and when replies came back."""

    kind: FaultKind
    target: str
    started: float
    """Wall time of the injection."""
    recovery_from: float = 0.0
    """Wall time recovery is measured from (the kill; or the moment the server is back)."""
    restored: float | None = None
    """Wall time the fault was lifted (restart issued, broker or store back)."""
    partitions: frozenset[Partition] | None = None
    """The request partitions it took away (None: all)."""
    first_reply: SeenReply | None = None
    target_seconds: float | None = None
    target_from: str = ""
    """What the target is counted from: `kill`, `restart`, or (empty) `recovery_from`."""
    exit_codes: list[int | None] = field(default_factory=list)
    """Exit statuses of the instance processes this fault ended."""
    notes: list[str] = field(default_factory=list)

    @property
    def recovery(self) -> float | None:
        """Seconds from `recovery_from` to the first reply produced after it."""
        if self.first_reply is None:
            return None
        return self.first_reply.produced - self.recovery_from

    @property
    def since_start(self) -> float | None:
        """Seconds from the injection (the kill) to the first reply produced after it."""
        return None if self.first_reply is None else self.first_reply.produced - self.started

    @property
    def since_restored(self) -> float | None:
        """Seconds from the restart (or return) to the first reply; None if it came before."""
        if self.first_reply is None or self.restored is None:
            return None
        seconds = self.first_reply.produced - self.restored
        return seconds if seconds >= 0 else None

    @property
    def outage(self) -> float | None:
        """Seconds from the injection until the fault was lifted (restart issued, server back)."""
        return None if self.restored is None else self.restored - self.started

    @property
    def met(self) -> bool | None:
        """Whether recovery met the target (None when the fault has none)."""
        if self.target_seconds is None:
            return None
        measured = {"kill": self.since_start, "restart": self.since_restored}.get(
            self.target_from, self.recovery
        )
        return measured is not None and measured <= self.target_seconds


class FaultInjector:
    """Runs the scenario's faults in order against the stack and the instances."""

    def __init__(
        self,
        scenario: Scenario,
        stack: PrivateStack,
        instances: dict[str, ServiceInstance],
        ledger: Ledger,
    ) -> None:
        self._scenario = scenario
        self._stack = stack
        self._instances = instances
        self._ledger = ledger
        self.results: list[FaultResult] = []
        self.sigterm_exits: list[int | None] = []
        self._progress = Progress()
        self.last_over: float | None = None
        """Wall time the last fault was over (lifted, and its recovery seen or given up)."""
        self._inject: dict[FaultKind, Callable[[PlannedFault], Awaitable[FaultResult]]] = {
            FaultKind.KILL_RESTART: self._kill_restart,
            FaultKind.KILL_TAKEOVER: self._kill_takeover,
            FaultKind.BROKER_RESTART: self._broker_restart,
            FaultKind.STORE_FREEZE: self._store_freeze,
            FaultKind.STORE_KILL: self._store_kill,
            FaultKind.DATABASE_KILL: self._database_kill,
            FaultKind.CRASH_AFTER_WRITE: self._crash_after_write,
            FaultKind.SIGTERM: self._sigterm,
        }

    async def run(self, progress: Progress) -> None:
        """Each fault once its share of the customers is done; a failed fault still counts as
        over (so no customer waits for it forever) before its error propagates."""
        self._progress = progress
        for planned in self._scenario.faults:
            await progress.customers_finished(self._scenario.fault_threshold(planned))
            try:
                self.results.append(self._explain(await self._inject[planned.kind](planned)))
                self.last_over = time.time()
                await asyncio.sleep(_PAUSE)
            finally:
                await progress.fault_over()

    async def _first_reply_after(
        self, moment: float, partitions: frozenset[Partition] | None
    ) -> SeenReply | None:
        def accept(reply: SeenReply, request: Request) -> bool:
            # A final answer, and the request's first: a reply published again (another
            # instance writing the same customer republishes what is unpublished) is no recovery.
            if reply.produced < moment or reply.status == 503:
                return False
            if self._ledger.replies_by_correlation[reply.correlation_id][0] is not reply:
                return False
            return not partitions or request.partition in partitions

        return await self._ledger.first_reply(accept, _RECOVERY_WAIT)

    def _explain(self, result: FaultResult) -> FaultResult:
        """Name the time, the partitions taken and the reply that ended the recovery."""
        moment = datetime.fromtimestamp(result.started, UTC).strftime("%H:%M:%S.%f")[:-3]
        result.notes.insert(0, f"injected at {moment} UTC")
        if result.partitions:
            names = sorted(f"{_operation(t)}[{p}]" for t, p in result.partitions)
            result.notes.append(f"its partitions: {', '.join(names)}")
        reply = result.first_reply
        if reply is None:
            result.notes.append(f"no reply within {_RECOVERY_WAIT:.0f} s after it")
            return result
        request = self._ledger.requests[reply.correlation_id]
        where = (
            f"{_operation(request.partition[0])}[{request.partition[1]}]"
            if request.partition
            else "?"
        )
        result.notes.append(
            f"first new final reply: {reply.correlation_id} ({request.kind}, {where}, "
            f"status {reply.status})"
        )
        return result

    async def _restart(self, instance: ServiceInstance, result: FaultResult) -> None:
        await instance.start()
        result.restored = result.restored or time.time()
        try:
            await instance.wait_ready()
        except RuntimeError as exc:
            result.notes.append(f"restart of {instance.name} failed: {exc}")

    async def _assignment(self, instance: ServiceInstance, result: FaultResult) -> None:
        result.partitions = await instance.partitions()
        if not result.partitions:
            result.notes.append("its partitions were unknown: recovery from any reply")

    async def _kill(self, planned: PlannedFault) -> tuple[ServiceInstance, FaultResult]:
        """SIGKILL the planned instance, noting its partitions first; the result so far."""
        instance = self._instances[planned.instance]
        result = FaultResult(planned.kind, f"instance {instance.name}", 0.0)
        result.target_seconds, result.target_from = self._scenario.kill_target(planned.kind)
        await self._assignment(instance, result)
        result.started = result.recovery_from = time.time()
        result.exit_codes.append(await instance.kill())
        return instance, result

    async def _kill_restart(self, planned: PlannedFault) -> FaultResult:
        instance, result = await self._kill(planned)
        restart = asyncio.create_task(self._restart(instance, result))
        result.first_reply = await self._first_reply_after(result.started, result.partitions)
        await restart
        return result

    async def _kill_takeover(self, planned: PlannedFault) -> FaultResult:
        instance, result = await self._kill(planned)
        result.first_reply = await self._first_reply_after(result.started, result.partitions)
        result.notes.append("restarted after the other instance took over")
        await self._restart(instance, result)
        return result

    async def _sigterm(self, planned: PlannedFault) -> FaultResult:
        instance = self._instances[planned.instance]
        result = FaultResult(planned.kind, f"instance {instance.name}", 0.0)
        await self._assignment(instance, result)
        result.started = time.time()
        code = await instance.terminate()
        self.sigterm_exits.append(code)
        result.exit_codes.append(code)
        result.recovery_from = time.time()
        result.notes.append(
            f"exit status {code} after {result.recovery_from - result.started:.1f} s; "
            "recovery from its exit"
        )
        restart = asyncio.create_task(self._restart(instance, result))
        result.first_reply = await self._first_reply_after(result.recovery_from, result.partitions)
        await restart
        return result

    async def _crash_after_write(self, planned: PlannedFault) -> FaultResult:
        """SIGTERM the instance, start it with the crash hook: it exits right after its first
        store write (before publishing); then start it normally. Recovery from the crash."""
        instance = self._instances[planned.instance]
        result = FaultResult(planned.kind, f"instance {instance.name}", time.time())
        await self._assignment(instance, result)
        code = await instance.terminate()
        self.sigterm_exits.append(code)
        result.exit_codes.append(code)
        await instance.start(crash_after_write=True)
        # It crashes at its first write, so once it has its partitions the customers held back
        # until this fault is over go on (those already running may all have finished during
        # its restart, and then no write would ever come).
        with contextlib.suppress(RuntimeError):  # it crashed before it was seen ready
            await instance.wait_ready()
        await self._progress.let_past()
        crashed = await instance.wait_exit(90.0)
        if crashed is None:
            result.notes.append("it did not crash within 90 s: stopped with SIGTERM")
            crashed = await instance.terminate()
            self.sigterm_exits.append(crashed)
        result.exit_codes.append(crashed)
        result.recovery_from = time.time()
        result.notes.append(
            f"crashed with exit status {crashed} (70: the hook); SIGTERM before: {code}"
        )
        restart = asyncio.create_task(self._restart(instance, result))
        result.first_reply = await self._first_reply_after(result.recovery_from, result.partitions)
        await restart
        return result

    async def _broker_restart(self, planned: PlannedFault) -> FaultResult:
        result = FaultResult(planned.kind, "kafka", time.time())
        await self._stack.stop_kafka()
        down = time.time()
        await asyncio.sleep(2.0)
        await self._stack.up()
        result.restored = result.recovery_from = time.time()
        result.notes.append(
            f"stopped in {down - result.started:.1f} s, back "
            f"{result.restored - result.started:.1f} s after the stop began; "
            "recovery from its return"
        )
        result.first_reply = await self._first_reply_after(result.restored, None)
        return result

    async def _store_freeze(self, planned: PlannedFault) -> FaultResult:
        result = FaultResult(planned.kind, "ferretdb", time.time())
        self._stack.freeze_store()
        try:
            await asyncio.sleep(self._scenario.freeze_seconds)
        finally:
            self._stack.thaw_store()
        result.restored = result.recovery_from = time.time()
        result.notes.append(
            f"frozen {result.restored - result.started:.1f} s; recovery from SIGCONT"
        )
        result.first_reply = await self._first_reply_after(result.restored, None)
        return result

    async def _store_kill(self, planned: PlannedFault) -> FaultResult:
        result = FaultResult(planned.kind, "ferretdb", time.time())
        await self._stack.kill_store()
        await asyncio.sleep(1.0)
        await self._stack.up()
        result.restored = result.recovery_from = time.time()
        result.notes.append(
            f"back {result.restored - result.started:.1f} s after the kill; "
            "recovery from its return"
        )
        result.first_reply = await self._first_reply_after(result.restored, None)
        return result

    async def _database_kill(self, planned: PlannedFault) -> FaultResult:
        """SIGKILL PostgreSQL under FerretDB and start it again as `scripts/stack up` does."""
        result = FaultResult(planned.kind, "postgresql", time.time())
        lingering = await self._stack.kill_database()
        down = time.time()
        await self._stack.up()
        result.restored = result.recovery_from = time.time()
        if lingering:
            result.notes.append(f"{lingering} orphaned backends outlived it: SIGKILLed")
        result.notes.append(
            f"gone with its backends in {down - result.started:.1f} s, serving again "
            f"{result.restored - result.started:.1f} s after the kill; recovery from its return"
        )
        result.first_reply = await self._first_reply_after(result.restored, None)
        return result


def _operation(topic: str) -> str:
    """`….v5.patchCustomer.commandRequest` → `patch`."""
    return topic.rsplit(".", 2)[-2].removesuffix("Customer")
