"""The report: each operation's rate and latency as ratios to the ceilings of the same run.

How to read it: `rate ÷ echo` is the share of the Kafka echo's throughput the operation reached
(1.0 would be as fast as any Kafka request/reply service can be here); `p50 x echo` and
`p99 x echo` say how many times the echo's latency a reply took; `rate ÷ store` is the
operation's rate over the store's single-document rate (find_one for reads, insert_one for
writes); `peak x baseline` is the service's peak RSS over that of an idle process holding the
same clients. Ratios, not absolute numbers, are what compares across machines and runs.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

from benchmarks.stats import Measurement

_KIB_PER_MIB = 1024


def ratio(numerator: float, denominator: float) -> float:
    """`numerator / denominator`, NaN when that is not a finite number."""
    if denominator == 0 or not math.isfinite(numerator) or not math.isfinite(denominator):
        return math.nan
    return numerator / denominator


@dataclass(frozen=True, slots=True)
class RunParameters:
    """What was run, and where."""

    requests: int
    window: int
    timeout_seconds: float
    cpus: int
    kafka_bootstrap_servers: str
    mongodb_uri: str
    prefix: str


@dataclass(frozen=True, slots=True)
class Ceilings:
    """The best this machine allows, measured in the same run."""

    echo: Measurement
    store_insert: Measurement
    store_find: Measurement
    memory_baseline_kib: int


@dataclass(frozen=True, slots=True)
class OperationReport:
    """One service operation measured, and its ratios to the ceilings."""

    measurement: Measurement
    rate_vs_echo: float
    p50_vs_echo: float
    p99_vs_echo: float
    rate_vs_store: float
    store_commands_per_request: float | None
    """Server-wide store commands during the phase per request: an estimate (store_counters)."""
    cpu_ms_per_request: float | None
    """CPU milliseconds the service process used during the phase, per request."""


@dataclass(frozen=True, slots=True)
class MemoryReport:
    """The service's resident memory, and its peak over the idle-client baseline."""

    baseline_peak_kib: int
    service_started_kib: int
    service_peak_kib: int
    peak_vs_baseline: float


@dataclass(frozen=True, slots=True)
class BenchReport:
    """Everything one run found."""

    parameters: RunParameters
    ceilings: Ceilings
    operations: list[OperationReport]
    memory: MemoryReport
    wall_seconds: float
    unmatched_replies: int

    def measurements(self) -> list[Measurement]:
        """Every measured phase: the ceilings' and the service's."""
        ceilings = self.ceilings
        phases = [ceilings.echo, ceilings.store_insert, ceilings.store_find]
        return phases + [operation.measurement for operation in self.operations]

    def ratios(self) -> dict[str, float]:
        """Every ratio the report states, by name."""
        found = {}
        for operation in self.operations:
            name = operation.measurement.name
            found[f"{name} rate ÷ echo"] = operation.rate_vs_echo
            found[f"{name} p50 x echo"] = operation.p50_vs_echo
            found[f"{name} p99 x echo"] = operation.p99_vs_echo
            found[f"{name} rate ÷ store"] = operation.rate_vs_store
        found["service peak RSS x baseline"] = self.memory.peak_vs_baseline
        return found

    @property
    def problems(self) -> list[str]:
        """What went wrong: wrong or missing replies, failed store operations."""
        found = [problem for m in self.measurements() for problem in m.problems]
        return found + [
            f"{m.name}: {m.requests - m.ok} of {m.requests} not right"
            for m in self.measurements()
            if m.ok != m.requests and not m.problems
        ]

    @property
    def all_ok(self) -> bool:
        """Every request of every phase got the right answer."""
        return all(m.all_ok for m in self.measurements())

    def to_json(self) -> str:
        """The report as JSON (NaN written as null), with `all_ok`, `problems` and `ratios`."""
        document = dataclasses.asdict(self)
        document.update(all_ok=self.all_ok, problems=self.problems, ratios=self.ratios())
        return json.dumps(_finite(document), indent=2, ensure_ascii=False)


