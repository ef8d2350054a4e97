"""The benchmark runs end to end on the real servers and writes a well-formed report and plot.

It runs the real entry point (`python -m benchmarks --quick`, tiny sizes) as `scripts/bench`
does. No timing is asserted here: speed is what the benchmark reports, never what a test checks;
whether a target passes is not asserted either, only that every target was measured.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.repository import REPO
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e

REQUESTS = 20
SCALE = (100, 600)  # 600: the sort kind's page at offset 500 is not empty
SUSTAINED_CREATES = 200
LIST_REQUESTS = 2
FRACTIONS = [0.25, 0.5, 1.0]
OPERATIONS = ["create", "retrieve", "patch", "list", "delete"]
CEILINGS = ["echo", "store_insert", "store_find", "store_update"]
CEILING_RUNS = 2  # before and after the closed loop
SCALE_PHASES = {"store find_one", "retrieve", "patch", "list"}
LIST_KINDS = [
    "unfiltered",
    "name",
    "status",
    "engagedParty.id",
    "engagedParty.id 1%",
    "name.regex",
    "sort=-name",
]
EQUALITY_KINDS = LIST_KINDS[:4]
PEER_RUNS = 3
TARGETS = [
    "create rate ÷ raw insert_one",
    "retrieve rate ÷ raw find_one",
    "patch rate ÷ raw update_one",
    "create store commands per request",
    "retrieve store commands per request",
    "patch store commands per request",
    "delete store commands per request",
    "retrieve p99 at 50% of max load x echo p99",
    "create p99 at 50% of max load x echo p99",
    f"retrieve p50 latency, {SCALE[1]} stored ÷ {SCALE[0]}",
    f"patch p50 latency, {SCALE[1]} stored ÷ {SCALE[0]}",
    "service peak RSS x idle-client baseline",
    "5xx replies in any phase",
    "create rate ÷ plain peer's (median of runs)",
    "retrieve rate ÷ plain peer's (median of runs)",
    "list 503 replies at every size",
    *(f"list {kind} p50 ms, {SCALE[1]} stored" for kind in EQUALITY_KINDS),
    *(f"list {kind} p50, {SCALE[1]} stored ÷ {SCALE[0]}" for kind in EQUALITY_KINDS),
    "sustained creates: seconds to publish the outbox",
]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_SECONDS = 280


def _right(measurement: dict[str, Any], requests: int | None = None) -> None:
    """Every request of a phase got the right answer, and its percentiles are ordered."""
    name = measurement["name"]
    assert measurement["requests"] > 0, name
    if requests is not None:
        assert measurement["requests"] == requests, name
    assert measurement["ok"] == measurement["requests"], measurement["problems"]
    assert measurement["problems"] == [], name
    assert 0 < measurement["p50_ms"] <= measurement["p95_ms"] <= measurement["p99_ms"], name


@pytest.fixture(scope="module")
def quick_run(servers: Servers, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """One quick run with tiny sizes: its stdout and the path of its JSON report."""
    report = tmp_path_factory.mktemp("bench") / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            f"--requests={REQUESTS}",
            f"--scale={SCALE[0]},{SCALE[1]}",
            "--step-seconds=0.5",
            f"--sustained-creates={SUSTAINED_CREATES}",
            f"--list-requests={LIST_REQUESTS}",
            f"--json={report}",
            f"--kafka-bootstrap-servers={servers.kafka_bootstrap_servers}",
            f"--mongodb-uri={servers.mongodb_uri}",
        ],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_ASYNC_")},
        capture_output=True,
        text=True,
        timeout=RUN_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done.stdout, report


def test_every_phase_of_a_quick_run_got_right_answers(quick_run: tuple[str, Path]) -> None:
    """Ceilings (each the best of its runs), closed loop, open loop and scale are all in the
    JSON, every reply right."""
    document = json.loads(quick_run[1].read_text())

    assert document["all_ok"] is True, document["problems"]
    assert document["server_errors"] == 0
    assert len(document["ceiling_runs"]) == CEILING_RUNS
    for ceilings in [document["ceilings"], *document["ceiling_runs"]]:
        for ceiling in CEILINGS:
            _right(ceilings[ceiling], REQUESTS)
    for ceiling in CEILINGS:
        best = max(run[ceiling]["rate"] for run in document["ceiling_runs"])
        assert document["ceilings"][ceiling]["rate"] == best, ceiling
    assert document["ceilings"]["memory_baseline_kib"] > 0
    assert [o["measurement"]["name"] for o in document["operations"]] == OPERATIONS
    for operation in document["operations"]:
        _right(operation["measurement"])
        commands = operation["store_commands"]
        # Creates share their inserts (several creates per command), so fewer than one is fine.
        assert commands["total"] > 0, operation["measurement"]["name"]
        assert math.isclose(sum(commands["by_name"].values()), commands["total"])
    assert [r["operation"] for r in document["open_loop"]] == ["retrieve", "create"]
    for open_loop in document["open_loop"]:
        steps = open_loop["steps"]
        assert [s["fraction"] for s in steps] == FRACTIONS
        rates = [s["offered_rate"] for s in steps]
        assert rates == sorted(rates)
        assert math.isclose(rates[-1], open_loop["max_rate"])
        for step in steps:
            _right(step["service"])
            _right(step["echo"], step["service"]["requests"])
            assert step["p99_vs_echo"] > 0
    points = document["scale"]["points"]
    assert [p["stored"] for p in points] == list(SCALE)
    for point in points:
        assert set(point["measurements"]) == SCALE_PHASES
        for measurement in point["measurements"].values():
            _right(measurement)


def test_a_quick_run_compares_with_the_peer_and_sustains_and_lists(
    quick_run: tuple[str, Path],
) -> None:
    """The plain peer's runs beside the service's, the sustained creates with the outbox
    gauge read and the stretches watched, and every list kind at every size, all right."""
    document = json.loads(quick_run[1].read_text())

    assert document["parameters"]["phases"] == [
        "closed",
        "open",
        "peer",
        "sustained",
        "scale",
        "lists",
    ]
    comparisons = document["peer"]["comparisons"]
    assert [c["operation"] for c in comparisons] == ["create", "retrieve"]
    for comparison in comparisons:
        assert len(comparison["service_runs"]) == len(comparison["peer_runs"]) == PEER_RUNS
        for run in [*comparison["service_runs"], *comparison["peer_runs"]]:
            _right(run, REQUESTS)
        assert comparison["rate_vs_peer"] > 0
    sustained = document["sustained"]
    _right(sustained["measurement"], SUSTAINED_CREATES)
    assert sustained["readings"] > 0  # the operations port answered with the gauge
    assert sustained["peak_backlog"] >= 0
    watched = document["watched"]
    assert [w["name"] for w in watched] == ["sustained creates + drain", "loading, scale and lists"]
    for stretch in watched:
        assert stretch["service_peak_kib"] > 0
        assert stretch["background_failures"] >= 0
        assert stretch["store_timeouts"] >= 0
    points = document["lists"]["points"]
    assert [p["stored"] for p in points] == list(SCALE)
    for point in points:
        assert list(point["measurements"]) == LIST_KINDS
        for measurement in point["measurements"].values():
            _right(measurement)


def test_a_quick_run_reports_every_target_and_ratio(quick_run: tuple[str, Path]) -> None:
    """Each of the targets is measured and marked; every ratio is a positive number."""
    stdout, path = quick_run
    document = json.loads(path.read_text())

    targets = document["targets"]
    assert [t["name"].removesuffix(" (+2 lease)") for t in targets] == TARGETS
    for target in targets:
        assert isinstance(target["measured"], int | float), target["name"]
        assert target["passed"] is (
            target["measured"] <= target["limit"]
            if target["at_most"]
            else target["measured"] >= target["limit"]
        )
    for name, value in document["ratios"].items():
        assert isinstance(value, int | float), name
        assert value > 0, name
    for heading in (
        f"Ceilings (best of {CEILING_RUNS})",
        "store update_one",
        "Store commands per request, by command",
        "CPU ms per request, by process",
        "Open loop:",
        "Scale:",
        "Service vs plain peer",
        "Sustained creates:",
        "Lists by filter kind",
        "Targets (throughput, latency, memory, this run)",
        "Targets (plain peer, lists, sustained creates, this run)",
        "Correctness: all",
    ):
        assert heading in stdout
    for target in targets:
        line = next(line for line in stdout.splitlines() if target["name"] in line)
        assert ("pass" if target["passed"] else "MISS") in line
    split = document["cpu_split"]
    for phase in ("store insert_one", "Kafka echo", "create", "retrieve", "delete"):
        assert split[phase]["machine"] > 0, phase  # every phase made the machine work
    assert split["retrieve"]["service"] > 0
    # A phase of 20 requests may cost the broker less than one clock tick: summed, it shows.
    assert sum(phase["broker"] for phase in split.values()) > 0
    assert split["store find_one"]["store"] > 0
    for phase in ("create, service", "create, plain peer", "sustained create"):
        assert split[phase]["machine"] > 0, phase


def test_a_quick_run_writes_the_plot_beside_the_json(quick_run: tuple[str, Path]) -> None:
    """The PNG of latency against offered load sits beside the JSON, which names it."""
    path = quick_run[1]
    plot = path.with_suffix(".png")

    assert json.loads(path.read_text())["plot"] == str(plot)
    assert plot.read_bytes().startswith(PNG_SIGNATURE)
    assert f"JSON report: {path}" in quick_run[0]
