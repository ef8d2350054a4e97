"""The service under test as a child process: `python -m customer_async serve`, configured by
its `CUSTOMER_ASYNC_*` environment and nothing inherited."""

from __future__ import annotations

import os
from pathlib import Path

from customer_async.settings import Settings
from harness.children import Child, start_child


def service_environment(settings: Settings) -> dict[str, str]:
    """This process's environment with the `CUSTOMER_ASYNC_*` variables that reproduce
    `settings` (none of the caller's own, which could point elsewhere)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_ASYNC_")}
    return {**env, **settings.environment()}


async def start_service_process(settings: Settings, log_path: Path, *, banner: str = "") -> Child:
    """Start `customer-async serve` with `settings`; its output is appended to `log_path`."""
    return await start_child(
        "customer_async", ["serve"], log_path, env=service_environment(settings), banner=banner
    )