def operation_report(
    measurement: Measurement,
    ceilings: Ceilings,
    *,
    reads: bool,
    store_commands_per_request: float | None,
    cpu_ms_per_request: float | None,
) -> OperationReport:
    """The ratios of one operation to the echo and to the store (find_one or insert_one)."""
    echo = ceilings.echo
    store = ceilings.store_find if reads else ceilings.store_insert
    return OperationReport(
        measurement=measurement,
        rate_vs_echo=ratio(measurement.rate, echo.rate),
        p50_vs_echo=ratio(measurement.p50_ms, echo.p50_ms),
        p99_vs_echo=ratio(measurement.p99_ms, echo.p99_ms),
        rate_vs_store=ratio(measurement.rate, store.rate),
        store_commands_per_request=store_commands_per_request,
        cpu_ms_per_request=cpu_ms_per_request,
    )


def render(report: BenchReport) -> str:
    """The report as an aligned plain-text table."""
    p = report.parameters
    c = report.ceilings
    lines = [
        f"customer-async benchmark: {p.requests} requests per operation, window {p.window}, "
        f"timeout {p.timeout_seconds:g} s, {p.cpus} CPUs",
        f"Kafka {p.kafka_bootstrap_servers}, store {p.mongodb_uri}, prefix {p.prefix}",
        "",
        f"{'Ceilings (same run)':<22}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  right",
    ]
    for name, m in (
        ("Kafka echo", c.echo),
        ("store insert_one", c.store_insert),
        ("store find_one", c.store_find),
    ):
        lines.append(
            f"  {name:<20}{m.rate:>9.1f}{m.p50_ms:>9.2f}{m.p95_ms:>9.2f}{m.p99_ms:>9.2f}"
            f"  {m.ok}/{m.requests}"
        )
    lines += [
        f"  {'idle clients RSS':<20}{_mib(c.memory_baseline_kib):>9.1f} MiB peak "
        "(aiokafka producer + consumer, pymongo client)",
        "",
        f"{'Service':<12}{'req/s':>8}{'÷ echo':>8}{'÷ store':>8}{'p50 ms':>9}{'x echo':>8}"
        f"{'p95 ms':>9}{'p99 ms':>9}{'x echo':>8}{'≈ store/req':>12}{'cpu ms/req':>11}"
        "  replies",
    ]
    for o in report.operations:
        m = o.measurement
        per_request = _optional(o.store_commands_per_request)
        cpu = _optional(o.cpu_ms_per_request)
        statuses = " ".join(f"{status}={count}" for status, count in m.statuses.items())
        lines.append(
            f"  {m.name:<10}{m.rate:>8.1f}{o.rate_vs_echo:>8.3f}{o.rate_vs_store:>8.3f}"
            f"{m.p50_ms:>9.1f}{o.p50_vs_echo:>8.1f}{m.p95_ms:>9.1f}{m.p99_ms:>9.1f}"
            f"{o.p99_vs_echo:>8.1f}{per_request:>12}{cpu:>11}  {statuses}"
        )
    mem = report.memory
    lines += [
        "",
        f"Service memory: peak RSS {_mib(mem.service_peak_kib):.1f} MiB = "
        f"{mem.peak_vs_baseline:.2f} x the idle-client baseline "
        f"(after start-up {_mib(mem.service_started_kib):.1f} MiB)",
        "",
    ]
    replies = sum(m.requests for m in report.measurements())
    if report.all_ok:
        lines.append(f"Correctness: all {replies} requests got the right answer.")
    else:
        lines.append("PROBLEMS (the run is not a result):")
        lines += [f"  {problem}" for problem in report.problems]
    if report.unmatched_replies:
        lines.append(
            f"Replies no request waited for (late or duplicate): {report.unmatched_replies}"
        )
    lines.append(f"Wall time: {report.wall_seconds:.1f} s")
    return "\n".join(lines)


def _optional(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _mib(kib: int) -> float:
    return kib / _KIB_PER_MIB


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
