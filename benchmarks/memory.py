"""Resident memory of a process from /proc/<pid>/status, and the idle-client baseline.

`VmHWM` is the kernel's own high-water mark of the resident set, so the peak is exact without
sampling; `VmRSS` is the resident set now. Both are read from outside the process measured.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchmarks.children import start_child
from benchmarks.idle_clients import READY

PEAK = "VmHWM"
CURRENT = "VmRSS"
_SETTLE_SECONDS = 1.0


class MemoryReadError(RuntimeError):
    """/proc has no such process or no such field (not Linux, or the process has ended)."""


def resident_kib(pid: int, field: str = PEAK) -> int:
    """`field` (`VmHWM` or `VmRSS`) of process `pid`, in KiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError as exc:
        raise MemoryReadError(f"cannot read /proc/{pid}/status: {exc}") from exc
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    raise MemoryReadError(f"/proc/{pid}/status has no {field}")


async def idle_clients_peak_kib(
    bootstrap_servers: str, mongodb_uri: str, topic: str, group_id: str, log_path: Path
) -> int:
    """Peak RSS of a child holding idle aiokafka and pymongo clients (see idle_clients.py)."""
    child = await start_child(
        "benchmarks.idle_clients",
        [
            f"--bootstrap-servers={bootstrap_servers}",
            f"--mongodb-uri={mongodb_uri}",
            f"--topic={topic}",
            f"--group-id={group_id}",
        ],
        log_path,
        stdout_pipe=True,
    )
    try:
        line = await child.read_line(seconds=60.0)
        if line != READY:
            raise MemoryReadError(f"the idle-client process did not start:\n{child.log_tail()}")
        await asyncio.sleep(_SETTLE_SECONDS)
        return resident_kib(child.pid, PEAK)
    finally:
        await child.stop()
