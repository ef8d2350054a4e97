"""The service against the plain peer: creates and retrieves, run for run, medians compared.

The plain peer (plain_peer.py) is what a team would write instead: no validation, no
deduplication, no outbox. Both are driven alike (the same driver code, `requests` per phase,
the driver's window in flight, every reply checked) in `PEER_RUNS` rounds; each round runs
creates then retrieves of what was created, on the service and on the peer, the first of the
two alternating from round to round so that neither always goes first on a warmer machine.
After each of its phases the service's outbox is waited for until published (its ledger says
so), outside the timed requests but inside the phase's CPU split: that work is its cost (CPU per
request), and must not slow the other side's next phase. The report gives each one's median
rate and latency, and the service's rate over the peer's.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from benchmarks.driver import Driver
from benchmarks.machine_cpu import CpuSplits
from benchmarks.phase import run_phase
from benchmarks.progress import Progress
from benchmarks.ratios import ratio
from benchmarks.stats import Measurement
from benchmarks.workload import CustomerWorkload, created_id

PEER_RUNS = 3
OPERATIONS = ("create", "retrieve")
SERVICE = "service"
PEER = "plain peer"


Settled = Callable[[], Awaitable[object]]
"""Waits until a contender's work after its replies is done (the service's outbox published)."""


async def _nothing_deferred() -> None:
    """The plain peer does nothing after it replies."""


@dataclass(frozen=True, slots=True)
class Contender:
    """One side of the comparison: what drives it, what it is asked, and its process."""

    name: str
    driver: Driver
    workload: CustomerWorkload
    pid: int
    settled: Settled = _nothing_deferred


@dataclass(frozen=True, slots=True)
class PeerComparison:
    """One operation on both sides: every run, and the medians."""

    operation: str
    service_runs: list[Measurement]
    peer_runs: list[Measurement]
    service_rate: float
    peer_rate: float
    rate_vs_peer: float
    service_p50_ms: float
    peer_p50_ms: float
    service_p99_ms: float
    peer_p99_ms: float

    @property
    def all_ok(self) -> bool:
        """Every request of every run, on both sides, got the right answer."""
        return all(m.all_ok for m in (*self.service_runs, *self.peer_runs))


@dataclass(frozen=True, slots=True)
class PeerReport:
    """Create and retrieve, service against plain peer."""

    runs: int
    requests: int
    comparisons: list[PeerComparison]

    def comparison(self, operation: str) -> PeerComparison | None:
        """The comparison of `operation`, if it was run."""
        return next((c for c in self.comparisons if c.operation == operation), None)

    def service_measurements(self) -> list[Measurement]:
        """The service's runs."""
        return [m for c in self.comparisons for m in c.service_runs]

    def peer_measurements(self) -> list[Measurement]:
        """The peer's runs."""
        return [m for c in self.comparisons for m in c.peer_runs]


def cpu_phase(operation: str, contender: str) -> str:
    """The CPU split's name for one side's runs of `operation`."""
    return f"{operation}, {contender}"


async def compare_with_peer(
    service: Contender,
    peer: Contender,
    *,
    requests: int,
    deadline: float,
    progress: Progress,
    splits: CpuSplits,
    runs: int = PEER_RUNS,
) -> PeerReport:
    """`runs` rounds of creates and retrieves on both sides; medians compared."""
    found: dict[tuple[str, str], list[Measurement]] = {}
    serving = splits.service_pid
    await service.settled()  # what earlier phases left to settle does not land in a round
    try:
        for run in range(runs):
            order = (service, peer) if run % 2 == 0 else (peer, service)
            for contender in order:
                splits.service_pid = contender.pid  # the serving process's CPU, either side
                for operation, measurement in (
                    await _round(
                        contender,
                        run,
                        requests=requests,
                        deadline=deadline,
                        progress=progress,
                        splits=splits,
                    )
                ).items():
                    found.setdefault((contender.name, operation), []).append(measurement)
    finally:
        splits.service_pid = serving
    return PeerReport(
        runs=runs,
        requests=requests,
        comparisons=[
            _compare(operation, found[(SERVICE, operation)], found[(PEER, operation)])
            for operation in OPERATIONS
        ],
    )


async def _round(
    contender: Contender,
    run: int,
    *,
    requests: int,
    deadline: float,
    progress: Progress,
    splits: CpuSplits,
) -> dict[str, Measurement]:
    """Creates, then retrieves of the customers created, on one side."""
    measured = {}
    created: list[str] = []
    for operation in OPERATIONS:
        calls = (
            contender.workload.creates(requests)
            if operation == "create"
            else contender.workload.retrieves(created)
        )
        name = f"{operation} ({contender.name}, run {run + 1})"
        progress.note(f"peer comparison: {len(calls)} {operation} requests, {contender.name}")
        with (
            progress.bar(name, len(calls)) as done,
            splits.phase(cpu_phase(operation, contender.name), len(calls), add_up=True),
        ):
            measured[operation], answers = await run_phase(
                name, calls, contender.driver, deadline, done
            )
            await contender.settled()  # its deferred work is its cost, not the next round's
        if operation == "create":
            created = [i for i in map(created_id, answers) if i is not None]
    return measured


def _compare(
    operation: str, service_runs: list[Measurement], peer_runs: list[Measurement]
) -> PeerComparison:
    def median(runs: list[Measurement], figure: str) -> float:
        return float(statistics.median(float(getattr(m, figure)) for m in runs))

    service_rate = median(service_runs, "rate")
    peer_rate = median(peer_runs, "rate")
    return PeerComparison(
        operation=operation,
        service_runs=service_runs,
        peer_runs=peer_runs,
        service_rate=service_rate,
        peer_rate=peer_rate,
        rate_vs_peer=ratio(service_rate, peer_rate),
        service_p50_ms=median(service_runs, "p50_ms"),
        peer_p50_ms=median(peer_runs, "p50_ms"),
        service_p99_ms=median(service_runs, "p99_ms"),
        peer_p99_ms=median(peer_runs, "p99_ms"),
    )
