"""CPU time a process has used, from /proc/<pid>/stat: is the service busy or waiting?

Together with the store-command count, this tells where a request's time goes: CPU seconds per
request near the reply interval means the Python process is the bottleneck; far below it means
the time is spent waiting (store, broker, queueing).
"""

from __future__ import annotations

import os
from pathlib import Path

# Fields 14 and 15 of /proc/<pid>/stat (utime, stime), counted after the parenthesised name.
_UTIME_AFTER_NAME = 11
_STIME_AFTER_NAME = 12


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds process `pid` has used (None when /proc cannot tell)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces or parentheses; the fields follow its last ')'.
    fields = stat.rpartition(")")[2].split()
    ticks = int(fields[_UTIME_AFTER_NAME]) + int(fields[_STIME_AFTER_NAME])
    return ticks / os.sysconf("SC_CLK_TCK")
