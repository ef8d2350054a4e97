"""One benchmark run: the ceilings, then the service, each phase bounded by one deadline.

Order: the topics are created; the idle-client memory baseline; the store ceiling; the Kafka
echo ceiling (a child process driven by `Driver`); the service (`python -m customer_async
serve` as a child) driven through create, retrieve, patch, list and delete. Everything the run
created is removed at the end. All traffic goes to the loopback servers named in the config.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory

from benchmarks.children import Child, start_child
from benchmarks.cleanup import remove_run_data
from benchmarks.cpu import cpu_seconds
from benchmarks.driver import Answer, Driver, NoAnswer
from benchmarks.loopback import require_loopback
from benchmarks.memory import CURRENT, PEAK, idle_clients_peak_kib, resident_kib
from benchmarks.phase import Call, run_phase
from benchmarks.report import (
    BenchReport,
    Ceilings,
    MemoryReport,
    OperationReport,
    RunParameters,
    operation_report,
    ratio,
)
from benchmarks.stats import Measurement
from benchmarks.store_ceiling import measure_store
from benchmarks.store_counters import StoreCommandCounter
from benchmarks.topics import create_topics
from benchmarks.workload import CustomerWorkload, created_id, echo_calls, echo_topics
from customer_async.settings import Settings

Progress = Callable[[str], None]
"""Told what the run is doing, one line at a time."""

_START_SECONDS = 60.0
"""How long a child may take to answer its first request (start-up and group join)."""
_BACKSTOP_SECONDS = 60.0
"""Beyond the run's timeout, how long start-up and shutdown may take before the run is cut."""
_WARM_UP_CALLS = 16
_COUNTER_SETTLE_SECONDS = 0.25


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
    timeout_seconds: float = 300.0
    partitions: int = 3
    prefix: str = field(default_factory=fresh_prefix)


class BenchmarkError(RuntimeError):
    """The run could not measure: a server or a child process did not answer."""


def _quiet(line: str) -> None:
    del line


async def run_benchmark(config: BenchConfig, progress: Progress = _quiet) -> BenchReport:
    """Measure the ceilings and the service in one run and report them as ratios.

    Raises `NotLoopback` for a server off this machine and `BenchmarkError` when something
    needed for measuring does not start; wrong or missing replies are in the report instead.
    """
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
    )
    workload = CustomerWorkload(settings)
    echo_request, echo_reply = echo_topics(config.prefix)
    topics = [*workload.topics, echo_request, echo_reply]
    store_database = f"{config.prefix}_store"
    with TemporaryDirectory(prefix="customer-async-bench-") as scratch:
        logs = Path(scratch)
        try:
            async with asyncio.timeout_at(deadline + _BACKSTOP_SECONDS):
                await create_topics(config.kafka_bootstrap_servers, topics, config.partitions)
                progress("memory baseline: an idle process with aiokafka and pymongo clients")
                baseline_kib = await idle_clients_peak_kib(
                    config.kafka_bootstrap_servers,
                    config.mongodb_uri,
                    echo_request,
                    f"{config.prefix}-idle",
                    logs / "idle_clients.log",
                )
                progress(f"store ceiling: {config.requests} insert_one, then find_one by _id")
                insert, find = await measure_store(
                    config.mongodb_uri, store_database, config.requests, config.window, deadline
                )
                progress(f"Kafka echo ceiling: {config.requests} round trips")
                echo, echo_unmatched = await _measure_echo(
                    config, echo_request, echo_reply, logs / "echo.log", deadline
                )
                ceilings = Ceilings(echo, insert, find, baseline_kib)
                service = await _measure_service(
                    config,
                    settings=settings,
                    workload=workload,
                    ceilings=ceilings,
                    log=logs / "service.log",
                    deadline=deadline,
                    progress=progress,
                )
        except TimeoutError as exc:
            raise BenchmarkError(
                f"the run did not finish within {config.timeout_seconds:g} s "
                f"(+{_BACKSTOP_SECONDS:g} s for start-up and shutdown)"
            ) from exc
        finally:
            progress("removing the run's topics and databases")
            await remove_run_data(
                config.kafka_bootstrap_servers,
                topics,
                config.mongodb_uri,
                [settings.mongodb_database, store_database],
            )
    operations, memory, unmatched = service
    return BenchReport(
        parameters=RunParameters(
            requests=config.requests,
            window=config.window,
            timeout_seconds=config.timeout_seconds,
            cpus=os.cpu_count() or 1,
            kafka_bootstrap_servers=config.kafka_bootstrap_servers,
            mongodb_uri=config.mongodb_uri,
            prefix=config.prefix,
        ),
        ceilings=ceilings,
        operations=operations,
        memory=memory,
        wall_seconds=time.perf_counter() - started,
        unmatched_replies=echo_unmatched + unmatched,
    )


