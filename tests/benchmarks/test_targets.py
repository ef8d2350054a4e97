"""The targets are marked pass, miss or not measured exactly as their limits say, and
store command counts are flagged when another client shared the server."""

from __future__ import annotations

import dataclasses
from collections import Counter

from benchmarks.list_kinds import KINDS, ListPoint, ListReport
from benchmarks.open_loop import LoadStep, OpenLoopReport
from benchmarks.peer_comparison import PeerComparison, PeerReport
from benchmarks.report import (
    BenchReport,
    Ceilings,
    MemoryReport,
    RunParameters,
    Target,
    operation_report,
)
from benchmarks.scale import STORE_FIND, ScalePoint, ScaleReport
from benchmarks.stats import Measurement
from benchmarks.store_counters import CommandSnapshot, CommandsPerRequest, per_request
from benchmarks.sustained import SustainedReport
from benchmarks.targets import PEER_GROUP, peer_and_load_targets, throughput_targets

FERRETDB = "FerretDB v1.24.2 (MongoDB 7.0.42)"
MONGODB = "MongoDB 7.0.14"
COMMANDS = {"create": 2.0, "retrieve": 1.0, "patch": 3.0, "list": 2.0, "delete": 3.0}


def _measurement(
    name: str,
    rate: float = 100.0,
    p50: float = 10.0,
    p99: float = 20.0,
    statuses: dict[str, int] | None = None,
) -> Measurement:
    return Measurement(name, 10, 10, statuses or {"200": 10}, [], 1.0, rate, p50, p50, p99)


def _report(
    *,
    rates: dict[str, float] | None = None,
    commands: dict[str, float] | None = None,
    store_server: str = MONGODB,
    wrong: str | None = None,
    open_loop_statuses: dict[str, int] | None = None,
) -> BenchReport:
    """A run whose every ratio meets its target unless told otherwise."""
    rates = {
        "create": 50.0,
        "retrieve": 60.0,
        "patch": 35.0,
        "list": 10.0,
        "delete": 35.0,
        **(rates or {}),
    }
    commands = {**COMMANDS, **(commands or {})}
    ceilings = Ceilings(
        echo=_measurement("Kafka echo", 1000.0),
        store_insert=_measurement("store insert_one"),
        store_find=_measurement("store find_one"),
        store_update=_measurement("store update_one"),
        memory_baseline_kib=1000,
    )
    operations = []
    for name, rate in rates.items():
        measured = _measurement(name, rate)
        if name == wrong:
            measured = dataclasses.replace(measured, ok=9, problems=[f"{name}: wrong id (x1)"])
        operations.append(
            operation_report(
                measured,
                ceilings,
                store_commands=CommandsPerRequest(commands[name], {"find": commands[name]}, True),
                cpu_ms_per_request=1.0,
            )
        )
    step_statuses = open_loop_statuses or {"200": 10}
    open_loop = [
        OpenLoopReport(
            name,
            100.0,
            [
                LoadStep(
                    0.5,
                    50.0,
                    _measurement(f"{name} open loop 50%", p99=30.0, statuses=step_statuses),
                    _measurement("echo open loop 50%", p99=10.0),
                    0.0,
                    0.0,
                    3.0,
                )
            ],
        )
        for name in ("retrieve", "create")
    ]
    phases = (STORE_FIND, "retrieve", "patch", "list")
    scale = ScaleReport(
        [
            ScalePoint(1000, 1.0, {p: _measurement(p, p50=10.0) for p in phases}),
            ScalePoint(100_000, 60.0, {p: _measurement(p, p50=13.0) for p in phases}),
        ]
    )
    return BenchReport(
        parameters=RunParameters(
            500,
            64,
            1800.0,
            2,
            "127.0.0.1:9092",
            "mongodb://127.0.0.1:27017",
            "bench",
            store_server,
            quick=False,
            load_fractions=[0.5],
            step_seconds=8.0,
            scale_sizes=[1000, 100_000],
        ),
        ceilings=ceilings,
        operations=operations,
        open_loop=open_loop,
        scale=scale,
        memory=MemoryReport(1000, 1500, 2000, 2.0),
        wall_seconds=1.0,
        unmatched_replies=0,
    )


def _target(report: BenchReport, starts: str) -> Target:
    return next(t for t in throughput_targets(report) if t.name.startswith(starts))


def test_every_target_exactly_at_its_limit_passes() -> None:
    """Limits are inclusive: a run exactly at every target meets all thirteen."""
    targets = throughput_targets(_report())

    assert len(targets) == 13
    assert [t.name for t in targets if t.passed is not True] == []


def test_a_rate_just_below_its_share_of_the_store_misses() -> None:
    """create must reach half the raw insert_one rate; 0.49 of it is a miss."""
    target = _target(_report(rates={"create": 49.0}), "create rate")

    assert target.measured == 0.49
    assert target.passed is False


def test_a_phase_with_a_wrong_reply_is_not_measured() -> None:
    """A fast wrong answer is no result: the target is neither passed nor missed."""
    target = _target(_report(wrong="retrieve"), "retrieve rate")

    assert target.measured is None
    assert target.passed is None


def test_a_lease_adds_two_commands_to_a_write_on_ferretdb_only() -> None:
    """Five commands per patch meet the target on FerretDB (a lease) and miss it on MongoDB."""
    five = {"patch": 5.0, "delete": 5.0}

    on_ferretdb = _target(_report(commands=five, store_server=FERRETDB), "patch store")
    on_mongodb = _target(_report(commands=five), "patch store")

    assert (on_ferretdb.limit, on_ferretdb.passed) == (5.0, True)
    assert (on_mongodb.limit, on_mongodb.passed) == (3.0, False)


