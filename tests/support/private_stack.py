"""A private copy of the native stack (own ports and data) that a test may restart at will."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from chaos.stack import free_port, process_alive, stack_environment
from tests.support.servers import REPO


class PrivateStack:
    """`scripts/stack` on free ports with its data under `directory`."""

    def __init__(self, directory: Path, *, sasl_ssl: bool = False) -> None:
        self.kafka_port = free_port()
        self.sasl_port = free_port() if sasl_ssl else None
        self.mongodb_port = free_port()
        self._directory = directory
        self._env = stack_environment(directory, self.kafka_port, self.mongodb_port)
        if self.sasl_port is not None:  # the broker's SASL_SSL listener (SCRAM-SHA-512)
            self._env["CUSTOMER_ASYNC_STACK_KAFKA_SASL_PORT"] = str(self.sasl_port)

    def use_controller_port(self, port: int) -> None:
        """Give the broker's controller this port (a test may hold it to make Kafka fail)."""
        self._env["CUSTOMER_ASYNC_STACK_CONTROLLER_PORT"] = str(port)

    @property
    def kafka_bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def sasl_ssl_settings(self) -> dict[str, object]:
        """Settings for the SASL_SSL listener: its port, the stack's user, password and CA."""
        assert self.sasl_port is not None, "this stack has no SASL_SSL listener"
        kafka = self._directory / "kafka"
        return {
            "kafka_bootstrap_servers": f"127.0.0.1:{self.sasl_port}",
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "SCRAM-SHA-512",
            "kafka_sasl_username": "customer-async",
            "kafka_sasl_password": (kafka / "sasl-password").read_text().strip(),
            "kafka_ssl_cafile": str(kafka / "tls" / "ca.pem"),
        }

    @property
    def mongodb_uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.mongodb_port}"

    def servers(self) -> dict[str, object]:
        """Setting overrides that point a service or client at this stack."""
        return {
            "kafka_bootstrap_servers": self.kafka_bootstrap_servers,
            "mongodb_uri": self.mongodb_uri,
        }

    async def run(self, command: str) -> tuple[int, str]:
        """`scripts/stack COMMAND` for this stack: its exit status and output."""
        process = await asyncio.create_subprocess_exec(
            str(REPO / "scripts" / "stack"),
            command,
            env=self._env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        assert process.returncode is not None
        return process.returncode, output.decode(errors="replace")

    async def _stack(self, command: str) -> None:
        status, output = await self.run(command)
        assert status == 0, output[-3000:]

    async def up(self) -> None:
        """Start whatever is not running (idempotent), and wait until it serves."""
        await self._stack("up")

    async def down(self) -> None:
        await self._stack("down")

    async def remove(self) -> None:
        """Stop everything and remove the stack's data (its PostgreSQL cluster too)."""
        await self.down()
        await self._stack("clean")

    def pid(self, server: str) -> int | None:
        """The pid `up` recorded for `server` (kafka, ferretdb, postgresql), if any."""
        pid_file = self._directory / f"{server}.pid"
        return int(pid_file.read_text()) if pid_file.exists() else None

    async def stop_kafka(self) -> None:
        """Stop the broker only (SIGTERM to the pid `up` recorded), and wait until it is gone."""
        pid = self.pid("kafka")
        assert pid is not None, "the private broker was never started"
        os.kill(pid, signal.SIGTERM)
        for _ in range(600):
            if not process_alive(pid):
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the private broker did not stop in 60 s")
