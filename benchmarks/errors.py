"""The benchmark's own failure: it could not measure (as opposed to measuring a wrong reply)."""

from __future__ import annotations


class BenchmarkError(RuntimeError):
    """The run could not measure: a server or a child process did not answer."""
