"""The report: every figure of one run, as ratios to the ceilings of that same run.

How to read it: `rate ÷ echo` is the share of the Kafka echo's throughput an operation reached
(1.0 would be as fast as any Kafka request/reply service can be here); `p50 x echo` and
`p99 x echo` say how many times the echo's latency a reply took; `rate ÷ store` is the
operation's rate over the raw store's single-document rate for the same kind of work (insert_one
for create, find_one for retrieve and list, update_one for patch and delete); `store/req` is the
store commands a request cost, by command name below the table; the open-loop table gives
latency at fixed offered loads beside the echo's at the same load; the scale table gives latency
with many customers stored over latency with few; `peak x baseline` is the service's peak RSS
over that of an idle process holding the same clients. The targets table checks the
targets against these ratios. Ratios, not absolute numbers, compare across machines and runs.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from benchmarks.list_kinds import KINDS as LIST_KINDS
from benchmarks.list_kinds import SORT_OFFSET, UNAVAILABLE, ListReport
from benchmarks.open_loop import OpenLoopReport
from benchmarks.peer_comparison import PEER, SERVICE, PeerReport, cpu_phase
from benchmarks.phases import PHASES
from benchmarks.ratios import ratio
from benchmarks.scale import OPERATIONS as SCALE_OPERATIONS
from benchmarks.scale import STORE_FIND, ScaleReport
from benchmarks.stats import Measurement
from benchmarks.store_counters import CommandsPerRequest
from benchmarks.sustained import SustainedReport
from benchmarks.watch import SAMPLE_SECONDS, WatchedStretch
from harness.operations_port import UNPUBLISHED_GAUGE

__all__ = [
    "BenchReport",
    "Ceilings",
    "MemoryReport",
    "OperationReport",
    "RunParameters",
    "Target",
    "operation_report",
    "ratio",
    "render",
]

_KIB_PER_MIB = 1024

STORE_CEILING_OF = {
    "create": "store insert_one",
    "retrieve": "store find_one",
    "patch": "store update_one",
    "list": "store find_one",
    "delete": "store update_one",
}
"""Which raw store operation bounds each service operation (a delete tombstones by update)."""


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
    store_server: str
    quick: bool
    load_fractions: list[float]
    step_seconds: float
    scale_sizes: list[int]
    phases: list[str] = field(default_factory=list)
    """The phases run (`--phases`); empty in reports of runs before there was a choice."""
    sustained_creates: int = 0
    sustained_rate: float | None = None
    list_requests: int = 0


@dataclass(frozen=True, slots=True)
class Ceilings:
    """The best this machine allows, measured in the same run."""

    echo: Measurement
    store_insert: Measurement
    store_find: Measurement
    store_update: Measurement
    memory_baseline_kib: int

    def best(self, other: Ceilings) -> Ceilings:
        """Each ceiling from the better of two runs: the higher rate among right runs."""

        def better(mine: Measurement, theirs: Measurement) -> Measurement:
            return max(mine, theirs, key=lambda m: (m.all_ok, m.rate))

        return Ceilings(
            better(self.echo, other.echo),
            better(self.store_insert, other.store_insert),
            better(self.store_find, other.store_find),
            better(self.store_update, other.store_update),
            self.memory_baseline_kib,
        )

    def measured(self) -> list[Measurement]:
        """The measured ceilings (memory aside)."""
        return [self.echo, self.store_insert, self.store_find, self.store_update]

    def store(self, name: str) -> Measurement:
        """The store ceiling called `name` (`store insert_one`, `store find_one` …)."""
        found = {m.name: m for m in (self.store_insert, self.store_find, self.store_update)}
        return found[name]


@dataclass(frozen=True, slots=True)
class OperationReport:
    """One service operation measured in closed loop, and its ratios to the ceilings."""

    measurement: Measurement
    store_ceiling: str
    rate_vs_echo: float
    p50_vs_echo: float
    p99_vs_echo: float
    rate_vs_store: float
    store_commands: CommandsPerRequest | None
    """Store commands per request during the phase, in sum and by name (store_counters.py)."""
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
class Target:
    """One of the targets and what this run measured for it."""

    name: str
    measured: float | None
    """None when the run could not measure it (a phase missing, or not every reply right)."""
    limit: float
    at_most: bool
    """True: the measured value must be ≤ `limit`; False: ≥ `limit`."""
    passed: bool | None
    note: str = ""
    group: str = "throughput, latency, memory"
    """Which table the target is checked in."""


@dataclass(frozen=True, slots=True)
class BenchReport:
    """Everything one run found."""

    parameters: RunParameters
    ceilings: Ceilings
    operations: list[OperationReport]
    open_loop: list[OpenLoopReport]
    scale: ScaleReport | None
    memory: MemoryReport
    wall_seconds: float
    unmatched_replies: int
    ceiling_runs: list[Ceilings] = field(default_factory=list)
    """Every run of the ceilings, in order; `ceilings` holds the best of each."""
    targets: list[Target] = field(default_factory=list)
    plot: str | None = None
    """Where the PNG of latency against offered load was written."""
    cpu_split: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per phase (ceilings' last run, service closed loop, peer comparison, sustained creates):
    CPU ms per request by process group (machine_cpu.py)."""
    peer: PeerReport | None = None
    lists: ListReport | None = None
    sustained: SustainedReport | None = None
    watched: list[WatchedStretch] = field(default_factory=list)
    """Peak memory and logged store trouble of the sustained creates and of the scale and list
    phases after them (watch.py)."""

    def operation(self, name: str) -> OperationReport | None:
        """The closed-loop report of the operation called `name`."""
        return next((o for o in self.operations if o.measurement.name == name), None)

    def service_measurements(self) -> list[Measurement]:
        """Every phase the service answered: closed loop, open loop and scale."""
        found = [operation.measurement for operation in self.operations]
        found += [step.service for report in self.open_loop for step in report.steps]
        if self.scale is not None:
            found += [m for point in self.scale.points for m in point.measurements.values()]
        if self.peer is not None:
            found += self.peer.service_measurements()
        if self.sustained is not None:
            found.append(self.sustained.measurement)
        if self.lists is not None:
            found += [m for point in self.lists.points for m in point.measurements.values()]
        return found

    def measurements(self) -> list[Measurement]:
        """Every measured phase: the ceilings', the echo's open loop, the plain peer's and the
        service's."""
        runs = self.ceiling_runs or [self.ceilings]
        echo_steps = [step.echo for report in self.open_loop for step in report.steps]
        peer = [] if self.peer is None else self.peer.peer_measurements()
        return [
            *(m for run in runs for m in run.measured()),
            *echo_steps,
            *peer,
            *self.service_measurements(),
        ]

    def server_errors(self) -> int:
        """Replies of the service with a 5xx status, over every phase."""
        return sum(
            count
            for m in self.service_measurements()
            for status, count in m.statuses.items()
            if status.isdigit() and 500 <= int(status) < 600
        )

    def ratios(self) -> dict[str, float]:
        """Every ratio the report states, by name."""
        found = {}
        for operation in self.operations:
            name = operation.measurement.name
            found[f"{name} rate ÷ echo"] = operation.rate_vs_echo
            found[f"{name} p50 x echo"] = operation.p50_vs_echo
            found[f"{name} p99 x echo"] = operation.p99_vs_echo
            found[f"{name} rate ÷ {operation.store_ceiling}"] = operation.rate_vs_store
        for report in self.open_loop:
            for step in report.steps:
                found[f"{report.operation} open loop {step.fraction:.0%} p99 x echo"] = (
                    step.p99_vs_echo
                )
        if self.scale is not None:
            found.update(self.scale.ratios())
        if self.peer is not None:
            for comparison in self.peer.comparisons:
                found[f"{comparison.operation} rate ÷ plain peer"] = comparison.rate_vs_peer
        if self.lists is not None:
            found.update(self.lists.ratios())
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
        document.update(
            all_ok=self.all_ok,
            problems=self.problems,
            server_errors=self.server_errors(),
            ratios=self.ratios(),
        )
        return json.dumps(_finite(document), indent=2, ensure_ascii=False)


