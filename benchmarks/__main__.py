"""`python -m benchmarks`: one benchmark run, the report on stdout, progress on stderr.

The JSON of every figure and the PNG of latency against offered load are written to `--json`
and beside it (by default under the system's temporary directory); their paths end the report.
Exit status: 0 when every request got the right answer (whether or not the targets are met),
1 when any reply was wrong or missing (the numbers are then no result), 2 when the run could
not measure at all.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from benchmarks.list_kinds import LIST_REQUESTS, QUICK_LIST_REQUESTS
from benchmarks.loopback import NotLoopback
from benchmarks.open_loop import LOAD_FRACTIONS, QUICK_LOAD_FRACTIONS, LoadPlan
from benchmarks.outputs import default_report_path, write_outputs
from benchmarks.phases import PHASES, PhaseChoiceError, parse_phases
from benchmarks.progress import TerminalProgress
from benchmarks.report import render
from benchmarks.run import BenchConfig, BenchmarkError, fresh_prefix, run_benchmark
from benchmarks.scale import (
    MIN_SCALE_SIZE,
    PHASE_SECONDS,
    QUICK_PHASE_SECONDS,
    QUICK_SCALE_SIZES,
    SCALE_SIZES,
)
from benchmarks.sustained import QUICK_SUSTAINED_CREATES, SUSTAINED_CREATES
from harness.proc import MemoryReadError

_FULL = {
    "requests": 500,
    "timeout": 5400.0,
    "step_seconds": 8.0,
    "phase_seconds": PHASE_SECONDS,
    "sustained_creates": SUSTAINED_CREATES,
    "list_requests": LIST_REQUESTS,
}
_QUICK = {
    "requests": 60,
    "timeout": 300.0,
    "step_seconds": 1.0,
    "phase_seconds": QUICK_PHASE_SECONDS,
    "sustained_creates": QUICK_SUSTAINED_CREATES,
    "list_requests": QUICK_LIST_REQUESTS,
}
_PERCENT = 100


def _sizes(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    """`--scale 1000,100000` → (1000, 100000); `none` → () (no scale or list phase)."""
    del ctx, param
    if value is None:
        return None
    if value.strip().lower() == "none":
        return ()
    try:
        sizes = tuple(sorted({int(part) for part in value.split(",")}))
    except ValueError as exc:
        raise click.BadParameter("comma-separated whole numbers, or 'none'") from exc
    if not sizes or sizes[0] < MIN_SCALE_SIZE:
        raise click.BadParameter(f"sizes of at least {MIN_SCALE_SIZE} (two, for the ratios)")
    return sizes


def _phases(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str]:
    """`--phases peer,lists` → those phases; `all` (the default) → every phase."""
    del ctx, param
    try:
        return parse_phases(value)
    except PhaseChoiceError as exc:
        raise click.BadParameter(str(exc)) from exc


def _fractions(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[float, ...] | None:
    """`--load-steps 10,50,100` (percent of the closed-loop maximum) → (0.1, 0.5, 1.0)."""
    del ctx, param
    if value is None:
        return None
    try:
        percents = sorted({float(part) for part in value.split(",")})
    except ValueError as exc:
        raise click.BadParameter("comma-separated percentages") from exc
    if not percents or not all(0 < p <= _PERCENT for p in percents):
        raise click.BadParameter("percentages above 0 and at most 100")
    return tuple(p / _PERCENT for p in percents)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--quick",
    is_flag=True,
    help="About a minute: 60 requests, steps 25/50/100 % of 1 s, scale 200 and 1,000, "
    "1,000 sustained creates, 5 pages of each list kind.",
)
@click.option(
    "--requests",
    "-n",
    type=click.IntRange(min=1, max=100_000),
    help="Requests per closed-loop phase and per ceiling [500; --quick 60].",
)
@click.option(
    "--window",
    type=click.IntRange(min=1, max=1024),
    default=64,
    show_default=True,
    help="Requests in flight at most in the closed-loop phases.",
)
@click.option(
    "--load-steps",
    callback=_fractions,
    help="Open-loop offered loads in percent of the closed-loop maximum "
    "[10,25,50,75,100; --quick 25,50,100].",
)
@click.option(
    "--step-seconds",
    type=click.FloatRange(min=0.1, max=600),
    help="How long each open-loop step offers its load [8; --quick 1].",
)
@click.option(
    "--scale",
    "scale_sizes",
    callback=_sizes,
    help="Customers stored for the scale and list phases, comma-separated, or 'none' "
    "[1000,100000; --quick 200,1000].",
)
@click.option(
    "--phases",
    callback=_phases,
    help=f"Phases to run, comma-separated, from {', '.join(PHASES)} [all]. The first "
    "ceilings always run; 'open' needs 'closed'; 'scale' and 'lists' need --scale sizes.",
)
@click.option(
    "--sustained-creates",
    type=click.IntRange(min=1, max=1_000_000),
    help=f"Creates of the sustained phase [{SUSTAINED_CREATES}; "
    f"--quick {QUICK_SUSTAINED_CREATES}].",
)
@click.option(
    "--sustained-rate",
    type=click.FloatRange(min=1, max=100_000),
    help="Creates per second offered in the sustained phase (open loop) [closed loop at --window].",
)
@click.option(
    "--list-requests",
    type=click.IntRange(min=1, max=10_000),
    help=f"Pages of each list kind at each --scale size [{LIST_REQUESTS}; --quick "
    f"{QUICK_LIST_REQUESTS}].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1, max=14_400),
    help="Seconds the measuring may take; requests unanswered by then count as missing "
    "[5400; --quick 300].",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the JSON report here, and the PNG plot beside it (same name, .png) "
    "[a new file under the system's temporary directory].",
)
@click.option(
    "--kafka-bootstrap-servers",
    envvar="CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS",
    default="127.0.0.1:9092",
    show_default=True,
    help="Kafka broker on loopback (env CUSTOMER_ASYNC_KAFKA_BOOTSTRAP_SERVERS).",
)
@click.option(
    "--mongodb-uri",
    envvar="CUSTOMER_ASYNC_MONGODB_URI",
    default="mongodb://127.0.0.1:27017",
    show_default=True,
    help="MongoDB-protocol store on loopback (env CUSTOMER_ASYNC_MONGODB_URI).",
)
def main(
    *,
    quick: bool,
    requests: int | None,
    window: int,
    load_steps: tuple[float, ...] | None,
    step_seconds: float | None,
    scale_sizes: tuple[int, ...] | None,
    phases: frozenset[str],
    sustained_creates: int | None,
    sustained_rate: float | None,
    list_requests: int | None,
    timeout: float | None,
    json_path: Path | None,
    kafka_bootstrap_servers: str,
    mongodb_uri: str,
) -> None:
    """Benchmark customer-async against ceilings measured in the same run (see README)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    defaults = _QUICK if quick else _FULL
    prefix = fresh_prefix()
    config = BenchConfig(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        mongodb_uri=mongodb_uri,
        requests=requests or int(defaults["requests"]),
        window=window,
        timeout_seconds=timeout or defaults["timeout"],
        prefix=prefix,
        quick=quick,
        load=LoadPlan(
            fractions=load_steps or (QUICK_LOAD_FRACTIONS if quick else LOAD_FRACTIONS),
            seconds=step_seconds or defaults["step_seconds"],
        ),
        scale_sizes=(QUICK_SCALE_SIZES if quick else SCALE_SIZES)
        if scale_sizes is None
        else scale_sizes,
        scale_phase_seconds=defaults["phase_seconds"],
        phases=phases,
        sustained_creates=sustained_creates or int(defaults["sustained_creates"]),
        sustained_rate=sustained_rate,
        list_requests=list_requests or int(defaults["list_requests"]),
    )
    try:
        with TerminalProgress() as progress:
            report = asyncio.run(run_benchmark(config, progress))
    except (BenchmarkError, MemoryReadError, NotLoopback) as exc:
        click.echo(f"benchmark: {exc}", err=True)
        sys.exit(2)
    path = json_path or default_report_path(prefix)
    report = write_outputs(report, path)
    click.echo(render(report))
    click.echo(f"JSON report: {path}")
    sys.exit(0 if report.all_ok else 1)


if __name__ == "__main__":
    main()
