"""The issue's targets (issue 7), each checked against this run's own ratios.

A target is met only by a figure measured with every reply right: a fast wrong answer is no
result, so a phase with a wrong or missing reply leaves its targets "not measured". Store
commands are compared at the precision the table shows (one decimal), because a sweep or a
monitor's stray command over a phase adds hundredths, not whole commands.
"""

from __future__ import annotations

import math

from benchmarks.open_loop import TARGET_FRACTION
from benchmarks.report import BenchReport, Target
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


def issue_targets(report: BenchReport) -> list[Target]:
    """Every target of the issue with its measured ratio and whether this run met it."""
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


def _target(
    name: str, measured: float | None, limit: float, *, at_most: bool, note: str = ""
) -> Target:
    if measured is not None and not math.isfinite(measured):
        measured = None
    passed = None
    if measured is not None:
        passed = measured <= limit if at_most else measured >= limit
    return Target(name, measured, limit, at_most, passed, note)


def _rates(report: BenchReport) -> list[Target]:
    window = report.parameters.window
    note = "" if window == TARGET_WINDOW else f"run at window {window}, target is at 64"
    found = []
    for name, limit in RATE_TARGETS:
        operation = report.operation(name)
        measured = None
        ceiling = "raw store"
        if operation is not None:
            ceiling = operation.store_ceiling.removeprefix("store ")
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
