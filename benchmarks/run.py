"""One benchmark run: the ceilings, then the service, each phase bounded by one deadline.

Order: the topics are created; the idle-client memory baseline; the Kafka echo (a child process
driven by `Driver`, kept running for the open-loop steps); the ceilings (store insert_one,
find_one, update_one, and echo round trips); the service (`python -m customer_async serve` as a
child) driven in closed loop through create, retrieve, patch and list; the ceilings once more
(each ceiling is the better of its two runs); open loop for retrieve and create, each step
beside the echo at the same offered rate; the closed-loop deletes; the service against the plain
peer (a second child, on topics and a database of its own); the sustained creates, until the
outbox drains; then, on the same service with customers bulk-loaded into its store, the list
kinds and the scale phases. `BenchConfig.phases` leaves out any of these but the first ceilings.
Everything the run created is removed at the end. All traffic goes to the loopback servers
named in the config.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

from benchmarks.driver import Answer, Driver, NoAnswer, Unsent
from benchmarks.errors import BenchmarkError
from benchmarks.list_kinds import LIST_REQUESTS, ListReport
from benchmarks.loopback import require_loopback
from benchmarks.machine_cpu import CpuSplits
from benchmarks.memory import idle_clients_peak_kib
from benchmarks.open_loop import LoadPlan, OpenLoopReport, measure_open_loop
from benchmarks.peer_comparison import PEER, SERVICE, Contender, PeerReport, compare_with_peer
from benchmarks.phase import Call, run_phase
from benchmarks.phases import PHASES, in_order
from benchmarks.progress import Progress, QuietProgress
from benchmarks.report import (
    BenchReport,
    Ceilings,
    MemoryReport,
    OperationReport,
    RunParameters,
    operation_report,
    ratio,
)
from benchmarks.scale import (
    PHASE_SECONDS,
    SCALE_SIZES,
    CustomerLoader,
    ScaleReport,
    measure_scale,
)
from benchmarks.stats import Measurement
from benchmarks.store_ceiling import create_collections, measure_store
from benchmarks.store_counters import CommandsPerRequest, StoreCommandCounter, per_request
from benchmarks.stored_customers import StoredCustomers
from benchmarks.sustained import SUSTAINED_CREATES, SustainedReport, measure_sustained
from benchmarks.targets import peer_and_load_targets, throughput_targets
from benchmarks.watch import WatchedStretch, Watcher, store_process
from benchmarks.workload import CustomerWorkload, created_id, echo_calls, echo_topics
from customer_async.settings import Settings
from customer_async.types import Operation
from harness.children import Child, start_child
from harness.cleanup import remove_run_data
from harness.operations_port import outbox_published
from harness.ports import LOOPBACK, free_port
from harness.proc import CURRENT, PEAK, cpu_seconds, resident_kib
from harness.service import start_service_process
from harness.topics import create_topics

__all__ = ["BenchConfig", "BenchmarkError", "fresh_prefix", "run_benchmark"]

_START_SECONDS = 60.0
"""How long a child may take to answer its first request (start-up and group join)."""
_BACKSTOP_SECONDS = 60.0
"""Beyond the run's timeout, how long start-up and shutdown may take before the run is cut."""
_WARM_UP_CALLS = 16
_SETTLE_WAIT_SECONDS = 120.0
"""How long a phase that must start on a published outbox waits for it at most."""
OPEN_LOOP_OPERATIONS = ("retrieve", "create")


def fresh_prefix() -> str:
    """A topic prefix and database name no earlier run used."""
    return f"bench{uuid.uuid4().hex[:10]}"


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """What to run against, and how much."""

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    mongodb_uri: str = "mongodb://127.0.0.1:27017"
    requests: int = 500
    window: int = 64
    timeout_seconds: float = 1800.0
    partitions: int = 3
    prefix: str = field(default_factory=fresh_prefix)
    quick: bool = False
    load: LoadPlan = field(default_factory=LoadPlan)
    scale_sizes: tuple[int, ...] = SCALE_SIZES
    """Customers stored for the scale phase, one phase per size (none: no scale phase)."""
    scale_phase_seconds: float = PHASE_SECONDS
    """How long each scale phase (and each list kind at a size) may send."""
    phases: frozenset[str] = frozenset(PHASES)
    sustained_creates: int = SUSTAINED_CREATES
    sustained_rate: float | None = None
    """Creates per second offered in the sustained phase; None: closed loop at `window`."""
    list_requests: int = LIST_REQUESTS
    """Pages of each list kind at each size."""


