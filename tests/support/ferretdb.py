"""A private FerretDB process (the stack's binary) that a test may stop and start at will."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

from tests.support.servers import REPO, reachable


def _binary() -> Path:
    subprocess.run([str(REPO / "scripts" / "stack"), "install"], check=True, capture_output=True)
    script = 'source scripts/stack-env.sh && echo "$FERRETDB_BIN"'
    found = subprocess.run(
        ["bash", "-c", script], cwd=REPO, check=True, capture_output=True, text=True
    )
    return Path(found.stdout.strip())


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class PrivateFerretDB:
    """One FerretDB on its own port and data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}"
        self._data_dir = data_dir
        self._binary = _binary()
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            str(self._binary),
            "-listen-addr",
            f"127.0.0.1:{self.port}",
            "-sqlite-url",
            f"file:{self._data_dir}/",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
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
