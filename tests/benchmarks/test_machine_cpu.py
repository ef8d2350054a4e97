"""The CPU split of a phase: which process a request's CPU went to (benchmarks/machine_cpu.py)."""

from __future__ import annotations

import os

import pytest

from benchmarks.machine_cpu import GROUPS, Snapshot, classify, snapshot, split


def test_processes_fall_into_their_groups() -> None:
    bench = {10}
    assert classify("python -m customer_async serve", 7, 7, bench) == "service"
    assert classify("python -m benchmarks.echo --x", 8, 7, bench) == "bench"
    assert classify("python whatever", 10, 7, bench) == "bench"
    assert classify("java -cp x kafka.Kafka server.properties", 9, 7, bench) == "broker"
    assert classify("ferretdb /bin/ferretdb -listen-addr", 11, 7, bench) == "store"
    assert classify("postgres postgres: postgres ferretdb", 12, 7, bench) == "store"
    assert classify("bash -c sleep", 13, 7, bench) is None


def test_split_is_per_request_and_other_is_what_no_group_used() -> None:
    before = Snapshot({1: ("service", 1.0), 2: ("store", 5.0), 3: ("store", 2.0)}, 100.0)
    # pid 3 ended (lost), pid 4 started during the phase (counts whole)
    after = Snapshot({1: ("service", 1.5), 2: ("store", 6.0), 4: ("broker", 0.25)}, 102.0)
    found = split(before, after, requests=100)
    assert set(found) == set(GROUPS)
    assert found["service"] == pytest.approx(5.0)  # 0.5 s over 100 requests
    assert found["store"] == pytest.approx(10.0)
    assert found["broker"] == pytest.approx(2.5)
    assert found["machine"] == pytest.approx(20.0)
    assert found["other"] == pytest.approx(2.5)


def test_a_snapshot_sees_this_process_as_the_bench_and_the_machine_busy() -> None:
    first = snapshot(service_pid=None)
    sum(i * i for i in range(300_000))  # some CPU of our own
    second = snapshot(service_pid=None)
    assert first.processes[os.getpid()][0] == "bench"
    assert second.processes[os.getpid()][1] >= first.processes[os.getpid()][1]
    assert second.machine >= first.machine > 0
