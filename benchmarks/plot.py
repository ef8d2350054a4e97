"""The PNG of latency against offered load: each open-loop operation beside the Kafka echo.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, so no global figure state and
no display needed). One panel per operation: p50 and p99 of the service and of the echo at the
same offered rates, on a logarithmic latency axis (the echo answers in milliseconds, a saturated
service in seconds).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from benchmarks.open_loop import TARGET_FRACTION, OpenLoopReport

_PANEL_INCHES = (6.0, 4.5)
_DPI = 110


def write_latency_plot(reports: Sequence[OpenLoopReport], path: Path, title: str) -> None:
    """Draw `reports` (one panel each) into the PNG file `path`."""
    panels = max(1, len(reports))
    figure = Figure(figsize=(_PANEL_INCHES[0] * panels, _PANEL_INCHES[1]), dpi=_DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(title, fontsize="medium")
    axes = figure.subplots(1, panels, squeeze=False)[0]
    for ax, report in zip(axes, reports, strict=False):
        offered = [step.offered_rate for step in report.steps]
        series = (
            ("service p50", [s.service.p50_ms for s in report.steps], "tab:blue", "-"),
            ("service p99", [s.service.p99_ms for s in report.steps], "tab:blue", "--"),
            ("echo p50", [s.echo.p50_ms for s in report.steps], "tab:gray", "-"),
            ("echo p99", [s.echo.p99_ms for s in report.steps], "tab:gray", "--"),
        )
        drawn = False
        for label, values, colour, style in series:
            points = [(x, y) for x, y in zip(offered, values, strict=True) if _drawable(y)]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.plot(xs, ys, marker="o", color=colour, linestyle=style, label=label)
                drawn = True
        if report.steps:
            ax.axvline(
                TARGET_FRACTION * report.max_rate,
                color="tab:red",
                linestyle=":",
                label=f"{TARGET_FRACTION:.0%} of max (target step)",
            )
        ax.set_title(f"{report.operation} (100 % = {report.max_rate:.0f} req/s closed loop)")
        ax.set_xlabel("offered load (requests/s)")
        ax.set_ylabel("latency (ms)")
        if drawn:
            ax.set_yscale("log")
        ax.grid(visible=True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, format="png")


def _drawable(value: float) -> bool:
    return math.isfinite(value) and value > 0
