"""The memory baseline: the peak resident set of an idle process holding the service's clients.

`VmHWM` is the kernel's own high-water mark of the resident set (harness/proc.py), so the peak is
exact without sampling, read from outside the process measured.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from benchmarks.idle_clients import READY
from harness.children import start_child
from harness.proc import PEAK, MemoryReadError, resident_kib

_SETTLE_SECONDS = 1.0


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
