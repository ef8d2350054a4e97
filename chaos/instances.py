"""The service instances under test: `python -m customer_async serve` child processes, each with
its own operations port and, in static membership, its own `group_instance_id`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import time
from pathlib import Path

from chaos.stack import REPO
from customer_async.settings import Settings

Partition = tuple[str, int]

_LAG_LINE = re.compile(r"^customer_async_consumer_lag\{(?P<labels>[^}]*)\}", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="([^"]*)"')


async def http_get(port: int, path: str, seconds: float = 5.0) -> tuple[int, str]:
    """A GET on the loopback operations port: status and body (0, '' when nothing answers)."""
    try:
        async with asyncio.timeout(seconds):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                writer.write(
                    f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
                )
                await writer.drain()
                raw = await reader.read()
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
    except (OSError, TimeoutError):
        return 0, ""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0].split()
    status = int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0
    return status, body.decode(errors="replace")


class ServiceInstance:
    """One instance: started, killed, terminated and restarted at will, always by its own pid."""

    def __init__(self, name: str, settings: Settings, log_path: Path) -> None:
        self.name = name
        self.settings = settings
        self.log_path = log_path
        self._process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.returncode is None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    async def start(self, *, crash_after_write: bool = False) -> None:
        """Start the child (its output appended to the log); the previous one must have ended."""
        assert not self.alive, f"instance {self.name} is already running"
        settings = self.settings.model_copy(update={"fault_crash_after_write": crash_after_write})
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_ASYNC_")}
        env |= settings.environment()
        with self.log_path.open("ab") as log:
            log.write(f"--- chaos: start {self.starts + 1} of instance {self.name}\n".encode())
            log.flush()
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "customer_async",
                "serve",
                cwd=REPO,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        self.starts += 1

    async def wait_ready(self, seconds: float = 90.0) -> float:
        """Seconds until `/readyz` answers 200; raises if the child ends or time runs out."""
        began = time.monotonic()
        while time.monotonic() - began < seconds:
            if not self.alive:
                raise RuntimeError(f"instance {self.name} ended at start-up:\n{self.log_tail()}")
            status, _ = await http_get(self.settings.http_port, "/readyz", 2.0)
            if status == 200:
                return time.monotonic() - began
            await asyncio.sleep(0.2)
        raise RuntimeError(f"instance {self.name} not ready in {seconds:.0f} s:\n{self.log_tail()}")

    async def partitions(self) -> frozenset[Partition]:
        """The request partitions this instance is assigned now (its `/metrics` lag gauges)."""
        status, body = await http_get(self.settings.http_port, "/metrics", 5.0)
        if status != 200:
            return frozenset()
        found: set[Partition] = set()
        for match in _LAG_LINE.finditer(body):
            labels = dict(_LABEL.findall(match.group("labels")))
            if "topic" in labels and labels.get("partition", "").isdigit():
                found.add((labels["topic"], int(labels["partition"])))
        return frozenset(found)

    async def lag(self) -> int | None:
        """Records waiting on its partitions (sum of its lag gauges), None if it cannot say."""
        status, body = await http_get(self.settings.http_port, "/metrics", 5.0)
        if status != 200:
            return None
        total = 0.0
        for line in body.splitlines():
            if line.startswith("customer_async_consumer_lag{"):
                total += float(line.rsplit(" ", 1)[1])
        return int(total)

    async def kill(self) -> int:
        """SIGKILL, and wait for the exit; returns the exit status (-9)."""
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError):
            self._process.send_signal(signal.SIGKILL)
        return await self._process.wait()

    async def terminate(self, grace: float = 60.0) -> int | None:
        """SIGTERM and wait up to `grace` s for the exit status; None if it had to be killed."""
        if self._process is None or self._process.returncode is not None:
            return None if self._process is None else self._process.returncode
        with contextlib.suppress(ProcessLookupError):
            self._process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self._process.wait(), grace)
        except TimeoutError:
            await self.kill()
            return None

    async def wait_exit(self, seconds: float) -> int | None:
        """The exit status if the child ends within `seconds`, else None (still running)."""
        if self._process is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(self._process.wait()), seconds)
        except TimeoutError:
            return None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])