@dataclass(frozen=True, slots=True)
class _Echo:
    """The running echo child and the driver that talks to it."""

    driver: Driver
    request_topic: str


@dataclass(frozen=True, slots=True)
class _ServiceFindings:
    ceilings: Ceilings
    operations: list[OperationReport]
    open_loop: list[OpenLoopReport]
    scale: ScaleReport | None
    memory: MemoryReport
    unmatched: int
    peer: PeerReport | None
    sustained: SustainedReport | None
    lists: ListReport | None
    watched: list[WatchedStretch]


async def run_benchmark(config: BenchConfig, progress: Progress | None = None) -> BenchReport:
    """Measure the ceilings and the service in one run and report them as ratios.

    Raises `NotLoopback` for a server off this machine and `BenchmarkError` when something
    needed for measuring does not start; wrong or missing replies are in the report instead.
    """
    tell = progress or QuietProgress()
    require_loopback(config.kafka_bootstrap_servers, config.mongodb_uri)
    started = time.perf_counter()
    deadline = asyncio.get_running_loop().time() + config.timeout_seconds
    settings = Settings(
        kafka_bootstrap_servers=config.kafka_bootstrap_servers,
        mongodb_uri=config.mongodb_uri,
        mongodb_database=config.prefix,
        topic_prefix=config.prefix,
        group_id=f"{config.prefix}-service",
        topic_partitions=config.partitions,
        # The run creates every topic first (as for the echo), so both see the same partitions.
        create_topics=False,
        # /metrics tells the sustained phase the outbox backlog; a port nobody listens on, as
        # the usual one may be taken by a service already running here.
        http_host=LOOPBACK,
        http_port=free_port(),
    )
    workload = CustomerWorkload(settings)
    documents = StoredCustomers(settings)
    echo_request, echo_reply = echo_topics(config.prefix)
    topics = [*workload.topics, echo_request, echo_reply]
    # Each ceiling run writes into a fresh database, so both find among as many customers.
    store_databases = [f"{config.prefix}_store", f"{config.prefix}_store_again"]
    # The plain peer: the service's topic names under a prefix of its own (on the service's
    # own topics both groups would get every request), and a database of its own.
    peer_settings = settings.model_copy(
        update={"topic_prefix": f"{config.prefix}peer", "mongodb_database": f"{config.prefix}_peer"}
    )
    if "peer" in config.phases:
        topics += _peer_topics(peer_settings)
        store_databases.append(peer_settings.mongodb_database)
    ceiling_runs: list[Ceilings] = []
    splits = CpuSplits()
    with TemporaryDirectory(prefix="customer-async-bench-") as scratch:
        logs = Path(scratch)
        try:
            async with asyncio.timeout_at(deadline + _BACKSTOP_SECONDS):
                await create_topics(config.kafka_bootstrap_servers, topics, config.partitions)
                await create_collections(config.mongodb_uri, store_databases, documents)
                tell.note("memory baseline: an idle process with aiokafka and pymongo clients")
                baseline_kib = await idle_clients_peak_kib(
                    config.kafka_bootstrap_servers,
                    config.mongodb_uri,
                    echo_request,
                    f"{config.prefix}-idle",
                    logs / "idle_clients.log",
                )
                counter = StoreCommandCounter(config.mongodb_uri)
                try:
                    store_server = await counter.server()
                    async with _echo_running(
                        config, echo_request, echo_reply, logs / "echo.log", deadline
                    ) as echo:

                        async def measure_ceilings() -> Ceilings:
                            database = store_databases[len(ceiling_runs)]
                            ceiling_runs.append(
                                await _measure_ceilings(
                                    config,
                                    database=database,
                                    documents=documents,
                                    echo=echo,
                                    baseline_kib=baseline_kib,
                                    deadline=deadline,
                                    progress=tell,
                                    splits=splits,
                                )
                            )
                            return ceiling_runs[-1]

                        await measure_ceilings()
                        service = await _measure_service(
                            config,
                            settings=settings,
                            peer_settings=peer_settings,
                            workload=workload,
                            documents=documents,
                            ceiling_runs=ceiling_runs,
                            measure_ceilings=measure_ceilings,
                            counter=counter,
                            echo=echo,
                            logs=logs,
                            deadline=deadline,
                            progress=tell,
                            splits=splits,
                        )
                        unmatched = echo.driver.unmatched + service.unmatched
                finally:
                    await counter.close()
        except TimeoutError as exc:
            raise BenchmarkError(
                f"the run did not finish within {config.timeout_seconds:g} s "
                f"(+{_BACKSTOP_SECONDS:g} s for start-up and shutdown)"
            ) from exc
        finally:
            tell.note("removing the run's topics and databases")
            await remove_run_data(
                config.kafka_bootstrap_servers,
                topics,
                config.mongodb_uri,
                [settings.mongodb_database, *store_databases],
            )
    report = BenchReport(
        parameters=RunParameters(
            requests=config.requests,
            window=config.window,
            timeout_seconds=config.timeout_seconds,
            cpus=os.cpu_count() or 1,
            kafka_bootstrap_servers=config.kafka_bootstrap_servers,
            mongodb_uri=config.mongodb_uri,
            prefix=config.prefix,
            store_server=store_server,
            quick=config.quick,
            load_fractions=list(config.load.fractions),
            step_seconds=config.load.seconds,
            scale_sizes=list(config.scale_sizes),
            phases=in_order(config.phases),
            sustained_creates=config.sustained_creates,
            sustained_rate=config.sustained_rate,
            list_requests=config.list_requests,
        ),
        ceilings=service.ceilings,
        operations=service.operations,
        open_loop=service.open_loop,
        scale=service.scale,
        memory=service.memory,
        wall_seconds=time.perf_counter() - started,
        unmatched_replies=unmatched,
        ceiling_runs=ceiling_runs,
        cpu_split=splits.phases,
        peer=service.peer,
        lists=service.lists,
        sustained=service.sustained,
        watched=service.watched,
    )
    return dataclasses.replace(
        report, targets=[*throughput_targets(report), *peer_and_load_targets(report)]
    )


