"""A private FerretDB process (the stack's binary) that a test may stop and start at will.

It serves from the local stack's PostgreSQL cluster, so stopping it takes the store away from a
service while its data stays where it was.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from harness.ports import free_port
from harness.repository import REPO
from tests.support.servers import reachable


def _stack_value(name: str) -> str:
    """A variable of scripts/stack-env.sh, after making sure the stack's binaries exist."""
    subprocess.run([str(REPO / "scripts" / "stack"), "install"], check=True, capture_output=True)
    script = f'source scripts/stack-env.sh && echo "${name}"'
    found = subprocess.run(
        ["bash", "-c", script], cwd=REPO, check=True, capture_output=True, text=True
    )
    return found.stdout.strip()


class PrivateFerretDB:
    """One FerretDB on its own port, in front of the local stack's PostgreSQL."""

    def __init__(self, log_file: Path, *options: str) -> None:
        self._options = options  # more launcher flags (stack/ferretdb/main.go)
        self.port = free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}"
        self._log_file = log_file
        self._binary = Path(_stack_value("FERRETDB_BIN"))
        self._postgresql_url = _stack_value("POSTGRESQL_URL")
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._log_file.parent.mkdir(parents=True, exist_ok=True)
        with self._log_file.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                str(self._binary),
                "-listen-addr",
                f"127.0.0.1:{self.port}",
                "-postgresql-url",
                self._postgresql_url,
                *self._options,
                stdout=log,
                stderr=log,
            )
        for _ in range(100):
            if reachable("127.0.0.1", self.port, timeout=0.2):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"private FerretDB did not open port {self.port}")

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        self._process = None
