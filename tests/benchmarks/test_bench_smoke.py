"""The benchmark runs end to end on the real servers: every section, sane ratios, right replies.

No timing is asserted here: speed is what the benchmark reports, never what a test checks.
"""

from __future__ import annotations

import json
import math

import pytest

from benchmarks.report import render
from benchmarks.run import BenchConfig, run_benchmark
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e

SMOKE_REQUESTS = 20
OPERATIONS = ["create", "retrieve", "patch", "list", "delete"]
RATIOS_PER_OPERATION = 4  # rate ÷ echo, p50 and p99 x echo, rate ÷ store
CEILINGS = ("Kafka echo", "store insert_one", "store find_one", "idle clients RSS")


async def test_a_tiny_run_reports_every_section_with_right_replies(
    servers: Servers, unique_name: str
) -> None:
    """Every section is reported, every ratio is positive and finite, every reply a right 2xx."""
    report = await run_benchmark(
        BenchConfig(
            kafka_bootstrap_servers=servers.kafka_bootstrap_servers,
            mongodb_uri=servers.mongodb_uri,
            requests=SMOKE_REQUESTS,
            timeout_seconds=120.0,
            prefix=unique_name,
        )
    )

    assert report.all_ok, report.problems
    assert [o.measurement.name for o in report.operations] == OPERATIONS
    for measurement in report.measurements():
        assert measurement.requests > 0, measurement.name
        assert measurement.ok == measurement.requests, measurement.problems
        for status in measurement.statuses:
            assert status == "ok" or 200 <= int(status) < 300, (measurement.name, status)
    ratios = report.ratios()
    assert len(ratios) == RATIOS_PER_OPERATION * len(OPERATIONS) + 1
    for name, value in ratios.items():
        assert math.isfinite(value), name
        assert value > 0, name
    memory = report.memory
    assert memory.baseline_peak_kib > 0
    assert 0 < memory.service_started_kib <= memory.service_peak_kib

    table = render(report)
    for heading in (*CEILINGS, "Service memory: peak RSS", "Correctness: all"):
        assert heading in table
    for operation in OPERATIONS:
        assert f"\n  {operation} " in table
    document = json.loads(report.to_json())
    assert document["all_ok"] is True
    assert set(document) >= {"parameters", "ceilings", "operations", "memory", "ratios"}