def operation_report(
    measurement: Measurement,
    ceilings: Ceilings,
    *,
    store_commands: CommandsPerRequest | None,
    cpu_ms_per_request: float | None,
) -> OperationReport:
    """The ratios of one operation to the echo and to its store ceiling."""
    echo = ceilings.echo
    store_ceiling = STORE_CEILING_OF[measurement.name]
    return OperationReport(
        measurement=measurement,
        store_ceiling=store_ceiling,
        rate_vs_echo=ratio(measurement.rate, echo.rate),
        p50_vs_echo=ratio(measurement.p50_ms, echo.p50_ms),
        p99_vs_echo=ratio(measurement.p99_ms, echo.p99_ms),
        rate_vs_store=ratio(measurement.rate, ceilings.store(store_ceiling).rate),
        store_commands=store_commands,
        cpu_ms_per_request=cpu_ms_per_request,
    )


def render(report: BenchReport) -> str:
    """The report as aligned plain-text tables."""
    lines = [
        *_header(report),
        *_ceilings(report.ceilings, report.ceiling_runs),
        *_closed_loop(report),
        *_cpu_split(report),
        *_open_loop(report),
        *_peer(report.peer),
        *_sustained(report),
        *_scale(report),
        *_lists(report.lists),
        *_memory(report.memory),
        *_targets(report),
        *_verdict(report),
    ]
    return "\n".join(lines)


