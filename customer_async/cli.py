"""The `customer-async` command line (click: subcommands, help and env-aware options for free)."""

from __future__ import annotations

import asyncio
import logging
import signal

import click

from customer_async import __version__
from customer_async.service import serve as run_service
from customer_async.settings import Settings


@click.group()
@click.version_option(__version__, prog_name="customer-async")
def main() -> None:
    """TMF629 v5 Customer Management Async API over Kafka and MongoDB."""


@main.command()
def serve() -> None:
    """Run the service until SIGTERM or SIGINT (configuration: CUSTOMER_ASYNC_* variables)."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    from customer_async.log_limits import install_log_limits  # noqa: PLC0415 - only serve uses it

    install_log_limits(settings.log_repeat_window_seconds)  # an outage: a few lines, not 100,000
    asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    logging.getLogger(__name__).info(
        "customer-async %s: kafka %s, store %s/%s, prefix %s",
        __version__,
        settings.kafka_bootstrap_servers,
        settings.mongodb_uri.split("@")[-1],
        settings.mongodb_database,
        settings.topic_prefix,
    )
    await run_service(settings, stop)


@main.command("settings")
def show_settings() -> None:
    """Print the effective configuration (one `NAME=value` a line)."""
    settings = Settings()
    for name, value in settings.model_dump().items():
        click.echo(f"CUSTOMER_ASYNC_{name.upper()}={value}")
