"""One chaos run from start to end, in one group membership mode: the private stack, two
instances, the workload beside the faults, the final state and the store's leftovers, the
invariants and the figures; everything it started is stopped."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from chaos.faults import FaultInjector
from chaos.figures import compute
from chaos.final_state import FinalState, read_final_state
from chaos.instances import ServiceInstance
from chaos.invariants import EndFacts, check_all, expected_events
from chaos.ledger import Ledger
from chaos.leftovers import Leftovers, read_leftovers
from chaos.report import Report
from chaos.scenario import Membership, Scenario
from chaos.wire import PARTITIONS, Wire
from chaos.workload import Progress, Workload
from customer_async.client.transport import KafkaConfig
from customer_async.settings import Settings
from customer_async.types import Operation
from harness.ports import LOOPBACK, free_port
from harness.private_stack import PrivateStack, StackFailed
from harness.topics import RunTopics, create_topics

INSTANCES = ("a", "b")
_EVENTS_WAIT = 45.0
"""Seconds to wait for events still owed at the end (the sweep sends what is left in 15 s)."""
_GROUP_SETTLE = 60.0
"""Seconds the two instances get to share the partitions before the workload starts."""
_TEARDOWN = 60.0
"""Seconds of the budget kept for stopping the instances and the stack."""
_CLEANUP_WINDOW = 30.0
"""Seconds after the last fault by which no outbox entry and no lease may be left."""


@dataclass
class _Outcome:
    """What the run gathered, however far it got."""

    workload: Workload | None = None
    injector: FaultInjector | None = None
    state: FinalState | None = None
    leftovers: Leftovers | None = None
    workload_began: float = field(default_factory=time.time)
    lag: dict[str, int | None] = field(default_factory=dict)
    alive: dict[str, bool] = field(default_factory=dict)
    completed: bool = False


class ChaosRun:
    """The processes and records of one run."""

    def __init__(self, scenario: Scenario, log_dir: Path) -> None:
        self.scenario = scenario
        self.log_dir = log_dir
        self.run_id = f"chaos{uuid.uuid4().hex[:8]}"
        self.stack = PrivateStack(log_dir / "stack")
        self.ledger = Ledger()
        self.instances: dict[str, ServiceInstance] = {}
        self.problems: list[str] = []
        self.sigterm_exits: list[int | None] = []
        self._wire: Wire | None = None

    async def execute(self) -> Report:
        """The whole run; never raises for what the service or the stack did (it is reported)."""
        began = time.monotonic()
        self.log_dir.mkdir(parents=True, exist_ok=True)
        outcome = _Outcome()
        try:
            async with asyncio.timeout(self.scenario.timeout - _TEARDOWN):
                await self._drive(outcome, began + self.scenario.timeout - _TEARDOWN)
        except TimeoutError:
            self.problems.append(f"the run's {self.scenario.timeout:.0f} s budget ran out")
        except (StackFailed, RuntimeError) as exc:
            self.problems.append(f"{type(exc).__name__}: {exc}")
        finally:
            await self._stop_everything()
        seconds = time.monotonic() - began
        self.ledger.dump(self.log_dir / "ledger.jsonl")
        faults = outcome.injector.results if outcome.injector else []
        sigterms = [*(outcome.injector.sigterm_exits if outcome.injector else [])]
        checks = check_all(
            self.ledger,
            outcome.workload.customers if outcome.workload else [],
            outcome.state,
            EndFacts(
                outcome.completed,
                self.problems,
                outcome.alive or dict.fromkeys(INSTANCES, False),
                [*sigterms, *self.sigterm_exits],
                outcome.leftovers,
                outcome.injector.last_over if outcome.injector else None,
            ),
        )
        figures = compute(self.ledger, faults, outcome.workload_began, seconds, outcome.lag)
        return Report(self.scenario, figures, checks, str(self.log_dir))

    async def _drive(self, outcome: _Outcome, deadline: float) -> None:
        await self.stack.up()
        config = KafkaConfig(self.stack.kafka_bootstrap_servers, client_id="chaos")
        topics = RunTopics(self.run_id)
        await create_topics(self.stack.kafka_bootstrap_servers, topics.all, PARTITIONS)
        await self._start_instances()
        self._wire = Wire(config, topics, self.ledger)
        await self._wire.start()
        progress = Progress()
        outcome.workload = Workload(
            self.scenario, topics, self._wire, self.ledger, progress, run_id=self.run_id
        )
        outcome.injector = FaultInjector(self.scenario, self.stack, self.instances, self.ledger)
        outcome.workload_began = time.time()
        # Resending stops early enough to leave time for reading the final state.
        work_deadline = deadline - min(90.0, self.scenario.timeout * 0.2)
        await asyncio.gather(
            outcome.workload.run(work_deadline),
            outcome.injector.run(progress),
        )
        await self._await_owed_events(work_deadline)
        outcome.state = await read_final_state(
            self.stack.kafka_bootstrap_servers,
            self.run_id,
            outcome.workload.customers,
            deadline - 10.0,
        )
        last_fault = outcome.injector.last_over or time.time()
        outcome.leftovers = await read_leftovers(
            self.stack.mongodb_uri,
            self.run_id,
            min(last_fault + _CLEANUP_WINDOW, time.time() + deadline - time.monotonic() - 10.0),
        )
        outcome.alive = {n: i.alive for n, i in self.instances.items()}
        outcome.lag = {n: await i.lag() for n, i in self.instances.items()}
        outcome.completed = True

    async def _start_instances(self) -> None:
        settings = Settings(
            kafka_bootstrap_servers=self.stack.kafka_bootstrap_servers,
            mongodb_uri=self.stack.mongodb_uri,
            mongodb_database=self.run_id,
            topic_prefix=self.run_id,
            group_id=self.run_id,
            session_timeout_ms=round(self.scenario.session_timeout * 1000),
            http_host=LOOPBACK,
        )
        static = self.scenario.membership is Membership.STATIC
        for name in INSTANCES:
            update = {
                "group_instance_id": f"{self.run_id}-{name}" if static else None,
                "http_port": free_port(),
            }
            self.instances[name] = ServiceInstance(
                name, settings.model_copy(update=update), self.log_dir / f"instance-{name}.log"
            )
        await asyncio.gather(*(i.start() for i in self.instances.values()))
        await asyncio.gather(*(i.wait_ready() for i in self.instances.values()))
        await self._await_shared_partitions()

    async def _await_shared_partitions(self) -> None:
        """Wait until the group has settled: every request partition owned by exactly one
        instance, each owning some (so a fault's partitions are read from a stable group)."""
        wanted = len(Operation) * PARTITIONS
        limit = time.monotonic() + _GROUP_SETTLE
        while time.monotonic() < limit:
            owned = [await i.partitions() for i in self.instances.values()]
            union = frozenset().union(*owned)
            if all(owned) and len(union) == wanted == sum(len(o) for o in owned):
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"the two instances did not share the {wanted} request partitions")

    async def _await_owed_events(self, deadline: float) -> None:
        """Wait (bounded) until every applied write's events have arrived."""
        limit = min(deadline, time.monotonic() + _EVENTS_WAIT)
        while time.monotonic() < limit:
            seen: dict[str, set[str]] = {}
            for event in self.ledger.events:
                seen.setdefault(event.correlation_id, set()).add(event.event_type)
            missing = any(
                r.final is not None
                and 200 <= r.final.status < 300
                and not expected_events(r) <= seen.get(r.correlation_id, set())
                for r in self.ledger.requests.values()
            )
            if not missing:
                return
            await asyncio.sleep(0.5)

    async def _stop_everything(self) -> None:
        """SIGTERM each running instance (its exit status is checked), then the stack."""
        if self._wire is not None:
            with contextlib.suppress(Exception):
                await self._wire.stop()
        self.stack.thaw_store()  # a frozen store would hold up the instances' clean stop
        running = [i for i in self.instances.values() if i.alive]
        self.sigterm_exits += await asyncio.gather(*(i.terminate() for i in running))
        try:
            await self.stack.remove()
        except StackFailed as exc:
            self.problems.append(f"the private stack did not stop cleanly: {exc}")