def _header(report: BenchReport) -> list[str]:
    p = report.parameters
    mode = "quick run" if p.quick else "full run"
    chosen = "" if set(PHASES) <= set(p.phases) else f", phases {','.join(p.phases)}"
    return [
        f"customer-async benchmark ({mode}{chosen}): {p.requests} requests per operation, "
        f"window {p.window}, timeout {p.timeout_seconds:g} s, {p.cpus} CPUs",
        f"Kafka {p.kafka_bootstrap_servers}, store {p.mongodb_uri} ({p.store_server}), "
        f"prefix {p.prefix}",
        "",
    ]


def _ceilings(c: Ceilings, runs: list[Ceilings]) -> list[str]:
    heading = "Ceilings (same run)" if len(runs) < 2 else f"Ceilings (best of {len(runs)})"
    lines = [f"{heading:<22}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  right"]
    for m in c.measured():
        lines.append(
            f"  {m.name:<20}{m.rate:>9.1f}{m.p50_ms:>9.2f}{m.p95_ms:>9.2f}{m.p99_ms:>9.2f}"
            f"  {m.ok}/{m.requests}"
        )
    lines.append(
        f"  {'idle clients RSS':<20}{_mib(c.memory_baseline_kib):>9.1f} MiB peak "
        "(aiokafka producer + consumer, pymongo client)"
    )
    if len(runs) > 1:
        per_run = "; ".join(
            f"{m.name} " + " / ".join(f"{run.measured()[i].rate:.0f}" for run in runs)
            for i, m in enumerate(c.measured())
        )
        lines.append(f"  req/s of each run (before / after the closed loop): {per_run}")
    return [*lines, ""]