async def _measure_ceilings(
    config: BenchConfig,
    *,
    database: str,
    documents: StoredCustomers,
    echo: _Echo,
    baseline_kib: int,
    deadline: float,
    progress: Progress,
    splits: CpuSplits,
) -> Ceilings:
    """One run of the store ceilings (in `database`) and of the Kafka echo."""
    count = config.requests
    progress.note(f"store ceilings: {count} insert_one, find_one, update_one by _id")
    with progress.bar("store ceilings", 3 * count) as done:
        store = await measure_store(
            config.mongodb_uri,
            database,
            documents=documents,
            count=count,
            window=config.window,
            deadline=deadline,
            on_done=done,
            splits=splits,
        )
    progress.note(f"Kafka echo ceiling: {count} round trips")
    with progress.bar("Kafka echo", count) as done, splits.phase("Kafka echo", count):
        echo_measurement, _ = await run_phase(
            "Kafka echo", echo_calls(echo.request_topic, count), echo.driver, deadline, done
        )
    return Ceilings(echo_measurement, store.insert, store.find, store.update, baseline_kib)


@contextlib.asynccontextmanager
async def _echo_running(
    config: BenchConfig, request_topic: str, reply_topic: str, log: Path, deadline: float
) -> AsyncIterator[_Echo]:
    """The echo child, answering (warmed up), for as long as the context lasts."""
    arguments = [
        f"--bootstrap-servers={config.kafka_bootstrap_servers}",
        f"--request-topic={request_topic}",
        f"--reply-topic={reply_topic}",
        f"--group-id={config.prefix}-echo",
    ]
    async with _child_answering(
        config,
        "benchmarks.echo",
        arguments,
        log=log,
        reply_topics=[reply_topic],
        warm_up=echo_calls(request_topic, 1)[0],
        what="the echo",
        deadline=deadline,
    ) as (_, driver):
        yield _Echo(driver, request_topic)


