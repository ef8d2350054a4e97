"""The benchmark's targets, each checked against this run's own ratios.

A target is met only by a figure measured with every reply right: a fast wrong answer is no
result, so a phase with a wrong or missing reply leaves its targets "not measured". Store
commands are compared at the precision the table shows (one decimal), because a sweep or a
monitor's stray command over a phase adds hundredths, not whole commands.
"""

from __future__ import annotations

import math

from benchmarks.list_kinds import EQUALITY_KINDS
from benchmarks.open_loop import TARGET_FRACTION
from benchmarks.report import STORE_CEILING_OF, BenchReport, Target
from benchmarks.scale import STORE_FIND

RATE_TARGETS = (
    ("create", 0.5),
    ("retrieve", 0.6),
    ("patch", 0.35),
)
"""Operation, and the least share of its raw store ceiling's rate it must reach."""
COMMAND_TARGETS = (
    ("create", 2.0, False),
    ("retrieve", 1.0, False),
    ("patch", 3.0, True),
    ("delete", 3.0, True),
)
"""Operation, most store commands per request, and whether a FerretDB lease may add its 2."""
LEASE_COMMANDS = 2.0
"""A per-customer lease on FerretDB: its insert and its delete."""
OPEN_LOOP_P99_X_ECHO = 3.0
OPEN_LOOP_OPERATIONS = ("retrieve", "create")
SCALE_LATENCY_RATIO = 1.3
SCALE_OPERATIONS = ("retrieve", "patch")
PEAK_RSS_X_BASELINE = 2.0
TARGET_WINDOW = 64
PEER_GROUP = "plain peer, lists, sustained creates"
RATE_X_PEER = 1.0
"""The service's create and retrieve rates over the plain peer's, at least."""
LIST_P50_MS = 50.0
LIST_LATENCY_RATIO = 1.3
DRAIN_SECONDS = 60.0


def throughput_targets(report: BenchReport) -> list[Target]:
    """Every target with its measured ratio and whether this run met it."""
    return [
        *_rates(report),
        *_commands(report),
        *_open_loop(report),
        *_scale(report),
        _target(
            "service peak RSS x idle-client baseline",
            report.memory.peak_vs_baseline,
            PEAK_RSS_X_BASELINE,
            at_most=True,
        ),
        _target("5xx replies in any phase", float(report.server_errors()), 0, at_most=True),
    ]


def peer_and_load_targets(report: BenchReport) -> list[Target]:
    """The targets of the plain peer, the list kinds and the sustained creates."""
    return [*_peer(report), *_lists(report), _drain(report)]


def _target(
    name: str,
    measured: float | None,
    limit: float,
    *,
    at_most: bool,
    note: str = "",
    group: str = "throughput, latency, memory",
) -> Target:
    if measured is not None and not math.isfinite(measured):
        measured = None
    passed = None
    if measured is not None:
        passed = measured <= limit if at_most else measured >= limit
    return Target(name, measured, limit, at_most, passed, note, group)


def _rates(report: BenchReport) -> list[Target]:
    window = report.parameters.window
    note = "" if window == TARGET_WINDOW else f"run at window {window}, target is at 64"
    found = []
    for name, limit in RATE_TARGETS:
        operation = report.operation(name)
        measured = None
        ceiling = STORE_CEILING_OF[name].removeprefix("store ")
        if operation is not None:
            right = (
                operation.measurement.all_ok
                and report.ceilings.store(operation.store_ceiling).all_ok
            )
            measured = operation.rate_vs_store if right else None
        found.append(
            _target(f"{name} rate ÷ raw {ceiling}", measured, limit, at_most=False, note=note)
        )
    return found


def _commands(report: BenchReport) -> list[Target]:
    ferretdb = report.parameters.store_server.startswith("FerretDB")
    found = []
    for name, limit, lease in COMMAND_TARGETS:
        allowed = limit + (LEASE_COMMANDS if lease and ferretdb else 0)
        label = f"{name} store commands per request"
        if lease and ferretdb:
            label += " (+2 lease)"
        operation = report.operation(name)
        commands = None if operation is None else operation.store_commands
        measured = None if commands is None else round(commands.total, 1)
        note = "" if commands is None or commands.quiet else "store busy: an upper bound"
        found.append(_target(label, measured, allowed, at_most=True, note=note))
    return found


