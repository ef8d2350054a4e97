"""The service as a separate OS process (`python -m customer_async serve`), for crash tests."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from customer_async.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def settings_environment(settings: Settings) -> dict[str, str]:
    """This environment with the `CUSTOMER_ASYNC_*` variables that reproduce `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_ASYNC_")}
    return {**env, **settings.environment()}


async def start_service_process(settings: Settings, log_file: Path) -> asyncio.subprocess.Process:
    """Starts `customer-async serve` with `settings`; its output goes to `log_file`."""
    with log_file.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "customer_async",
            "serve",
            env=settings_environment(settings),
            cwd=REPO,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
