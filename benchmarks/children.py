"""Child processes of the benchmark: started with this interpreter, stopped by their own pid."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
"""The checkout: children run from it, so `python -m benchmarks.…` finds this package."""

_STOP_GRACE = 30.0


class Child:
    """A running child process whose output goes to a log file."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.process.pid

    @property
    def exited(self) -> bool:
        """Whether the child has already ended."""
        return self.process.returncode is not None

    async def read_line(self, seconds: float) -> str:
        """The next line the child prints on stdout ('' when it ends or `seconds` pass)."""
        if self.process.stdout is None:
            return ""
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), seconds)
        except TimeoutError:
            return ""
        return line.decode(errors="replace").strip()

    async def stop(self, grace: float = _STOP_GRACE) -> None:
        """SIGTERM, then SIGKILL if it has not ended within `grace` seconds."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        if self.process.stdout is not None:
            await self.process.stdout.read()

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the child wrote to its log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


async def start_child(
    module: str,
    arguments: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    stdout_pipe: bool = False,
) -> Child:
    """Run `python -m module arguments…` from the checkout; stderr (and stdout) go to `log_path`."""
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            *arguments,
            cwd=REPO,
            env=None if env is None else dict(env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE if stdout_pipe else log,
            stderr=log,
        )
    return Child(process, log_path)


async def run_until_signalled(
    work: Callable[[asyncio.Event], Awaitable[None]], max_seconds: float
) -> None:
    """Inside a child: run `work(stop)`; `stop` is set on SIGTERM/SIGINT or after `max_seconds`."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(max_seconds, stop.set)
    await work(stop)