def _open_loop(report: BenchReport) -> list[Target]:
    by_operation = {r.operation: r for r in report.open_loop}
    found = []
    for name in OPEN_LOOP_OPERATIONS:
        report_of = by_operation.get(name)
        step = None if report_of is None else report_of.step_at(TARGET_FRACTION)
        measured = None
        if step is not None and step.service.all_ok and step.echo.all_ok:
            measured = step.p99_vs_echo
        found.append(
            _target(
                f"{name} p99 at {TARGET_FRACTION:.0%} of max load x echo p99",
                measured,
                OPEN_LOOP_P99_X_ECHO,
                at_most=True,
            )
        )
    return found


def _scale(report: BenchReport) -> list[Target]:
    scale = report.scale
    found = []
    for name in SCALE_OPERATIONS:
        measured = None
        note = ""
        label = f"{name} p50 latency, many stored ÷ few stored"
        if scale is not None and len(scale.points) > 1:
            first, last = scale.points[0], scale.points[-1]
            label = f"{name} p50 latency, {last.stored} stored ÷ {first.stored}"
            if first.measurements[name].all_ok and last.measurements[name].all_ok:
                measured = scale.latency_ratio(name)
            note = f"raw store find_one: {scale.latency_ratio(STORE_FIND):.2f}"
        found.append(_target(label, measured, SCALE_LATENCY_RATIO, at_most=True, note=note))
    return found


def _peer(report: BenchReport) -> list[Target]:
    found = []
    for operation in ("create", "retrieve"):
        comparison = None if report.peer is None else report.peer.comparison(operation)
        measured = None
        if comparison is not None and comparison.all_ok:
            measured = comparison.rate_vs_peer
        found.append(
            _target(
                f"{operation} rate ÷ plain peer's (median of runs)",
                measured,
                RATE_X_PEER,
                at_most=False,
                group=PEER_GROUP,
            )
        )
    return found


def _lists(report: BenchReport) -> list[Target]:
    lists = report.lists
    points = [] if lists is None else lists.points
    found = [
        _target(
            "list 503 replies at every size",
            None if lists is None or not points else float(lists.unavailable()),
            0,
            at_most=True,
            group=PEER_GROUP,
        )
    ]
    for kind in EQUALITY_KINDS:
        measured = None
        label = f"list {kind} p50 ms, most stored"
        if points:
            last = points[-1]
            label = f"list {kind} p50 ms, {last.stored} stored"
            m = last.measurements[kind]
            measured = m.p50_ms if m.all_ok else None
        found.append(_target(label, measured, LIST_P50_MS, at_most=True, group=PEER_GROUP))
    for kind in EQUALITY_KINDS:
        measured = None
        label = f"list {kind} p50, most stored ÷ fewest"
        if lists is not None and len(points) > 1:
            first, last = points[0], points[-1]
            label = f"list {kind} p50, {last.stored} stored ÷ {first.stored}"
            if first.measurements[kind].all_ok and last.measurements[kind].all_ok:
                measured = lists.p50_ratio(kind)
        found.append(_target(label, measured, LIST_LATENCY_RATIO, at_most=True, group=PEER_GROUP))
    return found


def _drain(report: BenchReport) -> Target:
    name = "sustained creates: seconds to publish the outbox"
    sustained = report.sustained
    if sustained is None or not sustained.measurement.all_ok:
        return _target(name, None, DRAIN_SECONDS, at_most=True, group=PEER_GROUP)
    if sustained.drain_seconds is None:
        note = f"not drained: {sustained.backlog_left} writes still unpublished"
        return Target(name, sustained.watched_seconds, DRAIN_SECONDS, True, False, note, PEER_GROUP)
    return _target(name, sustained.drain_seconds, DRAIN_SECONDS, at_most=True, group=PEER_GROUP)
