"""`python -m benchmarks`: one benchmark run, the report on stdout, progress on stderr.

Exit status: 0 when every request got the right answer, 1 when any reply was wrong or missing
(the numbers are then no result), 2 when the run could not measure at all.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from benchmarks.loopback import NotLoopback
from benchmarks.memory import MemoryReadError
from benchmarks.report import render
from benchmarks.run import BenchConfig, BenchmarkError, run_benchmark


def _progress(line: str) -> None:
    click.echo(f"· {line}", err=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--requests",
    "-n",
    type=click.IntRange(min=1, max=100_000),
    default=500,
    show_default=True,
    help="Requests per operation (and per ceiling).",
)
@click.option(
    "--window",
    type=click.IntRange(min=1, max=1024),
    default=64,
    show_default=True,
    help="Requests in flight at most.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1, max=3600),
    default=300.0,
    show_default=True,
    help="Seconds the measuring may take; requests unanswered by then count as missing.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the report as JSON to this file.",
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
    requests: int,
    window: int,
    timeout: float,
    json_path: Path | None,
    kafka_bootstrap_servers: str,
    mongodb_uri: str,
) -> None:
    """Benchmark customer-async against ceilings measured in the same run (see README)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    config = BenchConfig(
        kafka_bootstrap_servers=kafka_bootstrap_servers,
        mongodb_uri=mongodb_uri,
        requests=requests,
        window=window,
        timeout_seconds=timeout,
    )
    try:
        report = asyncio.run(run_benchmark(config, _progress))
    except (BenchmarkError, MemoryReadError, NotLoopback) as exc:
        click.echo(f"benchmark: {exc}", err=True)
        sys.exit(2)
    click.echo(render(report))
    if json_path is not None:
        json_path.write_text(report.to_json() + "\n")
    sys.exit(0 if report.all_ok else 1)


if __name__ == "__main__":
    main()