@contextlib.asynccontextmanager
async def _child_answering(
    config: BenchConfig,
    module: str,
    arguments: Sequence[str],
    *,
    log: Path,
    reply_topics: Sequence[str],
    warm_up: Call,
    what: str,
    deadline: float,
) -> AsyncIterator[tuple[Child, Driver]]:
    """A child of ours (`python -m module`, stopping by itself after the run's time), answering
    `warm_up` right, and a driver reading its `reply_topics`, for as long as the context lasts."""
    limit = f"--max-seconds={config.timeout_seconds + _BACKSTOP_SECONDS:g}"
    child = await start_child(module, [*arguments, limit], log)
    try:
        driver = Driver(
            config.kafka_bootstrap_servers,
            reply_topics,
            partitions=config.partitions,
            window=config.window,
        )
        await driver.start()
        try:
            await _warm_up(driver, warm_up, child, what, deadline)
            yield child, driver
        finally:
            await driver.stop()
    finally:
        await child.stop()


async def _measure_service(
    config: BenchConfig,
    *,
    settings: Settings,
    peer_settings: Settings,
    workload: CustomerWorkload,
    documents: StoredCustomers,
    ceiling_runs: Sequence[Ceilings],
    measure_ceilings: Callable[[], Awaitable[Ceilings]],
    counter: StoreCommandCounter,
    echo: _Echo,
    logs: Path,
    deadline: float,
    progress: Progress,
    splits: CpuSplits,
) -> _ServiceFindings:
    """The service as a child process: closed loop, the ceilings again, open loop, the plain
    peer, the sustained creates, then the list kinds and scale (the phases chosen).

    A ceiling is the best the machine allows, so each is the better of its two runs (before
    and right after the closed loop): a passing slowdown of the shared machine during one run
    must not lower a ceiling and so flatter the service.
    """
    progress.note("service: starting `python -m customer_async serve`")
    log = logs / "service.log"
    child = await start_service_process(settings, log)
    splits.service_pid = child.pid
    phases = config.phases
    open_loop: list[OpenLoopReport] = []
    scale = peer = sustained = lists = None
    watcher = Watcher(child.pid, store_process(config.mongodb_uri), log)

    async def settled() -> None:
        await outbox_published(settings.http_port, _SETTLE_WAIT_SECONDS)

    try:
        driver = Driver(
            config.kafka_bootstrap_servers,
            workload.reply_topics,
            partitions=config.partitions,
            window=config.window,
        )
        await driver.start()
        try:
            await _warm_up(driver, workload.warm_up(), child, "the service", deadline)
            started_kib = resident_kib(child.pid, CURRENT)
            phase = _ServicePhases(
                driver,
                counter=counter,
                service_pid=child.pid,
                deadline=deadline,
                progress=progress,
                splits=splits,
            )
            if "closed" in phases:
                open_loop = await _closed_and_open_loop(
                    config,
                    phase=phase,
                    driver=driver,
                    workload=workload,
                    measure_ceilings=measure_ceilings,
                    echo=echo,
                    deadline=deadline,
                    progress=progress,
                )
            if "peer" in phases:
                async with _plain_peer_running(
                    config, peer_settings, logs / "plain_peer.log", deadline
                ) as plain_peer:
                    peer = await compare_with_peer(
                        Contender(SERVICE, driver, workload, child.pid, settled),
                        plain_peer,
                        requests=config.requests,
                        deadline=deadline,
                        progress=progress,
                        splits=splits,
                    )
            if "sustained" in phases:
                await settled()  # the phase starts with nothing left to settle
                async with watcher.stretch("sustained creates + drain"):
                    with splits.phase("sustained create", config.sustained_creates):
                        sustained = await measure_sustained(
                            workload.creates(1)[0],
                            count=config.sustained_creates,
                            driver=driver,
                            metrics_port=settings.http_port,
                            window=config.window,
                            rate=config.sustained_rate,
                            deadline=deadline,
                            progress=progress,
                        )
            if config.scale_sizes and phases & {"scale", "lists"}:
                loader = CustomerLoader(config.mongodb_uri, settings.mongodb_database, documents)
                try:
                    async with watcher.stretch(_stored_stretch(phases)):
                        scale, lists = await measure_scale(
                            config.scale_sizes,
                            loader=loader,
                            driver=driver,
                            workload=workload,
                            requests=config.requests,
                            phase_seconds=config.scale_phase_seconds,
                            deadline=deadline,
                            progress=progress,
                            scale_phases="scale" in phases,
                            list_requests=config.list_requests if "lists" in phases else None,
                        )
                finally:
                    await loader.close()
            peak_kib = resident_kib(child.pid, PEAK)
        finally:
            await driver.stop()
    finally:
        await child.stop()
    ceilings = functools.reduce(Ceilings.best, ceiling_runs)
    memory = MemoryReport(
        baseline_peak_kib=ceilings.memory_baseline_kib,
        service_started_kib=started_kib,
        service_peak_kib=peak_kib,
        peak_vs_baseline=ratio(peak_kib, ceilings.memory_baseline_kib),
    )
    return _ServiceFindings(
        ceilings,
        phase.reports(ceilings),
        open_loop,
        scale,
        memory,
        driver.unmatched,
        peer,
        sustained,
        lists,
        watcher.stretches,
    )