def _closed_loop(report: BenchReport) -> list[str]:
    if not report.operations:
        return []
    lines = [
        f"{'Service, closed loop':<22}{'req/s':>8}{'÷ echo':>8}{'÷ store':>8}{'p50 ms':>9}"
        f"{'x echo':>8}{'p95 ms':>9}{'p99 ms':>9}{'x echo':>8}{'store/req':>10}{'cpu ms/req':>11}"
        "  replies"
    ]
    commands = []
    for o in report.operations:
        m = o.measurement
        statuses = " ".join(f"{status}={count}" for status, count in m.statuses.items())
        per_request = None if o.store_commands is None else o.store_commands.total
        lines.append(
            f"  {m.name:<20}{m.rate:>8.1f}{o.rate_vs_echo:>8.3f}{o.rate_vs_store:>8.3f}"
            f"{m.p50_ms:>9.1f}{o.p50_vs_echo:>8.1f}{m.p95_ms:>9.1f}{m.p99_ms:>9.1f}"
            f"{o.p99_vs_echo:>8.1f}{_optional(per_request):>10}{_optional(o.cpu_ms_per_request):>11}"
            f"  {statuses}"
        )
        if o.store_commands is not None:
            by_name = ", ".join(f"{n} {v:.2f}" for n, v in o.store_commands.by_name.items())
            busy = "" if o.store_commands.quiet else "  (store busy: an upper bound)"
            commands.append(f"  {m.name:<10}{by_name or 'none'}{busy}")
    lines.append(
        "  ÷ store: "
        + ", ".join(f"{o.measurement.name} ÷ {o.store_ceiling}" for o in report.operations)
    )
    if commands:
        lines += ["", "Store commands per request, by command (server counters):", *commands]
    return [*lines, ""]


def _cpu_split(report: BenchReport) -> list[str]:
    """Machine CPU per request by process: what bounds a ratio when the cores are shared."""
    if not report.cpu_split:
        return []
    groups = ("service", "broker", "store", "bench", "other", "machine")
    lines = [
        "CPU ms per request, by process (store = FerretDB + PostgreSQL; bench = this driver "
        "and the echo; machine = all cores busy)",
        f"  {'phase':<20}" + "".join(f"{g:>9}" for g in groups),
    ]
    for phase, split in report.cpu_split.items():
        lines.append(f"  {phase:<20}" + "".join(f"{split.get(g, 0.0):>9.2f}" for g in groups))
    cores = report.parameters.cpus
    if cpu_phase("create", PEER) in report.cpu_split:
        lines.append(
            f"  (in the '{PEER}' rows the service column is the plain peer's process; the "
            f"'{SERVICE}' rows and sustained create include writing the ledger after the replies)"
        )
    lines.append(
        f"  ({cores} cores: a phase whose machine ms/req is m can reach at most "
        f"{cores}000/m req/s with everything on this machine)"
    )
    return [*lines, ""]


def _open_loop(report: BenchReport) -> list[str]:
    if not report.open_loop:
        return []
    lines = [
        "Open loop: fixed offered load, the service and then the echo at the same rate "
        "(latency from the scheduled send)",
        f"  {'step':<16}{'offered/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'echo p50':>10}{'echo p99':>10}{'p99 x echo':>11}{'lag ms':>8}  right",
    ]
    for r in report.open_loop:
        for s in r.steps:
            m, e = s.service, s.echo
            lag = max(s.service_send_lag_ms, s.echo_send_lag_ms)
            lines.append(
                f"  {r.operation + f' {s.fraction:.0%}':<16}{s.offered_rate:>10.1f}"
                f"{m.p50_ms:>9.1f}{m.p95_ms:>9.1f}{m.p99_ms:>9.1f}{e.p50_ms:>10.1f}"
                f"{e.p99_ms:>10.1f}{s.p99_vs_echo:>11.2f}{lag:>8.1f}"
                f"  {m.ok}/{m.requests}, echo {e.ok}/{e.requests}"
            )
        lines.append(f"  (100 % = {r.operation}'s closed-loop rate, {r.max_rate:.1f}/s)")
    if report.plot:
        lines.append(f"  Plot: {report.plot}")
    return [*lines, ""]


