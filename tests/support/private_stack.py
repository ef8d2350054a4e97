"""A private copy of the native stack (own ports and data) that a test may restart at will."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from tests.support.ferretdb import free_port
from tests.support.servers import REPO


class PrivateStack:
    """`scripts/stack` on free ports with its data under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.kafka_port = free_port()
        self.mongodb_port = free_port()
        self._directory = directory
        self._env = {
            **os.environ,
            "CUSTOMER_ASYNC_STACK_DIR": str(directory),
            "CUSTOMER_ASYNC_STACK_KAFKA_PORT": str(self.kafka_port),
            "CUSTOMER_ASYNC_STACK_CONTROLLER_PORT": str(free_port()),
            "CUSTOMER_ASYNC_STACK_MONGODB_PORT": str(self.mongodb_port),
        }

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
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        assert process.returncode == 0, output.decode()[-3000:]

    async def up(self) -> None:
        """Start whatever is not running (idempotent), and wait until it serves."""
        await self._stack("up")

    async def down(self) -> None:
        await self._stack("down")

    async def stop_kafka(self) -> None:
        """Stop the broker only (SIGTERM to the pid `up` recorded), and wait until it is gone."""
        pid = int((self._directory / "kafka.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        for _ in range(600):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the private broker did not stop in 60 s")
