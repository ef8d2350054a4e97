"""The run's private stack: `scripts/stack` on free loopback ports with its data in the run's
directory, so its broker, store and database can be stopped, frozen and killed without touching
anyone's; `scripts/stack up` starts again whatever is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _stat_fields(pid: int) -> list[str] | None:
    """`/proc/<pid>/stat` after the command name (state, parent pid, …); None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and fields[0] != "Z" and fields[1] == str(pid):
                found.append(int(entry.name))
    return found


def stack_environment(directory: Path, kafka_port: int, mongodb_port: int) -> dict[str, str]:
    """The environment for `scripts/stack` to run a stack of its own: data under `directory`,
    these ports and free ones for the controller and PostgreSQL (nothing inherited from a
    `CUSTOMER_ASYNC_STACK_*` setting of the caller's, which could point at shared data)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("CUSTOMER_ASYNC_STACK_")},
        "CUSTOMER_ASYNC_STACK_DIR": str(directory),
        "CUSTOMER_ASYNC_STACK_KAFKA_PORT": str(kafka_port),
        "CUSTOMER_ASYNC_STACK_CONTROLLER_PORT": str(free_port()),
        "CUSTOMER_ASYNC_STACK_MONGODB_PORT": str(mongodb_port),
        "CUSTOMER_ASYNC_STACK_POSTGRESQL_PORT": str(free_port()),
    }


class StackFailed(RuntimeError):
    """`scripts/stack` ended with an error (its output's tail is the message)."""


class PrivateStack:
    """Kafka, FerretDB and PostgreSQL of this run only."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.kafka_port = free_port()
        self.mongodb_port = free_port()
        self._env = stack_environment(directory, self.kafka_port, self.mongodb_port)

    @property
    def kafka_bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongodb_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongodb_port}"

    async def _stack(self, command: str) -> None:
        process = await asyncio.create_subprocess_exec(
            str(REPO / "scripts" / "stack"),
            command,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            text = output.decode(errors="replace")[-2000:]
            raise StackFailed(f"scripts/stack {command} failed ({process.returncode}):\n{text}")

    async def up(self) -> None:
        """Start whatever is not running and wait until all three serve (idempotent)."""
        await self._stack("up")

    async def remove(self) -> None:
        """Stop everything this stack started and remove its data (a frozen store is thawed
        first, so that it can stop)."""
        self.thaw_store()
        try:
            await self._stack("down")
        finally:
            with contextlib.suppress(StackFailed):
                await self._stack("clean")

    def pid(self, server: str) -> int | None:
        """The pid `up` recorded for `server` (kafka, ferretdb, postgresql), if any."""
        pid_file = self.directory / f"{server}.pid"
        try:
            return int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def _signal(self, server: str, sig: signal.Signals) -> int:
        pid = self.pid(server)
        if pid is None or not process_alive(pid):
            raise StackFailed(f"the private {server} is not running")
        os.kill(pid, sig)
        return pid

    async def _until_gone(self, server: str, pid: int, seconds: float = 60.0) -> None:
        for _ in range(int(seconds * 10)):
            if not process_alive(pid):
                return
            await asyncio.sleep(0.1)
        raise StackFailed(f"the private {server} (pid {pid}) did not end in {seconds:.0f} s")

    async def _until_reaped(self, server: str, pid: int, seconds: float = 30.0) -> None:
        """Until `pid` is gone and reaped: a new postmaster takes its lock file's pid, while that
        is still a zombie (`kill -0` reaches it), for a live one and refuses to start."""
        await self._until_gone(server, pid)
        for _ in range(int(seconds * 10)):
            if _stat_fields(pid) is None:
                return
            await asyncio.sleep(0.1)
        raise StackFailed(f"the private {server} (pid {pid}) was not reaped in {seconds:.0f} s")

    async def stop_kafka(self) -> None:
        """SIGTERM to the broker, and wait until it is gone."""
        await self._until_gone("kafka", self._signal("kafka", signal.SIGTERM))

    def freeze_store(self) -> None:
        """SIGSTOP FerretDB: connections stay open and nothing answers."""
        self._signal("ferretdb", signal.SIGSTOP)

    def thaw_store(self) -> None:
        """SIGCONT FerretDB (harmless when it is not frozen or not running)."""
        pid = self.pid("ferretdb")
        if pid is not None and process_alive(pid):
            os.kill(pid, signal.SIGCONT)

    async def kill_store(self) -> None:
        """SIGKILL FerretDB, and wait until it is gone."""
        await self._until_gone("ferretdb", self._signal("ferretdb", signal.SIGKILL))

    async def kill_database(self, orphans_grace: float = 15.0) -> int:
        """SIGKILL PostgreSQL's postmaster (under FerretDB), and wait until it is gone and so
        are its orphaned backends (they notice its death and exit; a new postmaster refuses to
        start while they hold its shared memory). Those still there after `orphans_grace` s are
        SIGKILLed too; returns how many."""
        postmaster = self.pid("postgresql")
        backends = children_of(postmaster) if postmaster is not None else []
        await self._until_reaped("postgresql", self._signal("postgresql", signal.SIGKILL))
        for _ in range(int(orphans_grace * 10)):
            if not any(process_alive(p) for p in backends):
                return 0
            await asyncio.sleep(0.1)
        lingering = [p for p in backends if process_alive(p)]
        for pid in lingering:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in lingering:
            await self._until_gone("postgresql backend", pid, 10.0)
        return len(lingering)