def _scale(report: BenchReport) -> list[str]:
    scale = report.scale
    if scale is None or not scale.points:
        return []
    lines = [
        "Scale: customers bulk-loaded into the store, then each phase (list: one page at a time)",
        f"  {'stored':>9}  {'phase':<16}{'load s':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}  right",
    ]
    for point in scale.points:
        load = f"{point.load_seconds:>8.1f}"
        for operation in (STORE_FIND, *SCALE_OPERATIONS):
            m = point.measurements[operation]
            unsent = f" ({m.unsent} not sent: time up)" if m.unsent else ""
            lines.append(
                f"  {point.stored:>9}  {operation:<16}{load}{m.rate:>9.1f}{m.p50_ms:>9.1f}"
                f"{m.p95_ms:>9.1f}{m.p99_ms:>9.1f}  {m.ok}/{m.requests}{unsent}"
            )
            load = f"{'':>8}"
    if len(scale.points) > 1:
        span = f"{scale.points[-1].stored}/{scale.points[0].stored}"
        for operation in (*SCALE_OPERATIONS, STORE_FIND):
            lines.append(
                f"  latency {span} stored, {operation}: p50 {scale.latency_ratio(operation):.2f}, "
                f"p99 {scale.latency_ratio(operation, 'p99_ms'):.2f}"
            )
    return [*lines, ""]


def _peer(peer: PeerReport | None) -> list[str]:
    if peer is None:
        return []
    lines = [
        f"Service vs plain peer (benchmarks/plain_peer.py): {peer.runs} runs of {peer.requests}, "
        "medians",
        f"  {'operation':<12}{'service/s':>10}{'peer/s':>9}{'÷ peer':>8}{'p50 ms':>9}"
        f"{'peer p50':>9}{'p99 ms':>9}{'peer p99':>9}  right",
    ]
    for c in peer.comparisons:
        runs = [*c.service_runs, *c.peer_runs]
        right = f"{sum(m.ok for m in runs)}/{sum(m.requests for m in runs)}"
        lines.append(
            f"  {c.operation:<12}{c.service_rate:>10.1f}{c.peer_rate:>9.1f}{c.rate_vs_peer:>8.2f}"
            f"{c.service_p50_ms:>9.1f}{c.peer_p50_ms:>9.1f}{c.service_p99_ms:>9.1f}"
            f"{c.peer_p99_ms:>9.1f}  {right}"
        )
    per_run = "; ".join(
        f"{c.operation} "
        + ", ".join(
            f"{s.rate:.0f}/{p.rate:.0f}" for s, p in zip(c.service_runs, c.peer_runs, strict=True)
        )
        for c in peer.comparisons
    )
    lines.append(f"  req/s of each run ({SERVICE} / {PEER}): {per_run}")
    return [*lines, ""]


def _sustained(report: BenchReport) -> list[str]:
    sustained = report.sustained
    if sustained is None:
        return []
    m = sustained.measurement
    mode = (
        f"closed loop, {sustained.window} in flight"
        if sustained.window is not None
        else f"open loop at {sustained.offered_rate:g}/s (worst send lag "
        f"{sustained.send_lag_ms:.0f} ms)"
    )
    unsent = f", {m.unsent} not sent (time up)" if m.unsent else ""
    peak = "-" if sustained.peak_backlog is None else str(sustained.peak_backlog)
    if sustained.drain_seconds is not None:
        drain = f"drained {sustained.drain_seconds:.1f} s after the last reply"
    else:
        drain = (
            f"NOT drained {sustained.watched_seconds:.0f} s after the last reply "
            f"({sustained.backlog_left} left)"
        )
    lines = [
        f"Sustained creates: {m.requests} creates, {mode}",
        f"  {m.rate:.1f} creates/s, p50 {m.p50_ms:.1f} ms, p99 {m.p99_ms:.1f} ms, "
        f"right {m.ok}/{m.requests}{unsent}",
        f"  outbox backlog ({UNPUBLISHED_GAUGE}, {sustained.readings} readings): peak {peak}, "
        f"{drain}",
    ]
    if report.watched:
        store = "FerretDB"
        lines.append(
            f"  {'stretch':<28}{'seconds':>8}{'service MiB':>13}{store + ' MiB':>14}"
            f"{'sweep/ledger fail':>18}{'store timeouts':>16}"
        )
        for w in report.watched:
            lines.append(
                f"  {w.name:<28}{w.seconds:>8.0f}{_optional_mib(w.service_peak_kib):>13}"
                f"{_optional_mib(w.store_peak_kib):>14}{w.background_failures:>18}"
                f"{w.store_timeouts:>16}"
            )
        lines.append(
            f"  (peak RSS sampled every {SAMPLE_SECONDS:g} s; failures counted in the service's "
            "log: 'outbox sweep failed', 'writing the ledger failed', '… did not answer …')"
        )
    return [*lines, ""]


