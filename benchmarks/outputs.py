"""Where a run's report goes: the JSON of every figure, and the PNG of the open loop beside it."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from benchmarks.plot import write_latency_plot
from benchmarks.report import BenchReport


def default_report_path(prefix: str) -> Path:
    """A fresh JSON path outside the checkout (the system's temporary directory)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(tempfile.gettempdir()) / "customer-async-bench" / f"{stamp}-{prefix}.json"


def write_outputs(report: BenchReport, json_path: Path) -> BenchReport:
    """Write the plot (`<name>.png` beside `json_path`), then the JSON naming it; the report
    as written."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    plot_path = json_path.with_suffix(".png")
    p = report.parameters
    write_latency_plot(
        report.open_loop,
        plot_path,
        f"customer-async vs Kafka echo, open loop ({p.store_server}, {p.cpus} CPUs, "
        f"{'quick' if p.quick else 'full'} run {p.prefix})",
    )
    written = dataclasses.replace(report, plot=str(plot_path))
    json_path.write_text(written.to_json() + "\n")
    return written
