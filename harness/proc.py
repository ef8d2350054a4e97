"""A process seen from /proc, from outside: alive, its children, CPU seconds, resident memory.

Everything here reads `/proc/<pid>/stat` or `/proc/<pid>/status` (Linux), so it measures or
waits for a process without touching it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PEAK = "VmHWM"
"""The kernel's high-water mark of the resident set: the exact peak, without sampling."""
CURRENT = "VmRSS"
"""The resident set now."""

# Fields of /proc/<pid>/stat counted after the parenthesised command name.
_STATE = 0
_PARENT = 1
_UTIME = 11
_STIME = 12
_CHILDREN_TIMES = slice(13, 15)  # cutime, cstime: reaped children's


class MemoryReadError(RuntimeError):
    """/proc has no such process or no such field (not Linux, or the process has ended)."""


@dataclass(frozen=True, slots=True)
class ProcessStat:
    """`/proc/<pid>/stat`: the command name, and the fields after it (state, parent pid, …)."""

    name: str
    fields: list[str]

    @property
    def zombie(self) -> bool:
        """Ended, and waiting for its parent to reap it."""
        return self.fields[_STATE] == "Z"

    @property
    def parent(self) -> int:
        return int(self.fields[_PARENT])

    def cpu_seconds(self, *, reaped_children: bool = False) -> float:
        """User plus system CPU seconds (with `reaped_children`, its reaped children's too)."""
        ticks = int(self.fields[_UTIME]) + int(self.fields[_STIME])
        if reaped_children:
            ticks += sum(int(f) for f in self.fields[_CHILDREN_TIMES])
        return ticks / os.sysconf("SC_CLK_TCK")


def process_stat(pid: int) -> ProcessStat | None:
    """The process's stat line, None when it is gone (and reaped)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces or parentheses; the fields follow its last ')'.
    head, _, rest = text.rpartition(")")
    return ProcessStat(head.partition("(")[2], rest.split())


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    found = process_stat(pid)
    return found is not None and not found.zombie


def process_reaped(pid: int) -> bool:
    """Whether `pid` is gone altogether: ended and reaped (no zombie left)."""
    return process_stat(pid) is None


def children_of(pid: int) -> list[int]:
    """The live processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            child = process_stat(int(entry.name))
            if child is not None and not child.zombie and child.parent == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds process `pid` has used (None when /proc cannot tell)."""
    found = process_stat(pid)
    return None if found is None else found.cpu_seconds()


def resident_kib(pid: int, field: str = PEAK) -> int:
    """`field` (`PEAK` or `CURRENT`) of process `pid`, in KiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError as exc:
        raise MemoryReadError(f"cannot read /proc/{pid}/status: {exc}") from exc
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0])
    raise MemoryReadError(f"/proc/{pid}/status has no {field}")
