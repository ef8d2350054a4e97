"""The service instances under test: `python -m customer_async serve` children (harness/service.py),
each with its own operations port and, in static membership, its own `group_instance_id`."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from customer_async.settings import Settings
from harness.children import Child, log_tail
from harness.operations_port import read, samples
from harness.service import start_service_process

Partition = tuple[str, int]

_LAG = "customer_async_consumer_lag"
"""The gauge of records waiting, one series per assigned request partition."""


class ServiceInstance:
    """One instance: started, killed, terminated and restarted at will, always by its own pid."""

    def __init__(self, name: str, settings: Settings, log_path: Path) -> None:
        self.name = name
        self.settings = settings
        self.log_path = log_path
        self._child: Child | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self._child is not None and not self._child.exited

    @property
    def pid(self) -> int | None:
        return None if self._child is None else self._child.pid

    async def start(self, *, crash_after_write: bool = False) -> None:
        """Start the child (its output appended to the log); the previous one must have ended."""
        assert not self.alive, f"instance {self.name} is already running"
        settings = self.settings.model_copy(update={"fault_crash_after_write": crash_after_write})
        banner = f"chaos: start {self.starts + 1} of instance {self.name}"
        self._child = await start_service_process(settings, self.log_path, banner=banner)
        self.starts += 1

    async def wait_ready(self, seconds: float = 90.0) -> float:
        """Seconds until `/readyz` answers 200; raises if the child ends or time runs out."""
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            if not self.alive:
                raise RuntimeError(f"instance {self.name} ended at start-up:\n{self.log_tail()}")
            status, _ = await read(self.settings.http_port, "/readyz", 2.0)
            if status == 200:
                return time.monotonic() - began
            await asyncio.sleep(0.2)
        raise RuntimeError(f"instance {self.name} not ready in {seconds:.0f} s:\n{self.log_tail()}")

    async def _lag_series(self) -> list[tuple[dict[str, str], float]] | None:
        status, body = await read(self.settings.http_port, "/metrics", 5.0)
        return samples(body, _LAG) if status == 200 else None

    async def partitions(self) -> frozenset[Partition]:
        """The request partitions this instance is assigned now (its `/metrics` lag gauges)."""
        return frozenset(
            (labels["topic"], int(labels["partition"]))
            for labels, _ in await self._lag_series() or []
            if "topic" in labels and labels.get("partition", "").isdigit()
        )

    async def lag(self) -> int | None:
        """Records waiting on its partitions (sum of its lag gauges), None if it cannot say."""
        series = await self._lag_series()
        return None if series is None else int(sum(value for _, value in series))

    async def kill(self) -> int:
        """SIGKILL, and wait for the exit; returns the exit status (-9)."""
        assert self._child is not None
        return await self._child.kill()

    async def terminate(self, grace: float = 60.0) -> int | None:
        """SIGTERM and wait up to `grace` s for the exit status; None if it had to be killed."""
        return None if self._child is None else await self._child.stop(grace)

    async def wait_exit(self, seconds: float) -> int | None:
        """The exit status if the child ends within `seconds`, else None (still running)."""
        return None if self._child is None else await self._child.wait_exit(seconds)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of its log, over every start."""
        return log_tail(self.log_path, lines)
