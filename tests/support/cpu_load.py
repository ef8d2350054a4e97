"""Busy loops on every core, so start-up races show up as they would on a loaded CI machine."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_SPIN = """
import sys, time
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    pass
"""


@contextmanager
def busy_cores(seconds: float = 600.0) -> Iterator[None]:
    """One spinning process per core for the block (each ends by itself after `seconds`)."""
    spinners = [
        subprocess.Popen([sys.executable, "-c", _SPIN, str(seconds)])
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