async def _closed_and_open_loop(
    config: BenchConfig,
    *,
    phase: _ServicePhases,
    driver: Driver,
    workload: CustomerWorkload,
    measure_ceilings: Callable[[], Awaitable[Ceilings]],
    echo: _Echo,
    deadline: float,
    progress: Progress,
) -> list[OpenLoopReport]:
    """Create, retrieve, patch and list in closed loop, the ceilings again, the open loop (if
    chosen), then the deletes of what was created."""
    creates = await phase.run("create", workload.creates(config.requests))
    ids = [i for i in map(created_id, creates) if i is not None]
    await phase.run("retrieve", workload.retrieves(ids))
    await phase.run("patch", workload.patches(ids))
    patched = phase.figures[-1].measurement.ok
    await phase.run("list", workload.list_pages(patched))
    await measure_ceilings()
    open_loop = []
    if "open" in config.phases:
        open_loop = await _open_loop(
            config,
            closed_loop=[figures.measurement for figures in phase.figures],
            driver=driver,
            workload=workload,
            ids=ids,
            echo=echo,
            deadline=deadline,
            progress=progress,
        )
    await phase.run("delete", workload.deletes(ids))
    return open_loop


def _stored_stretch(phases: frozenset[str]) -> str:
    """The watched stretch's name for the phases on a bulk-loaded store."""
    chosen = [name for name in ("scale", "lists") if name in phases]
    return f"loading, {' and '.join(chosen)}"


def _peer_topics(peer_settings: Settings) -> list[str]:
    """The plain peer's topics: create and retrieve requests and replies, notifications."""
    operations = (Operation.CREATE, Operation.RETRIEVE)
    return [
        *(peer_settings.request_topic(operation) for operation in operations),
        *(peer_settings.reply_topic(operation) for operation in operations),
        peer_settings.notification_topic,
    ]


@contextlib.asynccontextmanager
async def _plain_peer_running(
    config: BenchConfig, peer_settings: Settings, log: Path, deadline: float
) -> AsyncIterator[Contender]:
    """The plain peer child, answering (warmed up), for as long as the context lasts."""
    arguments = [
        f"--bootstrap-servers={config.kafka_bootstrap_servers}",
        f"--mongodb-uri={config.mongodb_uri}",
        f"--database={peer_settings.mongodb_database}",
        f"--topic-prefix={peer_settings.topic_prefix}",
        f"--group-id={config.prefix}-peer",
    ]
    workload = CustomerWorkload(peer_settings)
    async with _child_answering(
        config,
        "benchmarks.plain_peer",
        arguments,
        log=log,
        reply_topics=[peer_settings.reply_topic(o) for o in (Operation.CREATE, Operation.RETRIEVE)],
        warm_up=workload.creates(1)[0],
        what=f"the {PEER}",
        deadline=deadline,
    ) as (child, driver):
        yield Contender(PEER, driver, workload, child.pid)


