"""Child processes of a run: started with this interpreter from the checkout, their output in a
log file, stopped by their own pid (never by name); and the child's side of that protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

from harness.repository import REPO

STOP_GRACE = 30.0
"""Seconds a child gets to end after SIGTERM before it is killed."""


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

    @property
    def returncode(self) -> int | None:
        """Its exit status (negative: the signal that ended it), None while it runs."""
        return self.process.returncode

    async def read_line(self, seconds: float) -> str:
        """The next line the child prints on a piped stdout ('' when it ends or `seconds`
        pass)."""
        if self.process.stdout is None:
            return ""
        try:
            line = await asyncio.wait_for(self.process.stdout.readline(), seconds)
        except TimeoutError:
            return ""
        return line.decode(errors="replace").strip()

    async def wait_exit(self, seconds: float) -> int | None:
        """The exit status if the child ends within `seconds`, else None (still running)."""
        try:
            return await asyncio.wait_for(asyncio.shield(self.process.wait()), seconds)
        except TimeoutError:
            return None

    async def kill(self) -> int:
        """SIGKILL (unless it has ended), and wait for the exit; returns the exit status."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        return await self.process.wait()

    async def stop(self, grace: float = STOP_GRACE, sig: int = signal.SIGTERM) -> int | None:
        """Send `sig` (SIGTERM), and wait up to `grace` seconds for the exit status; None if it
        had to be killed after that. An ended child's status is returned as it is."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)
            if await self.wait_exit(grace) is None:
                await self.kill()
                return None
        if self.process.stdout is not None:
            await self.process.stdout.read()
        return self.process.returncode

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the child wrote to its log."""
        return log_tail(self.log_path, lines)


def log_tail(log_path: Path, lines: int = 20) -> str:
    """The last lines of a child's log ('' when there is none)."""
    try:
        text = log_path.read_text(errors="replace")
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
    banner: str = "",
) -> Child:
    """Run `python -m module arguments…` from the checkout; stderr (and stdout, unless piped)
    is appended to `log_path`, after a `banner` line when one is given."""
    with log_path.open("ab") as log:
        if banner:
            log.write(f"--- {banner}\n".encode())
            log.flush()
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


def serve_until_signalled(
    work: Callable[[asyncio.Event], Awaitable[None]], max_seconds: float
) -> None:
    """A child's main: run `work(stop)` in a new event loop; `stop` is set on SIGTERM/SIGINT or
    after `max_seconds`, so the child ends by itself even if its parent is gone."""

    async def until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.call_later(max_seconds, stop.set)
        await work(stop)

    with contextlib.suppress(KeyboardInterrupt):  # a SIGINT before the handlers are in place
        asyncio.run(until_signalled())
