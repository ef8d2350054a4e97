"""A private stack: `scripts/stack` on free loopback ports with its data in a directory of its
own, so its broker, store and database can be stopped, frozen and killed without touching
anyone's; `scripts/stack up` starts again whatever is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path

from harness.ports import LOOPBACK, free_port
from harness.proc import children_of, process_alive, process_reaped
from harness.repository import REPO

SERVERS = ("kafka", "ferretdb", "postgresql")
"""The servers `up` starts and records a pid for."""


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
    """`scripts/stack` ended with an error, or a server was not there to signal."""


class PrivateStack:
    """Kafka, FerretDB and PostgreSQL of one run or test only, under `directory`."""

    def __init__(self, directory: Path, *, sasl_ssl: bool = False) -> None:
        self.directory = directory
        self.kafka_port = free_port()
        self.sasl_port = free_port() if sasl_ssl else None
        self.mongodb_port = free_port()
        self._env = stack_environment(directory, self.kafka_port, self.mongodb_port)
        if self.sasl_port is not None:  # the broker's SASL_SSL listener (SCRAM-SHA-512)
            self._env["CUSTOMER_ASYNC_STACK_KAFKA_SASL_PORT"] = str(self.sasl_port)

    def use_controller_port(self, port: int) -> None:
        """Give the broker's controller this port (a test may hold it to make Kafka fail)."""
        self._env["CUSTOMER_ASYNC_STACK_CONTROLLER_PORT"] = str(port)

    @property
    def kafka_bootstrap_servers(self) -> str:
        return f"{LOOPBACK}:{self.kafka_port}"

    @property
    def mongodb_uri(self) -> str:
        return f"mongodb://{LOOPBACK}:{self.mongodb_port}"

    def servers(self) -> dict[str, object]:
        """Setting overrides that point a service or client at this stack."""
        return {
            "kafka_bootstrap_servers": self.kafka_bootstrap_servers,
            "mongodb_uri": self.mongodb_uri,
        }

    @property
    def sasl_ssl_settings(self) -> dict[str, object]:
        """Settings for the SASL_SSL listener: its port, the stack's user, password and CA."""
        if self.sasl_port is None:
            raise StackFailed("this stack has no SASL_SSL listener")
        kafka = self.directory / "kafka"
        return {
            "kafka_bootstrap_servers": f"{LOOPBACK}:{self.sasl_port}",
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_sasl_username": "customer-async",
            "kafka_sasl_password": (kafka / "sasl-password").read_text().strip(),
            "kafka_ssl_cafile": str(kafka / "tls" / "ca.pem"),
        }

    async def run(self, command: str) -> tuple[int, str]:
        """`scripts/stack COMMAND` for this stack: its exit status and output."""
        process = await asyncio.create_subprocess_exec(
            str(REPO / "scripts" / "stack"),
            command,
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        return await process.wait(), output.decode(errors="replace")

    async def _stack(self, command: str) -> None:
        status, output = await self.run(command)
        if status != 0:
            raise StackFailed(f"scripts/stack {command} failed ({status}):\n{output[-3000:]}")

    async def up(self) -> None:
        """Start whatever is not running and wait until all three serve (idempotent)."""
        await self._stack("up")

    async def down(self) -> None:
        """Stop the three servers; their data stays."""
        await self._stack("down")

    async def remove(self) -> None:
        """Stop everything this stack started and remove its data, its PostgreSQL cluster too
        (a frozen store is thawed first, so that it can stop)."""
        self.thaw_store()
        try:
            await self.down()
        finally:
            with contextlib.suppress(StackFailed):
                await self._stack("clean")

    def pid(self, server: str) -> int | None:
        """The pid `up` recorded for `server` (one of `SERVERS`), if any."""
        try:
            return int((self.directory / f"{server}.pid").read_text().strip())
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
            if process_reaped(pid):
                return
            await asyncio.sleep(0.1)
        raise StackFailed(f"the private {server} (pid {pid}) was not reaped in {seconds:.0f} s")

    async def stop_kafka(self) -> None:
        """SIGTERM to the broker only, and wait until it is gone."""
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