def _lists(lists: ListReport | None) -> list[str]:
    if lists is None or not lists.points:
        return []
    lines = [
        f"Lists by filter kind: first page of 10 (sort: offset {SORT_OFFSET}), one at a time",
        f"  {'stored':>9}  {'kind':<18}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'503':>6}  right",
    ]
    for point in lists.points:
        for kind in LIST_KINDS:
            m = point.measurements[kind]
            unsent = f" ({m.unsent} not sent: time up)" if m.unsent else ""
            lines.append(
                f"  {point.stored:>9}  {kind:<18}{m.p50_ms:>9.1f}{m.p95_ms:>9.1f}{m.p99_ms:>9.1f}"
                f"{m.statuses.get(UNAVAILABLE, 0):>6}  {m.ok}/{m.requests}{unsent}"
            )
    if len(lists.points) > 1:
        span = f"{lists.points[-1].stored}/{lists.points[0].stored}"
        ratios = ", ".join(f"{kind} {lists.p50_ratio(kind):.2f}" for kind in LIST_KINDS)
        lines.append(f"  p50 {span} stored: {ratios}")
    return [*lines, ""]


def _memory(mem: MemoryReport) -> list[str]:
    return [
        f"Service memory: peak RSS {_mib(mem.service_peak_kib):.1f} MiB = "
        f"{mem.peak_vs_baseline:.2f} x the idle-client baseline "
        f"(after start-up {_mib(mem.service_started_kib):.1f} MiB)",
        "",
    ]


def _targets(report: BenchReport) -> list[str]:
    lines = []
    for group in dict.fromkeys(t.group for t in report.targets):
        targets = [t for t in report.targets if t.group == group]
        lines.append(f"{f'Targets ({group}, this run)':<58}{'measured':>10}{'target':>10}")
        for t in targets:
            measured = "-" if t.measured is None else f"{t.measured:.2f}"
            bound = f"{'≤' if t.at_most else '≥'} {t.limit:g}"
            mark = {True: "pass", False: "MISS", None: "not measured"}[t.passed]
            note = f"  ({t.note})" if t.note else ""
            lines.append(f"  {t.name:<56}{measured:>10}{bound:>10}  {mark}{note}")
        passed = sum(t.passed is True for t in targets)
        lines += [f"  {passed} of {len(targets)} targets met", ""]
    return lines


def _verdict(report: BenchReport) -> list[str]:
    lines = []
    replies = sum(m.requests for m in report.measurements())
    if report.all_ok:
        lines.append(f"Correctness: all {replies} requests got the right answer.")
    else:
        lines.append("PROBLEMS (wrong or missing replies: those phases' figures are no result):")
        lines += [f"  {problem}" for problem in report.problems]
    if report.unmatched_replies:
        lines.append(
            f"Replies no request waited for (late or duplicate): {report.unmatched_replies}"
        )
    lines.append(f"Wall time: {report.wall_seconds:.1f} s")
    return lines


def _optional(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _mib(kib: int) -> float:
    return kib / _KIB_PER_MIB


def _optional_mib(kib: int | None) -> str:
    return "-" if kib is None else f"{_mib(kib):.1f}"


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinity replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