def test_store_commands_are_compared_at_one_decimal() -> None:
    """A stray command over a phase (1.04 per retrieve) passes; 1.06 shows as 1.1 and misses."""
    stray = _target(_report(commands={"retrieve": 1.04}), "retrieve store")
    extra = _target(_report(commands={"retrieve": 1.06}), "retrieve store")

    assert (stray.measured, stray.passed) == (1.0, True)
    assert (extra.measured, extra.passed) == (1.1, False)


def test_5xx_replies_in_open_loop_steps_miss_the_5xx_target() -> None:
    """Server errors are counted over every phase: here one in each operation's open loop."""
    target = _target(_report(open_loop_statuses={"200": 9, "503": 1}), "5xx")

    assert (target.measured, target.passed) == (2.0, False)


def test_a_phase_that_saw_another_client_s_ddl_is_not_quiet() -> None:
    """Creating indexes or dropping databases is never a request's work: another client was on
    the server, so the phase's command count is only an upper bound."""
    before = CommandSnapshot(Counter({"find": 10}), quiet=True)
    alone = CommandSnapshot(Counter({"find": 20}), quiet=True)
    shared = CommandSnapshot(Counter({"find": 25, "createIndexes": 2, "insert": 4}), quiet=True)

    by_itself = per_request(before, alone, 10)
    beside_a_suite = per_request(before, shared, 10)

    assert by_itself == CommandsPerRequest(1.0, {"find": 1.0}, quiet=True)
    assert beside_a_suite is not None
    assert beside_a_suite.total == 2.1  # everything counted: an upper bound
    assert beside_a_suite.quiet is False


def _comparison(operation: str, service_rate: float, peer_rate: float) -> PeerComparison:
    service = [_measurement(f"{operation} (service)", service_rate)]
    peer = [_measurement(f"{operation} (plain peer)", peer_rate)]
    return PeerComparison(
        operation,
        service,
        peer,
        service_rate,
        peer_rate,
        service_rate / peer_rate,
        10.0,
        10.0,
        20.0,
        20.0,
    )


def _sustained(*, drained: float | None, watched: float = 30.0) -> SustainedReport:
    return SustainedReport(
        _measurement("sustained create"), 64, None, 0.0, 2048, drained, 0, watched, 100
    )


def _lists(
    p50_small: float, p50_large: float, statuses: dict[str, int] | None = None
) -> ListReport:
    def point(stored: int, p50: float) -> ListPoint:
        return ListPoint(stored, {k: _measurement(k, p50=p50, statuses=statuses) for k in KINDS})

    return ListReport([point(1000, p50_small), point(100_000, p50_large)])


def _peer_target(report: BenchReport, starts: str) -> Target:
    return next(t for t in peer_and_load_targets(report) if t.name.startswith(starts))


def test_the_service_as_fast_as_the_plain_peer_meets_its_target() -> None:
    """At least as fast as the peer: 1.0x passes, 0.99x misses."""
    peer = PeerReport(3, 500, [_comparison("create", 99.0, 100.0), _comparison("retrieve", 50, 50)])
    report = dataclasses.replace(_report(), peer=peer)

    create = _peer_target(report, "create rate ÷ plain peer")
    retrieve = _peer_target(report, "retrieve rate ÷ plain peer")

    assert (create.measured, create.passed) == (0.99, False)
    assert (retrieve.measured, retrieve.passed) == (1.0, True)
    assert create.group == retrieve.group == PEER_GROUP


def test_list_pages_at_50_ms_and_within_13_tenths_of_the_small_store_s_pass() -> None:
    """Both limits are inclusive: 50 ms passes, 52.5 ms (1.31x of 40 ms) misses both."""
    within = dataclasses.replace(_report(), lists=_lists(40.0, 50.0))
    beyond = dataclasses.replace(_report(), lists=_lists(40.0, 52.5))

    met = {t.name: t.passed for t in peer_and_load_targets(within)}
    missed = {t.name: t.passed for t in peer_and_load_targets(beyond)}

    for kind in ("unfiltered", "name", "status", "engagedParty.id"):
        assert met[f"list {kind} p50 ms, 100000 stored"] is True
        assert met[f"list {kind} p50, 100000 stored ÷ 1000"] is True
        assert missed[f"list {kind} p50 ms, 100000 stored"] is False
        assert missed[f"list {kind} p50, 100000 stored ÷ 1000"] is False
    assert met["list 503 replies at every size"] is True


def test_a_list_503_is_counted_and_leaves_that_kind_s_latency_unmeasured() -> None:
    lists = _lists(10.0, 10.0, statuses={"200": 9, "503": 1})
    wrong = [
        dataclasses.replace(
            point,
            measurements={k: dataclasses.replace(m, ok=9) for k, m in point.measurements.items()},
        )
        for point in lists.points
    ]
    report = dataclasses.replace(_report(), lists=ListReport(wrong))

    unavailable = _peer_target(report, "list 503")
    latency = _peer_target(report, "list name p50 ms")

    assert (unavailable.measured, unavailable.passed) == (2.0 * len(KINDS), False)  # x 2 sizes
    assert latency.passed is None


def test_an_outbox_never_drained_misses_however_short_the_watch() -> None:
    drained = _peer_target(
        dataclasses.replace(_report(), sustained=_sustained(drained=59.0)), "sustained"
    )
    never = _peer_target(
        dataclasses.replace(_report(), sustained=_sustained(drained=None, watched=20.0)),
        "sustained",
    )

    assert (drained.measured, drained.passed) == (59.0, True)
    assert (never.measured, never.passed) == (20.0, False)
    assert "not drained" in never.note


def test_phases_not_run_leave_their_targets_unmeasured() -> None:
    targets = peer_and_load_targets(_report())

    assert len(targets) == 12
    assert {t.passed for t in targets} == {None}