async def _measure_echo(
    config: BenchConfig, request_topic: str, reply_topic: str, log: Path, deadline: float
) -> tuple[Measurement, int]:
    """The echo ceiling: `config.requests` round trips through the echo child."""
    child = await start_child(
        "benchmarks.echo",
        [
            f"--bootstrap-servers={config.kafka_bootstrap_servers}",
            f"--request-topic={request_topic}",
            f"--reply-topic={reply_topic}",
            f"--group-id={config.prefix}-echo",
            f"--max-seconds={config.timeout_seconds + _BACKSTOP_SECONDS:g}",
        ],
        log,
    )
    try:
        driver = Driver(
            config.kafka_bootstrap_servers,
            [reply_topic],
            partitions=config.partitions,
            window=config.window,
        )
        await driver.start()
        try:
            await _warm_up(driver, echo_calls(request_topic, 1)[0], child, "the echo", deadline)
            calls = echo_calls(request_topic, config.requests)
            echo, _ = await run_phase("Kafka echo", calls, driver, deadline)
            return echo, driver.unmatched
        finally:
            await driver.stop()
    finally:
        await child.stop()


async def _measure_service(
    config: BenchConfig,
    *,
    settings: Settings,
    workload: CustomerWorkload,
    ceilings: Ceilings,
    log: Path,
    deadline: float,
    progress: Progress,
) -> tuple[list[OperationReport], MemoryReport, int]:
    """The service as a child process, through its five operations in turn."""
    progress("service: starting `python -m customer_async serve`")
    child = await start_child("customer_async", ["serve"], log, env=_service_environment(settings))
    counter = StoreCommandCounter(config.mongodb_uri)
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
                ceilings=ceilings,
                deadline=deadline,
                progress=progress,
            )
            creates = await phase.run("create", workload.creates(config.requests), reads=False)
            ids = [i for i in map(created_id, creates) if i is not None]
            await phase.run("retrieve", workload.retrieves(ids), reads=True)
            await phase.run("patch", workload.patches(ids), reads=False)
            patched = phase.reports[-1].measurement.ok
            await phase.run("list", workload.list_pages(patched), reads=True)
            await phase.run("delete", workload.deletes(ids), reads=False)
            peak_kib = resident_kib(child.pid, PEAK)
        finally:
            await driver.stop()
    finally:
        await counter.close()
        await child.stop()
    memory = MemoryReport(
        baseline_peak_kib=ceilings.memory_baseline_kib,
        service_started_kib=started_kib,
        service_peak_kib=peak_kib,
        peak_vs_baseline=ratio(peak_kib, ceilings.memory_baseline_kib),
    )
    return phase.reports, memory, driver.unmatched


class _ServicePhases:
    """Runs the service's phases in turn, counting store commands and service CPU around each."""

    def __init__(
        self,
        driver: Driver,
        *,
        counter: StoreCommandCounter,
        service_pid: int,
        ceilings: Ceilings,
        deadline: float,
        progress: Progress,
    ) -> None:
        self._driver = driver
        self._counter = counter
        self._service_pid = service_pid
        self._ceilings = ceilings
        self._deadline = deadline
        self._progress = progress
        self.reports: list[OperationReport] = []

    async def run(
        self, name: str, calls: Sequence[Call], *, reads: bool
    ) -> list[Answer | NoAnswer]:
        """Measure one operation; its answers in call order."""
        self._progress(f"service: {len(calls)} {name} requests")
        commands_before = await self._counter.total()
        cpu_before = cpu_seconds(self._service_pid)
        measurement, answers = await run_phase(name, calls, self._driver, self._deadline)
        # The last requests' bookkeeping writes may follow their replies by a moment.
        await asyncio.sleep(_COUNTER_SETTLE_SECONDS)
        commands_after = await self._counter.total()
        cpu_after = cpu_seconds(self._service_pid)
        self.reports.append(
            operation_report(
                measurement,
                self._ceilings,
                reads=reads,
                store_commands_per_request=_per_request(commands_before, commands_after, calls),
                cpu_ms_per_request=_per_request(
                    None if cpu_before is None else cpu_before * 1000,
                    None if cpu_after is None else cpu_after * 1000,
                    calls,
                ),
            )
        )
        return answers


def _per_request(before: float | None, after: float | None, calls: Sequence[Call]) -> float | None:
    """How much a counter grew during a phase, per request (None when it cannot tell)."""
    if before is None or after is None or not calls:
        return None
    return (after - before) / len(calls)


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


def _service_environment(settings: Settings) -> dict[str, str]:
    """This process's environment with `CUSTOMER_ASYNC_*` set to reproduce `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_ASYNC_")}
    for name, value in settings.model_dump().items():
        env[f"CUSTOMER_ASYNC_{name.upper()}"] = str(value)
    return env
