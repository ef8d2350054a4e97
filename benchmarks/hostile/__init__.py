"""Hostile input at volume: malformed requests against a running service (scripts/hostile).

`run(Options(...))` is the entry point (`python -m benchmarks.hostile` calls it); its `Summary`
says what every record got back.
"""

from benchmarks.hostile.run import Options, Summary, run

__all__ = ["Options", "Summary", "run"]