async def _open_loop(
    config: BenchConfig,
    *,
    closed_loop: Sequence[Measurement],
    driver: Driver,
    workload: CustomerWorkload,
    ids: Sequence[str],
    echo: _Echo,
    deadline: float,
    progress: Progress,
) -> list[OpenLoopReport]:
    """Retrieve and create at fixed offered loads, each step beside the echo at the same rate."""
    if not ids:
        return []
    maxima = {m.name: m.rate for m in closed_loop}

    def retrieves(count: int) -> list[Call]:
        return workload.retrieves([ids[i % len(ids)] for i in range(count)])

    def echoes(count: int) -> list[Call]:
        return echo_calls(echo.request_topic, count)

    found = []
    for operation, calls in (("retrieve", retrieves), ("create", workload.creates)):
        found.append(
            await measure_open_loop(
                operation,
                maxima.get(operation, 0.0),
                config.load,
                service=(driver, calls),
                echo=(echo.driver, echoes),
                deadline=deadline,
                progress=progress,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class _PhaseFigures:
    measurement: Measurement
    store_commands: CommandsPerRequest | None
    cpu_ms_per_request: float | None


class _ServicePhases:
    """Runs the service's closed-loop phases in turn, counting store commands and CPU."""

    def __init__(
        self,
        driver: Driver,
        *,
        counter: StoreCommandCounter,
        service_pid: int,
        deadline: float,
        progress: Progress,
        splits: CpuSplits,
    ) -> None:
        self._splits = splits
        self._driver = driver
        self._counter = counter
        self._service_pid = service_pid
        self._deadline = deadline
        self._progress = progress
        self.figures: list[_PhaseFigures] = []

    def reports(self, ceilings: Ceilings) -> list[OperationReport]:
        """Each phase's figures as ratios to `ceilings`."""
        return [
            operation_report(
                f.measurement,
                ceilings,
                store_commands=f.store_commands,
                cpu_ms_per_request=f.cpu_ms_per_request,
            )
            for f in self.figures
        ]

    async def run(self, name: str, calls: Sequence[Call]) -> list[Answer | NoAnswer | Unsent]:
        """Measure one operation; its answers in call order."""
        self._progress.note(f"service: {len(calls)} {name} requests")
        # Totals at rest before and after: the service writes its ledger after replying.
        before = await self._counter.settled()
        cpu_before = cpu_seconds(self._service_pid)
        with (
            self._progress.bar(f"service {name}", len(calls)) as done,
            self._splits.phase(name, len(calls)),
        ):
            measurement, answers = await run_phase(name, calls, self._driver, self._deadline, done)
        after = await self._counter.settled()
        cpu_after = cpu_seconds(self._service_pid)
        cpu_ms = None
        if cpu_before is not None and cpu_after is not None and calls:
            cpu_ms = (cpu_after - cpu_before) * 1000 / len(calls)
        self.figures.append(
            _PhaseFigures(measurement, per_request(before, after, len(calls)), cpu_ms)
        )
        return answers


async def _warm_up(driver: Driver, call: Call, child: Child, what: str, deadline: float) -> None:
    """Wait for the child's first right answer (it serves), then send a few more."""
    limit = min(deadline, asyncio.get_running_loop().time() + _START_SECONDS)
    first = asyncio.create_task(run_phase("warm-up", [call], driver, limit))
    exited = asyncio.create_task(child.process.wait())
    await asyncio.wait({first, exited}, return_when=asyncio.FIRST_COMPLETED)
    if not first.done():
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        raise BenchmarkError(
            f"{what} exited with code {child.process.returncode} before answering:\n"
            f"{child.log_tail()}"
        )
    exited.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await exited
    measurement, _ = first.result()
    if not measurement.all_ok:
        raise BenchmarkError(
            f"{what} did not answer its first request right within {_START_SECONDS:g} s: "
            f"{'; '.join(measurement.problems)}\n{child.log_tail()}"
        )
    await run_phase("warm-up", [call] * _WARM_UP_CALLS, driver, limit)
